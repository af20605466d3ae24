"""A fastestmcp server for the interop tests, written with the public API only.

Run as a script it serves stdio (`server.run()`); the tests start it with the official
`mcp` SDK's stdio client. Every handler's answer is derived from its input, so the tests
can assert exact values on the other side of the wire.
"""

from __future__ import annotations

import asyncio
import enum
import os
import sys
from dataclasses import dataclass
from typing import Literal

import msgspec

import fastestmcp
from fastestmcp import Context, Image, ToolError
from fastestmcp.server.elicitation import (
    AcceptedElicitation,
    CancelledElicitation,
    DeclinedElicitation,
)

app = fastestmcp.server(
    "interop",
    "A fixture server for the official MCP SDK's client.",
    version="1.2.3",
)

BLOB = bytes(range(256))
PNG = b"\x89PNG\r\n\x1a\n" + bytes(16)


# -- tools ------------------------------------------------------------------------------------


@app.tool(annotations={"readOnlyHint": True})
def add(a: int, b: int) -> int:
    """Add two integers (a sync tool, run in the server's pool)."""
    return a + b


@app.tool
async def greet(name: str, punctuation: str = "!") -> str:
    """Greet someone (an async tool)."""
    await asyncio.sleep(0)
    return f"Hello, {name}{punctuation}"


@app.tool
def divide(a: float, b: float) -> float:
    """Divide a by b; dividing by zero is a tool error."""
    if b == 0:
        raise ToolError("cannot divide by zero")
    return a / b


class Forecast(msgspec.Struct):
    city: str
    temperatures: list[float]


@app.tool
async def forecast(city: str, days: int = 2) -> Forecast:
    """A structured result with an object output schema."""
    return Forecast(city, [20.5 + day for day in range(days)])


@app.tool
def chart() -> list[str | Image]:
    """Mixed content: text and a PNG image."""
    return ["A chart:", Image(PNG, "image/png")]


@app.tool
async def wait(seconds: float, ctx: Context) -> str:
    """Sleep, then note in the session that it finished (cancellation leaves no note)."""
    await asyncio.sleep(seconds)
    await ctx.set_state("waited", f"{seconds:g} s")
    return f"waited {seconds:g} s"


@app.tool
def pid() -> int:
    """The server's process id (each stdio session is its own process)."""
    return os.getpid()


@app.tool
async def count(ctx: Context, step: int = 1) -> int:
    """Add `step` to this session's counter and return it (session state)."""
    value: int = await ctx.get_state("count", 0) + step
    await ctx.set_state("count", value)
    return value


@app.tool
def remember(key: str, value: str, ctx: Context) -> str:
    """Store a value in the session (a sync tool: it waits on the futures with .get())."""
    previous = ctx.get_state(key).get(timeout=5)
    ctx.set_state(key, value).get(timeout=5)
    return f"{key}={value} (was {previous})"


@app.tool
async def recall(key: str, ctx: Context) -> str | None:
    """The session's value for `key`, or null."""
    value: str | None = await ctx.get_state(key)
    return value


@app.tool
async def work(ctx: Context, steps: int = 3) -> str:
    """Log and report progress at every step."""
    for step in range(1, steps + 1):
        await ctx.info(f"step {step} of {steps}", logger_name="work")
        await ctx.report_progress(step, steps, f"step {step}")
    await ctx.debug("work done")  # filtered out at the client's `info` level
    return f"did {steps} steps"


@app.tool
async def summarize(text: str, ctx: Context) -> str:
    """Ask the client's model to summarize `text` (sampling)."""
    result = await ctx.sample(
        f"Summarize: {text}", system_prompt="Be brief.", temperature=0.5, max_tokens=64
    )
    content = result.content[0] if isinstance(result.content, list) else result.content
    return f"{result.model}: {getattr(content, 'text', content)}"


@app.tool
def summarize_sync(text: str, ctx: Context) -> str:
    """The same from a sync tool, which waits on the future with .get()."""
    result = ctx.sample(f"Summarize: {text}", max_tokens=64).get(timeout=30)
    content = result.content[0] if isinstance(result.content, list) else result.content
    return f"{result.model}: {getattr(content, 'text', content)}"


@dataclass
class Booking:
    date: str
    guests: int
    vegetarian: bool = False


@app.tool
async def book_table(restaurant: str, ctx: Context) -> str:
    """Ask the user for a date and a number of guests (form elicitation)."""
    answer = await ctx.elicit(f"Booking at {restaurant}: which date, how many guests?", Booking)
    if isinstance(answer, AcceptedElicitation):
        booking: Booking = answer.data
        diet = ", vegetarian" if booking.vegetarian else ""
        return f"booked {restaurant} for {booking.guests} on {booking.date}{diet}"
    if isinstance(answer, DeclinedElicitation):
        return "the user declined"
    assert isinstance(answer, CancelledElicitation)
    return "the user cancelled"


class Size(enum.Enum):
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


