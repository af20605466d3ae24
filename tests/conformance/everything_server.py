"""The conformance fixture: every tool, resource and prompt the official suite expects.

    python tests/conformance/everything_server.py --port 3001

Serves streamable HTTP at http://127.0.0.1:PORT/mcp with fastestmcp's public API only.
Names and behaviours follow the suite's server scenarios for both eras (2025-06-18,
2025-11-25 and 2026-07-28, on the same endpoint); `tests/conformance/run.py` starts it and
runs the suite against it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
from typing import Annotated, Any

import msgspec

import fastestmcp
from fastestmcp import Audio, Context, Image, ToolError
from fastestmcp.protocol.types import EmbeddedResource, ResourceContents
from fastestmcp.server import Message

# A 1x1 PNG and a short silent WAV: real files, small enough to inline.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
WAV = (
    b"RIFF"
    + (36 + 8).to_bytes(4, "little")
    + b"WAVEfmt "
    + (16).to_bytes(4, "little")
    + (1).to_bytes(2, "little")  # PCM
    + (1).to_bytes(2, "little")  # mono
    + (8000).to_bytes(4, "little")
    + (16000).to_bytes(4, "little")
    + (2).to_bytes(2, "little")
    + (16).to_bytes(2, "little")
    + b"data"
    + (8).to_bytes(4, "little")
    + bytes(8)
)

app = fastestmcp.server(
    "fastestmcp-conformance",
    "The fixture server of fastestmcp's conformance runs.",
)


# --------------------------------------------------------------------------------------------
# Tools: content


@app.tool
def test_simple_text() -> str:
    """Returns a simple text response."""
    return "This is a simple text response for testing."


@app.tool
def test_image_content() -> Image:
    """Returns a PNG image."""
    return Image(PNG, "image/png")


@app.tool
def test_audio_content() -> Audio:
    """Returns a WAV audio clip."""
    return Audio(WAV, "audio/wav")


@app.tool
def test_embedded_resource() -> EmbeddedResource:
    """Returns an embedded text resource."""
    return EmbeddedResource(
        resource=ResourceContents(
            uri="test://embedded-resource",
            mime_type="text/plain",
            text="This is an embedded resource content.",
        )
    )


@app.tool
def test_multiple_content_types() -> list[Any]:
    """Returns text, an image and an embedded JSON resource."""
    return [
        "Multiple content types test:",
        Image(PNG, "image/png"),
        EmbeddedResource(
            resource=ResourceContents(
                uri="test://mixed-content-resource",
                mime_type="application/json",
                text=json.dumps({"test": "data", "value": 123}),
            )
        ),
    ]


@app.tool
def test_error_handling() -> str:
    """Always fails: a tool error, reported as an isError result."""
    raise ToolError("This tool intentionally returns an error for testing")


# --------------------------------------------------------------------------------------------
# Tools: logging, progress, reconnection


@app.tool
async def test_tool_with_logging(ctx: Context) -> str:
    """Logs three messages while it runs."""
    await ctx.info("Tool execution started")
    await asyncio.sleep(0.05)
    await ctx.info("Tool processing data")
    await asyncio.sleep(0.05)
    await ctx.info("Tool execution completed")
    return "Tool with logging executed successfully"


@app.tool
async def test_tool_with_progress(ctx: Context) -> str:
    """Reports progress 0, 50 and 100 of 100."""
    for step, progress in enumerate((0, 50, 100)):
        if step:
            await asyncio.sleep(0.05)
        await ctx.report_progress(progress, 100, f"step {step + 1} of 3")
    return "Tool with progress executed successfully"


@app.tool
async def test_reconnection(ctx: Context) -> str:
    """Closes its own SSE stream mid-call (SEP-1699); the client reconnects with
    Last-Event-ID and gets the result on the resumed stream."""
    await ctx.close_sse_stream()
    await asyncio.sleep(0.2)
    return "Reconnection test completed successfully"


# --------------------------------------------------------------------------------------------
# Tools: requests to the client


def _require(ctx: Context, capability: str) -> None:
    caps = ctx.capabilities
    if caps is None or getattr(caps, capability, None) is None:
        raise ToolError(f"the client did not declare the {capability!r} capability")


@app.tool
async def test_sampling(prompt: str, ctx: Context) -> str:
    """Asks the client's model to answer `prompt` (sampling/createMessage).

    Args:
        prompt: The prompt to send to the model.
    """
    _require(ctx, "sampling")
    reply = await ctx.sample(prompt, max_tokens=100)
    text = getattr(reply.content, "text", None)
    return f"LLM response: {text if text is not None else reply.content}"


async def _elicit(ctx: Context, message: str, schema: dict[str, Any]) -> dict[str, Any]:
    _require(ctx, "elicitation")
    answer = await ctx.request_client(
        "elicitation/create", {"message": message, "requestedSchema": schema}
    )
    return dict(answer) if isinstance(answer, dict) else {"action": str(answer)}


@app.tool
async def test_elicitation(message: str, ctx: Context) -> str:
    """Asks the user for a username and an email address (elicitation/create).

    Args:
        message: The message shown to the user.
    """
    answer = await _elicit(
        ctx,
        message,
        {
            "type": "object",
            "properties": {
                "username": {"type": "string", "description": "User's response"},
                "email": {"type": "string", "description": "User's email address"},
            },
            "required": ["username", "email"],
        },
    )
    return f"User response: action={answer.get('action')}, content={answer.get('content')}"


@app.tool
async def test_elicitation_sep1034_defaults(ctx: Context) -> str:
    """Elicits a form whose every field has a default (SEP-1034)."""
    answer = await _elicit(
        ctx,
        "Please review and update the form fields with defaults",
        {
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "User name", "default": "John Doe"},
                "age": {"type": "integer", "description": "User age", "default": 30},
                "score": {"type": "number", "description": "User score", "default": 95.5},
                "status": {
                    "type": "string",
                    "description": "User status",
                    "enum": ["active", "inactive", "pending"],
                    "default": "active",
                },
                "verified": {
                    "type": "boolean",
                    "description": "Verification status",
                    "default": True,
                },
            },
            "required": [],
        },
    )
    content = json.dumps(answer.get("content"))
    return f"Elicitation completed: action={answer.get('action')}, content={content}"


@app.tool
async def test_elicitation_sep1330_enums(ctx: Context) -> str:
    """Elicits the five enum forms of SEP-1330."""
    answer = await _elicit(
        ctx,
        "Please select options from the enum fields",
        {
            "type": "object",
            "properties": {
                "untitledSingle": {
                    "type": "string",
                    "description": "Choose one option",
                    "enum": ["option1", "option2", "option3"],
                },
                "titledSingle": {
                    "type": "string",
                    "description": "Choose one titled option",
                    "oneOf": [
                        {"const": "value1", "title": "First Option"},
                        {"const": "value2", "title": "Second Option"},
                        {"const": "value3", "title": "Third Option"},
                    ],
                },
                "legacyEnum": {
                    "type": "string",
                    "description": "Choose one option (legacy titles)",
                    "enum": ["opt1", "opt2", "opt3"],
                    "enumNames": ["Option One", "Option Two", "Option Three"],
                },
                "untitledMulti": {
                    "type": "array",
                    "description": "Choose several options",
                    "minItems": 1,
                    "maxItems": 3,
                    "items": {"type": "string", "enum": ["option1", "option2", "option3"]},
                },
                "titledMulti": {
                    "type": "array",
                    "description": "Choose several titled options",
                    "minItems": 1,
                    "maxItems": 3,
                    "items": {
                        "anyOf": [
                            {"const": "value1", "title": "First Choice"},
                            {"const": "value2", "title": "Second Choice"},
                            {"const": "value3", "title": "Third Choice"},
                        ]
                    },
                },
            },
            "required": [],
        },
    )
    content = json.dumps(answer.get("content"))
    return f"Elicitation completed: action={answer.get('action')}, content={content}"


# --------------------------------------------------------------------------------------------
# Tools: JSON Schema 2020-12, published verbatim

JSON_SCHEMA_2020_12: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {
        "address": {
            "$anchor": "addressDef",
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        }
    },
    "properties": {
        "name": {"type": "string"},
        "address": {"$ref": "#/$defs/address"},
        "contactMethod": {"type": "string", "enum": ["phone", "email"]},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    },
    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]},
    "additionalProperties": False,
}


def json_schema_2020_12_tool(arguments: dict[str, Any]) -> str:
    return f"JSON Schema 2020-12 tool called with: {json.dumps(arguments, sort_keys=True)}"


app.add_tool(
    json_schema_2020_12_tool,
    input_schema=JSON_SCHEMA_2020_12,
    description="Tool with JSON Schema 2020-12 features",
)


# --------------------------------------------------------------------------------------------
# Resources


@app.resource(
    "test://static-text",
    name="static-text",
    description="A static text resource for testing",
    mime_type="text/plain",
)
def static_text() -> str:
    return "This is the content of the static text resource."


@app.resource(
    "test://static-binary",
    name="static-binary",
    description="A static binary (PNG) resource for testing",
    mime_type="image/png",
)
def static_binary() -> bytes:
    return PNG


@app.resource(
    "test://watched-resource",
    name="watched-resource",
    description="A resource clients may subscribe to",
    mime_type="text/plain",
)
def watched_resource() -> str:
    return "Watched resource content"


@app.resource(
    "test://template/{id}/data",
    name="template-data",
    description="A resource template with one parameter",
    mime_type="application/json",
)
def template_data(id: str) -> dict[str, Any]:
    return {"id": id, "templateTest": True, "data": f"Data for ID: {id}"}


# --------------------------------------------------------------------------------------------
# Prompts


@app.prompt
def test_simple_prompt() -> str:
    """A prompt without arguments."""
    return "This is a simple prompt for testing."


@app.prompt(completions={"arg1": ["paris", "park", "party", "lyon"]})
def test_prompt_with_arguments(arg1: str, arg2: str) -> str:
    """A prompt with two required arguments.

    Args:
        arg1: The first argument.
        arg2: The second argument.
    """
    return f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"


@app.prompt
def test_prompt_with_embedded_resource(resourceUri: str) -> list[Message]:
    """A prompt that embeds a resource.

    Args:
        resourceUri: The URI of the resource to embed.
    """
    embedded = EmbeddedResource(
        resource=ResourceContents(
            uri=resourceUri, mime_type="text/plain", text="Embedded resource content for testing."
        )
    )
    return [Message(embedded), Message("Please process the embedded resource above.")]


@app.prompt
def test_prompt_with_image() -> list[Message]:
    """A prompt that carries an image."""
    return [Message(Image(PNG, "image/png")), Message("Please analyze the image above.")]


# --------------------------------------------------------------------------------------------
# The 2026-07-28 contract. The same `Context` calls as above: for a modern client each
# elicit/sample/list_roots ends the attempt with an InputRequiredResult (MRTR) and the tool
# runs again with the answers; a legacy client gets them as requests to the client.

_NAME_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}},
    "required": ["name"],
}


def _elicit_input(ctx: Context, message: str, schema: dict[str, Any], key: str) -> Any:
    return ctx.request_client(
        "elicitation/create", {"message": message, "requestedSchema": schema}, key=key
    )


def _content(answer: Any) -> dict[str, Any]:
    return dict(answer.content or {}) if getattr(answer, "action", None) == "accept" else {}


@app.tool
async def test_input_required_result_elicitation(ctx: Context) -> str:
    """Asks for the user's name, then greets them."""
    answer = await _elicit_input(ctx, "What is your name?", _NAME_SCHEMA, "user_name")
    return f"Hello, {_content(answer).get('name', 'stranger')}!"


