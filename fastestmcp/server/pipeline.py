# The request pipeline: one async function per MCP method, the same for every entry point.
#
# A session decodes the params (one msgspec pass, into the method's Struct), builds the
# `Context` and calls `HANDLERS[method](session, params, ctx)`; the result Struct is encoded
# once. Lookup, visibility, validation, the call (sync handlers in the bounded pool) and
# result normalisation happen here, in this order, for every transport. `McpError`s become
# JSON-RPC errors; a tool's own failures become `isError` results (in `components`).

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from fastestmcp.protocol import modern, types
from fastestmcp.protocol.errors import InternalError, InvalidParams, ResourceNotFound
from fastestmcp.server.components import ResourceTemplate, Tool

if TYPE_CHECKING:
    from fastestmcp.server.context import Context
    from fastestmcp.server.session import SessionActor

__all__ = ["HANDLERS", "LEVELS", "call_tool", "listen"]

T = TypeVar("T")

#: RFC 5424 severities, in MCP's order (`logging/setLevel` filters by this).
LEVELS = {
    name: rank
    for rank, name in enumerate(
        ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
    )
}

Handler = Callable[["SessionActor", Any, "Context"], Awaitable[Any]]

_EMPTY = types.EmptyResult()


def _scope(session: SessionActor, method: str) -> str:
    # Cursors are bound to the list and the session they were issued for (modern requests
    # share one scope: their lists do not vary per connection).
    return f"{method}:{session.cursor_scope}"


async def list_tools(
    session: SessionActor, params: types.PaginatedRequestParams, ctx: Context
) -> types.ListToolsResult:
    return session.server.list_tools(
        params.cursor, visible=session.visibility, scope=_scope(session, "tools/list")
    )


async def call_tool(
    session: SessionActor, params: types.CallToolRequestParams, ctx: Context
) -> types.CallToolResult:
    server = session.server
    tool = server.get_tool(params.name, visible=session.visibility)
    if tool is None:
        raise InvalidParams(
            f"unknown tool {params.name!r}; tools/list shows the available tools",
            {"name": params.name},
        )
    if ctx.modern and ctx.request_context.path is not None:
        annotated = _param_headers(tool)
        if annotated:
            _check_param_headers(annotated, params.arguments, ctx.request_context.headers)
    run = tool.run(
        params.arguments,
        ctx,
        mask_error_details=server.mask_error_details,
        run_sync=session.run_sync,
    )
    if tool.timeout is None:
        return await run
    try:
        async with asyncio.timeout(tool.timeout):
            return await run
    except TimeoutError:
        ctx._cancelled = True
        return tool.error_result(
            TimeoutError(f"tool {tool.name!r} timed out after {tool.timeout:g} s")
        )


@functools.lru_cache(maxsize=1024)
def _param_headers(tool: Tool) -> dict[str, str] | None:
    """The `x-mcp-header` annotations of a tool, read from its schema once (None: invalid
    annotations, which clients drop the tool for: nothing to compare)."""
    try:
        return modern.x_mcp_headers(tool.input_schema)
    except ValueError:
        return None


def _check_param_headers(
    annotated: dict[str, str], arguments: Any, headers: Mapping[str, str]
) -> None:
    """SEP-2243: arguments annotated `x-mcp-header` must match their `Mcp-Param-*` header."""
    try:
        decoded = msgspec.json.decode(arguments) if arguments else {}
    except msgspec.DecodeError:
        return  # the tool's own argument decode reports it
    if isinstance(decoded, dict):
        modern.check_param_headers(annotated, decoded, headers)


async def list_resources(
    session: SessionActor, params: types.PaginatedRequestParams, ctx: Context
) -> types.ListResourcesResult:
    return session.server.list_resources(
        params.cursor, visible=session.visibility, scope=_scope(session, "resources/list")
    )


async def list_resource_templates(
    session: SessionActor, params: types.PaginatedRequestParams, ctx: Context
) -> types.ListResourceTemplatesResult:
    return session.server.list_resource_templates(
        params.cursor,
        visible=session.visibility,
        scope=_scope(session, "resources/templates/list"),
    )


async def read_resource(
    session: SessionActor, params: types.ReadResourceRequestParams, ctx: Context
) -> types.ReadResourceResult:
    found = session.server.resource_for_uri(params.uri, visible=session.visibility)
    if found is None:
        raise ResourceNotFound.for_uri(params.uri)
    component = found.component
    if isinstance(component, ResourceTemplate):
        return await _timed(
            component.timeout,
            component.run(params.uri, ctx, run_sync=session.run_sync),
        )
    return await _timed(component.timeout, component.run(ctx, run_sync=session.run_sync))


async def subscribe(
    session: SessionActor, params: types.SubscribeRequestParams, ctx: Context
) -> types.EmptyResult:
    if params.uri not in session.meta.subscriptions:
        session.meta.subscriptions.append(params.uri)
        session._save_meta()
    return _EMPTY


async def unsubscribe(
    session: SessionActor, params: types.UnsubscribeRequestParams, ctx: Context
) -> types.EmptyResult:
    if params.uri in session.meta.subscriptions:
        session.meta.subscriptions.remove(params.uri)
        session._save_meta()
    return _EMPTY


async def list_prompts(
    session: SessionActor, params: types.PaginatedRequestParams, ctx: Context
) -> types.ListPromptsResult:
    return session.server.list_prompts(
        params.cursor, visible=session.visibility, scope=_scope(session, "prompts/list")
    )


async def get_prompt(
    session: SessionActor, params: types.GetPromptRequestParams, ctx: Context
) -> types.GetPromptResult:
    prompt = session.server.get_prompt(params.name, visible=session.visibility)
    if prompt is None:
        raise InvalidParams(
            f"unknown prompt {params.name!r}; prompts/list shows the available prompts",
            {"name": params.name},
        )
    return await _timed(
        prompt.timeout,
        prompt.run(params.arguments, ctx, run_sync=session.run_sync),
    )


async def listen(session: SessionActor, wanted: dict[str, Any], ctx: Context) -> Any:
    """`subscriptions/listen` (2026-07-28): acknowledge, then stream notifications until the
    client goes away (closes the stream; on stdio: `notifications/cancelled`)."""
    request_id = ctx.request_id
    assert request_id is not None
    session.add_listener(request_id, wanted)
    try:
        await asyncio.Event().wait()  # ends by cancellation
    finally:
        session.remove_listener(request_id)
    return {}  # pragma: no cover - never reached


async def complete(
    session: SessionActor, params: types.CompleteRequestParams, ctx: Context
) -> types.CompleteResult:
    completer = session.server.completer(params.ref, params.argument.name)
    if completer is None:
        return types.CompleteResult(completion=types.Completion(values=[]))
    context = params.context.arguments if params.context is not None else None
    completion = await completer.complete(params.argument.value, context, run_sync=session.run_sync)
    return types.CompleteResult(completion=completion)


async def _timed(timeout: float | None, work: Awaitable[T]) -> T:
    if timeout is None:
        return await work
    try:
        async with asyncio.timeout(timeout):
            return await work
    except TimeoutError:
        raise InternalError(f"the request timed out after {timeout:g} s") from None


HANDLERS: dict[str, Handler] = {
    "tools/list": list_tools,
    "tools/call": call_tool,
    "resources/list": list_resources,
    "resources/templates/list": list_resource_templates,
    "resources/read": read_resource,
    "resources/subscribe": subscribe,
    "resources/unsubscribe": unsubscribe,
    "prompts/list": list_prompts,
    "prompts/get": get_prompt,
    "completion/complete": complete,
}