@dataclass
class Drink:
    kind: Literal["tea", "coffee", "cocoa"]
    size: Size = Size.MEDIUM
    sugar: int = 0


@app.tool
async def order_drink(ctx: Context) -> str:
    """Elicit a form with enum and Literal fields."""
    answer = await ctx.elicit("What would you like?", Drink)
    if isinstance(answer, DeclinedElicitation | CancelledElicitation):
        return answer.action
    drink: Drink = answer.data
    return f"{drink.size.name.lower()} {drink.kind}, {drink.sugar} sugar"


@app.tool
async def pick_size(ctx: Context) -> str:
    """Elicit one enum value (wrapped in a one-field form)."""
    answer = await ctx.elicit("Which size?", Size)
    if isinstance(answer, DeclinedElicitation | CancelledElicitation):
        return answer.action
    size: Size = answer.data
    return f"picked {size.name}"


@app.tool
async def list_roots(ctx: Context) -> list[str]:
    """The client's roots, as `name=uri` (roots/list)."""
    return [f"{root.name}={root.uri}" for root in await ctx.list_roots()]


# -- for the 2026-07-28 (modern) tests: several MRTR rounds, state handles, list changes -------

#: How many times `plan_trip`'s `once` function ran, per trip (it must run once per request,
#: however many MRTR rounds replay the handler).
TICKETS_ISSUED: dict[str, int] = {}


@dataclass
class Destination:
    city: str
    nights: int


@app.tool
async def plan_trip(trip: str, ctx: Context) -> str:
    """Elicit, then sample, then list roots: three inputs, one after the other.

    In the 2026-07-28 era each one is a round of its own (the handler replays from the start);
    `ctx.round_state` counts the attempts and `ctx.once` issues one ticket per request.
    """
    attempts = ctx.round_state["attempts"] = ctx.round_state.get("attempts", 0) + 1

    def issue() -> str:
        TICKETS_ISSUED[trip] = TICKETS_ISSUED.get(trip, 0) + 1
        return f"ticket-{trip}"

    ticket = await ctx.once("ticket", issue)
    answer = await ctx.elicit(f"Trip {trip}: where to, and for how long?", Destination, key="where")
    if not isinstance(answer, AcceptedElicitation):
        return f"{ticket}: no trip ({answer.action}) after {attempts} attempt(s)"
    where: Destination = answer.data
    sampled = await ctx.sample(f"Describe {where.city}", max_tokens=32, key="describe")
    content = sampled.content[0] if isinstance(sampled.content, list) else sampled.content
    roots = await ctx.list_roots(key="roots")
    return (
        f"{ticket}: {where.nights} nights in {where.city} ({getattr(content, 'text', content)}), "
        f"files in {','.join(root.name or '' for root in roots)}; {attempts} attempt(s), "
        f"{TICKETS_ISSUED[trip]} ticket(s) issued"
    )


@app.tool
async def open_scope(ctx: Context) -> str:
    """Mint a state handle (a state scope for requests without a session) and return it."""
    handle: str = await ctx.new_state_handle()
    return handle


def _dynamic_tool() -> str:
    """A tool that `toggle_tool` adds and removes."""
    return "dynamic"


@app.tool
async def toggle_tool(ctx: Context) -> bool:
    """Add the tool `dynamic_tool` (or remove it), then notify; true if it was added."""
    added = app.remove_tool("dynamic_tool") is None
    if added:
        app.add_tool(_dynamic_tool, name="dynamic_tool")
    await ctx.send_tool_list_changed()
    return added


@app.tool
async def touch(uri: str, ctx: Context) -> str:
    """Tell the subscribers of `uri` that it changed (`notifications/resources/updated`)."""
    await ctx.notify_resource_updated(uri)
    return f"touched {uri}"


# -- resources, templates, prompts, completions -------------------------------------------------


@app.resource("config://app", mime_type="application/json", description="The app's settings.")
def config() -> str:
    return '{"theme": "dark"}'


@app.resource("data://blob", mime_type="application/octet-stream")
def blob() -> bytes:
    return BLOB


@app.resource("users://{user_id}/profile", mime_type="text/plain")
def profile(user_id: int) -> str:
    """A user's profile; `user_id` arrives as an int."""
    return f"user {user_id} ({type(user_id).__name__}), next is {user_id + 1}"


@app.prompt(completions={"language": ["Python", "Elixir", "Erlang"]})
def review(code: str, language: str = "Python") -> str:
    """Ask for a code review."""
    return f"Review this {language} code:\n{code}"


@app.completion("users://{user_id}/profile", "user_id")
def complete_user(value: str) -> list[str]:
    return [str(n) for n in (7, 42, 420, 4200) if str(n).startswith(value)]


if __name__ == "__main__":
    app.run()
    # Reached only when the server stops by itself (stdin closed), not when it is killed.
    print("fixture server: stdin closed, exiting", file=sys.stderr, flush=True)