@app.tool
async def test_input_required_result_sampling(ctx: Context) -> str:
    """Asks the client's model a question."""
    reply = await ctx.sample(
        "What is the capital of France?", max_tokens=100, key="capital_question"
    )
    return f"The model says: {getattr(reply.content, 'text', reply.content)}"


@app.tool
async def test_input_required_result_list_roots(ctx: Context) -> str:
    """Lists the client's roots."""
    roots = await ctx.list_roots(key="client_roots")
    return "Roots: " + (", ".join(root.uri for root in roots) or "(none)")


@app.tool
async def test_input_required_result_request_state(ctx: Context) -> str:
    """Keeps a value across rounds in requestState, then asks for a confirmation."""
    carried = ctx.round_state.get("marker")
    if carried is None:
        ctx.round_state["marker"] = "state-ok"
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    answer = await _elicit_input(ctx, "Please confirm", schema, "confirm")
    return f"confirmed={_content(answer).get('ok')}; {carried}"


@app.tool
async def test_input_required_result_multiple_inputs(ctx: Context) -> str:
    """Asks for a name, a sampled greeting and the roots in one round."""
    ctx.round_state.setdefault("round", "multiple")
    # Make every future before awaiting any: each records its input request.
    name_f = _elicit_input(ctx, "What is your name?", _NAME_SCHEMA, "user_name")
    greeting_f = ctx.sample("Generate a greeting", max_tokens=50, key="greeting")
    roots_f = ctx.list_roots(key="client_roots")
    name, greeting, roots = await name_f, await greeting_f, await roots_f
    text = getattr(greeting.content, "text", greeting.content)
    return f"{text}, {_content(name).get('name')}! Roots: {len(roots)}"


