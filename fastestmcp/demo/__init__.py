"""The README's demo: `python -m fastestmcp.demo` (see `__main__`)."""
