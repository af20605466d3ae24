# Method tables of the legacy revisions and the typed decode of `params`/`result`.
#
# Rules:
#   * The tables below are the single list of legacy MCP methods: which Struct their
#     params decode into, which Struct their result is, and which side may send them.
#     When a method first appeared is a version fact and lives in `versions`.
#   * `jsonrpc.decode` leaves `params`/`result` as `msgspec.Raw`; the functions here
#     decode that Raw in one msgspec pass with a decoder built once, at import (or on
#     first use, for `decode_params` with a type not in the tables).
#   * In-process callers may pass params that are already a Struct: the expected type
#     is used as is; anything else is encoded once and validated like wire bytes.
#   * A validation failure becomes `InvalidParams` (-32602) whose message names the bad
#     field by JSON path, rooted at the message: "... - at `$.params.ref.type`".

"""Method tables (method -> params/result Struct) and typed params/result decoding."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from fastestmcp.protocol.errors import InvalidParams, InvalidResult, MethodNotFound

from .common import EmptyResult, NotificationParams, PaginatedRequestParams, RequestParams
from .completion import CompleteRequestParams, CompleteResult
from .elicitation import ElicitationCompleteNotificationParams, ElicitRequestParams, ElicitResult
from .lifecycle import InitializeRequestParams, InitializeResult
from .logs import LoggingMessageNotificationParams, SetLevelRequestParams
from .notifications import CancelledNotificationParams, ProgressNotificationParams
from .prompts import GetPromptRequestParams, GetPromptResult, ListPromptsResult
from .resources import (
    ListResourcesResult,
    ListResourceTemplatesResult,
    ReadResourceRequestParams,
    ReadResourceResult,
    ResourceUpdatedNotificationParams,
    SubscribeRequestParams,
    UnsubscribeRequestParams,
)
from .roots import ListRootsResult
from .sampling import CreateMessageRequestParams, CreateMessageResult
from .tools import CallToolRequestParams, CallToolResult, ListToolsResult

__all__ = (
    "CLIENT_NOTIFICATIONS",
    "CLIENT_REQUESTS",
    "NOTIFICATION_PARAMS",
    "REQUEST_PARAMS",
    "REQUEST_RESULTS",
    "SERVER_NOTIFICATIONS",
    "SERVER_REQUESTS",
    "decode_notification_params",
    "decode_params",
    "decode_request_params",
    "decode_result",
)

S = TypeVar("S", bound=msgspec.Struct)

REQUEST_PARAMS: dict[str, type[msgspec.Struct]] = {
    "initialize": InitializeRequestParams,
    "ping": RequestParams,
    "tools/list": PaginatedRequestParams,
    "tools/call": CallToolRequestParams,
    "resources/list": PaginatedRequestParams,
    "resources/templates/list": PaginatedRequestParams,
    "resources/read": ReadResourceRequestParams,
    "resources/subscribe": SubscribeRequestParams,
    "resources/unsubscribe": UnsubscribeRequestParams,
    "prompts/list": PaginatedRequestParams,
    "prompts/get": GetPromptRequestParams,
    "completion/complete": CompleteRequestParams,
    "logging/setLevel": SetLevelRequestParams,
    "sampling/createMessage": CreateMessageRequestParams,
    "elicitation/create": ElicitRequestParams,
    "roots/list": RequestParams,
}
"""Request method -> the Struct its ``params`` decode into."""

REQUEST_RESULTS: dict[str, type[msgspec.Struct]] = {
    "initialize": InitializeResult,
    "ping": EmptyResult,
    "tools/list": ListToolsResult,
    "tools/call": CallToolResult,
    "resources/list": ListResourcesResult,
    "resources/templates/list": ListResourceTemplatesResult,
    "resources/read": ReadResourceResult,
    "resources/subscribe": EmptyResult,
    "resources/unsubscribe": EmptyResult,
    "prompts/list": ListPromptsResult,
    "prompts/get": GetPromptResult,
    "completion/complete": CompleteResult,
    "logging/setLevel": EmptyResult,
    "sampling/createMessage": CreateMessageResult,
    "elicitation/create": ElicitResult,
    "roots/list": ListRootsResult,
}
"""Request method -> the Struct of its ``result``."""

NOTIFICATION_PARAMS: dict[str, type[msgspec.Struct]] = {
    "notifications/initialized": NotificationParams,
    "notifications/cancelled": CancelledNotificationParams,
    "notifications/progress": ProgressNotificationParams,
    "notifications/message": LoggingMessageNotificationParams,
    "notifications/resources/updated": ResourceUpdatedNotificationParams,
    "notifications/resources/list_changed": NotificationParams,
    "notifications/tools/list_changed": NotificationParams,
    "notifications/prompts/list_changed": NotificationParams,
    "notifications/roots/list_changed": NotificationParams,
    "notifications/elicitation/complete": ElicitationCompleteNotificationParams,
}
"""Notification method -> the Struct its ``params`` decode into."""

CLIENT_REQUESTS: frozenset[str] = frozenset(
    {
        "initialize",
        "ping",
        "tools/list",
        "tools/call",
        "resources/list",
        "resources/templates/list",
        "resources/read",
        "resources/subscribe",
        "resources/unsubscribe",
        "prompts/list",
        "prompts/get",
        "completion/complete",
        "logging/setLevel",
    }
)
"""Requests a client sends and a server serves."""

SERVER_REQUESTS: frozenset[str] = frozenset(
    {"ping", "sampling/createMessage", "elicitation/create", "roots/list"}
)
"""Requests a server sends and a client serves."""

CLIENT_NOTIFICATIONS: frozenset[str] = frozenset(
    {
        "notifications/initialized",
        "notifications/cancelled",
        "notifications/progress",
        "notifications/roots/list_changed",
    }
)
"""Notifications a client sends."""

SERVER_NOTIFICATIONS: frozenset[str] = frozenset(
    {
        "notifications/cancelled",
        "notifications/progress",
        "notifications/message",
        "notifications/resources/updated",
        "notifications/resources/list_changed",
        "notifications/tools/list_changed",
        "notifications/prompts/list_changed",
        "notifications/elicitation/complete",
    }
)
"""Notifications a server sends."""

_DECODERS: dict[type[Any], msgspec.json.Decoder[Any]] = {
    cls: msgspec.json.Decoder(cls)
    for table in (REQUEST_PARAMS, REQUEST_RESULTS, NOTIFICATION_PARAMS)
    for cls in table.values()
}
_REQUEST_DECODERS = {m: _DECODERS[cls] for m, cls in REQUEST_PARAMS.items()}
_RESULT_DECODERS = {m: _DECODERS[cls] for m, cls in REQUEST_RESULTS.items()}
_NOTIFICATION_DECODERS = {m: _DECODERS[cls] for m, cls in NOTIFICATION_PARAMS.items()}
_EMPTY_OBJECT_RAW = msgspec.Raw(b"{}")
_ENCODER = msgspec.json.Encoder()

_RequestId = str | int
_Params = msgspec.Raw | msgspec.Struct | dict[str, Any]


def decode_params(
    params_type: type[S],
    params: _Params | None,
    *,
    method: str,
    request_id: _RequestId | None = None,
) -> S:
    """Decode raw params into a given Struct (one msgspec pass).

    Absent params decode as ``{}``, so Structs with only optional fields work.

    Args:
        params_type: The Struct to decode into; its decoder is built once and cached.
        params: The ``params`` of a `jsonrpc.Request`/`Notification`: ``Raw`` from
            the wire, ``None`` when absent, or (in-process) an instance of
            ``params_type`` (returned as is) or another Struct or dict (encoded once
            and validated like wire bytes).
        method: The method name, for the error message.
        request_id: The request's id, recorded on the error.

    Returns:
        The decoded params.

    Raises:
        InvalidParams: The params do not match ``params_type`` (-32602); the message
            names the bad field's path, e.g. ``$.params.name``.
    """
    decoder = _DECODERS.get(params_type)
    if decoder is None:
        decoder = _DECODERS.setdefault(params_type, msgspec.json.Decoder(params_type))
    result: S = _decode(decoder, params, method=method, request_id=request_id)
    return result


def decode_request_params(
    method: str,
    params: _Params | None,
    *,
    request_id: _RequestId | None = None,
) -> msgspec.Struct:
    """Decode a request's params into the Struct `REQUEST_PARAMS` names for its method.

    Args:
        method: The request's method.
        params: The request's params (see `decode_params`).
        request_id: The request's id, recorded on any error.

    Returns:
        An instance of ``REQUEST_PARAMS[method]``.

    Raises:
        MethodNotFound: ``method`` is not a legacy MCP request (-32601).
        InvalidParams: The params do not match (-32602), with the field's path.
    """
    decoder = _REQUEST_DECODERS.get(method)
    if decoder is None:
        raise MethodNotFound.for_method(method, request_id=request_id)
    result: msgspec.Struct = _decode(decoder, params, method=method, request_id=request_id)
    return result


def decode_notification_params(method: str, params: _Params | None) -> msgspec.Struct:
    """Decode a notification's params into ``NOTIFICATION_PARAMS[method]``.

    Args:
        method: The notification's method.
        params: Its params (see `decode_params`).

    Returns:
        The decoded params.

    Raises:
        MethodNotFound: Unknown notification; JSON-RPC says to ignore it, not reply.
        InvalidParams: The params do not match; log it, notifications get no reply.
    """
    decoder = _NOTIFICATION_DECODERS.get(method)
    if decoder is None:
        raise MethodNotFound.for_method(method)
    result: msgspec.Struct = _decode(decoder, params, method=method, request_id=None)
    return result


def decode_result(
    method: str,
    result: _Params,
    *,
    request_id: _RequestId | None = None,
) -> msgspec.Struct:
    """Decode the raw result of a request we sent into ``REQUEST_RESULTS[method]``.

    Args:
        method: The method of the request the result answers.
        result: The `jsonrpc.Response` ``result`` (``Raw`` from the wire; a Struct or
            dict is encoded once and validated like wire bytes).
        request_id: The request's id, recorded on any error.

    Returns:
        The decoded result.

    Raises:
        MethodNotFound: ``method`` is not a legacy MCP request.
        InvalidResult: The peer's result does not match the schema; the message names
            the bad field's path, e.g. ``$.result.content[0].type``.
    """
    decoder = _RESULT_DECODERS.get(method)
    if decoder is None:
        raise MethodNotFound.for_method(method, request_id=request_id)
    try:
        value: msgspec.Struct = decoder.decode(_as_json(result))
    except (msgspec.ValidationError, RecursionError) as exc:
        raise InvalidResult(
            f"Invalid result for {method!r} from the peer: {_at(exc, '$.result')}; "
            "the peer does not follow the MCP schema for this method",
            request_id=request_id,
        ) from None
    return value


def _decode(
    decoder: msgspec.json.Decoder[Any],
    params: _Params | None,
    *,
    method: str,
    request_id: _RequestId | None,
) -> Any:
    data: msgspec.Raw | bytes
    if params is None:
        data = _EMPTY_OBJECT_RAW
    elif isinstance(params, msgspec.Raw):
        data = params
    elif type(params) is decoder.type:
        return params  # already the right Struct (in-process callers)
    else:
        data = _as_json(params)
    try:
        return decoder.decode(data)
    except (msgspec.ValidationError, RecursionError) as exc:
        raise InvalidParams(
            f"Invalid params for {method!r}: {_at(exc, '$.params')}; fix that field and retry",
            request_id=request_id,
        ) from None


def _as_json(value: _Params) -> msgspec.Raw | bytes:
    # Raw is decoded as is; a dict or a Struct from an in-process caller is encoded
    # once so that it is validated exactly like bytes from the wire.
    if isinstance(value, msgspec.Raw):
        return value
    return _ENCODER.encode(value)


def _at(exc: BaseException, root: str) -> str:
    if isinstance(exc, RecursionError):
        return f"the value is nested too deeply - at `{root}`"
    text = str(exc)
    marker = " - at `$"
    if marker in text:
        return text.replace(marker, f" - at `{root}", 1)
    return f"{text} - at `{root}`"
