"""The example server: `python -m fastestmcp.demo` serves it over streamable HTTP (and drives it
with a scripted client); `python -m fastestmcp.demo.server` serves it over stdio."""

from __future__ import annotations

from dataclasses import dataclass

import fastestmcp
from fastestmcp import Context
from fastestmcp.protocol.types import TextContent

app = fastestmcp.server(
    "fastestmcp-demo",
    instructions="A demo: arithmetic, a notebook kept per session, a greeting prompt.",
)


@app.tool
def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


@app.tool
async def remember(note: str, ctx: Context) -> list[str]:
    """Add a note to this session's notebook and return every note so far."""
    notes: list[str] = await ctx.get_state("notes", [])
    notes = [*notes, note]
    await ctx.set_state("notes", notes)
    await ctx.info(f"{len(notes)} note(s) in the notebook")
    return notes


@dataclass
class Mood:
    mood: str


@app.tool
async def check_in(ctx: Context) -> str:
    """Ask the user how they feel (an elicitation) and the client's model for advice."""
    answer = await ctx.elicit("How do you feel today?", Mood)
    if answer.action != "accept":
        return "maybe later, then"
    advice = await ctx.sample(f"One short tip for someone feeling {answer.data.mood}.")
    tip = advice.content.text if isinstance(advice.content, TextContent) else "(not text)"
    return f"feeling {answer.data.mood}; tip: {tip}"


@app.resource("demo://about", mime_type="text/markdown")
def about() -> str:
    """What this server is."""
    return "# fastestmcp demo\nServed by a supervised session actor."


@app.resource("demo://squares/{n}")
def square(n: int) -> str:
    """The square of n."""
    return str(n * n)


@app.prompt
def greet(name: str, style: str = "friendly") -> str:
    """A greeting for someone."""
    return f"Write a {style} greeting for {name}."


app.add_completion("greet", "style", ["friendly", "formal", "funny"])

if __name__ == "__main__":
    app.run()
