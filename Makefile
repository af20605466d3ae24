# Everything a developer or CI needs, from a fresh clone: `make demo`, `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench conformance clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m fastestmcp.demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# pytest exits 5 when it collected no test: that is a failure here, never a silent pass.
pytest: $(STAMP)
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; \
	exit $$rc

test: lint typecheck pytest conformance

# The official MCP conformance suite (pinned npm versions, Node from PyPI) against
# tests/conformance/everything_server.py; exits non-zero unless every scenario and check
# passes. Part of `make test`: its summary is in the test log.
conformance: $(STAMP)
	$(BIN)/python tests/conformance/run.py

bench: $(STAMP)
	$(BIN)/python benchmarks/actors.py --write benchmarks/RESULTS.md
	$(BIN)/python benchmarks/stdio.py --write benchmarks/RESULTS.md
	$(BIN)/python benchmarks/http_bench.py --write benchmarks/RESULTS.md

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