@app.tool
async def test_input_required_result_multi_round(ctx: Context) -> str:
    """Asks two questions, one round each."""
    step1 = await _elicit_input(ctx, "Step 1: What is your name?", _NAME_SCHEMA, "step1")
    color_schema = {
        "type": "object",
        "properties": {"color": {"type": "string"}},
        "required": ["color"],
    }
    step2 = await _elicit_input(ctx, "Step 2: What is your favorite color?", color_schema, "step2")
    return f"{_content(step1).get('name')} likes {_content(step2).get('color')}"


@app.tool
async def test_input_required_result_tampered_state(ctx: Context) -> str:
    """Like the request-state tool: a tampered requestState is refused (-32602)."""
    ctx.round_state["marker"] = "sealed"
    answer = await _elicit_input(ctx, "Please confirm", _NAME_SCHEMA, "confirm")
    return f"Hello, {_content(answer).get('name')}!"


@app.tool
async def test_input_required_result_capabilities(ctx: Context) -> str:
    """Asks only for the inputs the client declared it can give."""
    caps = ctx.capabilities
    pending = []
    if caps is not None and caps.elicitation is not None:
        pending.append(_elicit_input(ctx, "What is your name?", _NAME_SCHEMA, "user_name"))
    if caps is not None and caps.sampling is not None:
        pending.append(ctx.sample("Generate a greeting", max_tokens=50, key="greeting"))
    if caps is not None and caps.roots is not None:
        pending.append(ctx.list_roots(key="client_roots"))
    for future in pending:
        await future
    return f"{len(pending)} input(s) answered"


@app.tool
async def test_missing_capability(ctx: Context) -> str:
    """Needs sampling: a client without it gets -32021 (2026-07-28)."""
    reply = await ctx.sample("Say hello", max_tokens=20)
    return f"LLM response: {getattr(reply.content, 'text', reply.content)}"


@app.tool
def test_x_mcp_header(
    region: Annotated[str, msgspec.Meta(extra_json_schema={"x-mcp-header": "Region"})],
) -> str:
    """Echoes `region`, which clients also send as the Mcp-Param-Region header.

    Args:
        region: A region name.
    """
    return f"region={region}"


@app.tool
async def test_streaming_elicitation(ctx: Context) -> str:
    """Reports progress, then asks for a name (modern: an InputRequiredResult, never a
    request to the client on the response stream)."""
    await ctx.report_progress(0, 1, "about to ask")
    answer = await _elicit_input(ctx, "What is your name?", _NAME_SCHEMA, "user_name")
    return f"Hello, {_content(answer).get('name')}!"


@app.tool
async def test_logging_tool(ctx: Context) -> str:
    """Logs at every level (modern: only when the request's _meta asked for a logLevel)."""
    for level in ("debug", "info", "warning", "error"):
        await ctx.log(f"a {level} message", level)
    return "logged"


def _dynamic_tool() -> str:
    """A tool that test_trigger_tool_change adds and removes."""
    return "dynamic"


def _dynamic_prompt() -> str:
    """A prompt that test_trigger_prompt_change adds and removes."""
    return "dynamic"


@app.tool
async def test_trigger_tool_change(ctx: Context) -> str:
    """Adds (or removes) a tool, then notifies every listener."""
    if app.remove_tool("dynamic_tool") is None:
        app.add_tool(_dynamic_tool, name="dynamic_tool")
    await ctx.send_tool_list_changed()
    return "tool list changed"


@app.tool
async def test_trigger_prompt_change(ctx: Context) -> str:
    """Adds (or removes) a prompt, then notifies every listener."""
    if app.remove_prompt("dynamic_prompt") is None:
        app.add_prompt(_dynamic_prompt, name="dynamic_prompt")
    await ctx.send_prompt_list_changed()
    return "prompt list changed"


@app.prompt
async def test_input_required_result_prompt(ctx: Context) -> list[Message]:
    """A prompt that asks the user for its context first."""
    schema = {
        "type": "object",
        "properties": {"context": {"type": "string"}},
        "required": ["context"],
    }
    answer = await _elicit_input(ctx, "What context should the prompt use?", schema, "user_context")
    return [Message(f"Use this context: {_content(answer).get('context')}")]


def main() -> None:
    parser = argparse.ArgumentParser(description="fastestmcp's conformance fixture server")
    parser.add_argument("--port", type=int, default=3001)
    parser.add_argument("--host", default="127.0.0.1")
    options = parser.parse_args()
    app.run(transport="http", host=options.host, port=options.port, path="/mcp")


if __name__ == "__main__":
    main()
