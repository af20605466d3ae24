# JSON-RPC 2.0 framing for MCP: bytes in, typed messages out, and back.
#
# Rules for this module:
#   * No IO, no threads, no asyncio. Callers hand in complete messages (one stdio line,
#     one HTTP body, one WebSocket frame) and get messages or bytes back.
#   * Decoding is one msgspec pass over the envelope. `params` and `result` stay
#     `msgspec.Raw` (a zero-copy slice of the input) so the method-specific decode
#     happens later, in one more pass, straight into the right Struct (see
#     `types.decode_request_params`). No dict round trips.
#   * The envelope is decoded loosely (every member as `Any` or `Raw`) and classified
#     by hand, so a malformed message still yields its id when the id itself is fine,
#     and the error names the member that was wrong.
#   * Codecs are built once, at import.
#
# Classification of one JSON object (first matching rule wins):
#
#   "jsonrpc" missing or not "2.0"           -> InvalidRequest
#   "method" present, not a string           -> InvalidRequest
#   "method" and "result"/"error" together   -> InvalidRequest
#   "params" present, not an object          -> InvalidRequest  (null is read as absent)
#   "method", no "id"                        -> Notification
#   "method", "id" a string or an integer    -> Request
#   "method", "id" anything else (null too)  -> InvalidRequest
#   "result" and "error" together            -> InvalidResponse (an InvalidRequest)
#   "result", "id" a string or an integer    -> Response
#   "error" (an ErrorObject), "id" as above,
#     null or missing                        -> ErrorResponse
#   "result"/"error" otherwise malformed     -> InvalidResponse
#   anything else                            -> InvalidRequest
#
# Bytes that are not UTF-8 or not JSON, and JSON nested deeper than the decoder allows,
# are a ParseError. A JSON array is a batch: accepted only with `allow_batch=True`
# (protocol revision 2025-03-26 is the only one that allows batches; ask
# `versions.features(v).batching`), and an empty batch is always an InvalidRequest.
#
# Error responses whose request id is unknown omit "id" (the 2025-11-25 schema makes it
# optional and does not allow null); decoding accepts both a missing and a null id.

"""JSON-RPC 2.0 messages and their msgspec codecs (sans-IO)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import msgspec
from msgspec import UNSET

from fastestmcp.protocol.errors import (
    InvalidRequest,
    InvalidResponse,
    McpError,
    ParseError,
    error_for_code,
)

__all__ = (
    "Batch",
    "ErrorObject",
    "ErrorResponse",
    "Message",
    "Notification",
    "Params",
    "Request",
    "RequestId",
    "Response",
    "decode",
    "decode_message",
    "encode",
    "encode_batch",
    "encode_into",
    "error_response",
)

RequestId: TypeAlias = str | int
"""A JSON-RPC request id as MCP allows it: a string or an integer, never null."""

Params: TypeAlias = msgspec.Raw | msgspec.Struct | dict[str, Any]
"""What `params`/`result` may hold: `Raw` when decoded; any of these when sent."""

Buffer: TypeAlias = bytes | bytearray | memoryview | str


# The four message classes are built by `decode` and encoded by `encode`; they are not
# meant for a msgspec Decoder of their own (their `params`/`result` unions are not
# decodable types).


class Request(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    omit_defaults=True,
    tag_field="jsonrpc",
    tag="2.0",
):
    """A JSON-RPC request: expects a `Response` or an `ErrorResponse` with its id.

    Attributes:
        id: The request id (a string or an integer).
        method: The method name, e.g. ``"tools/call"``.
        params: ``msgspec.Raw`` (a JSON object) when decoded, or ``None`` when the
            message had no params; any `Params` value when sending.
    """

    id: RequestId
    method: str
    params: Params | None = None


class Notification(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    omit_defaults=True,
    tag_field="jsonrpc",
    tag="2.0",
):
    """A JSON-RPC notification: a method call that gets no reply.

    Attributes:
        method: The method name, e.g. ``"notifications/progress"``.
        params: As for `Request.params`.
    """

    method: str
    params: Params | None = None


class Response(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    tag_field="jsonrpc",
    tag="2.0",
):
    """A successful JSON-RPC response.

    Attributes:
        id: The id of the request this answers.
        result: ``msgspec.Raw`` when decoded; a result Struct or dict when sending.
    """

    id: RequestId
    result: Params


class ErrorObject(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The ``error`` member of an error response.

    Attributes:
        code: The JSON-RPC error code.
        message: A short description of the error.
        data: Optional structured detail (omitted on the wire when ``None``).
    """

    code: int
    message: str
    data: Any = None

    @classmethod
    def from_exception(cls, exc: McpError) -> ErrorObject:
        """Build the wire error from an `McpError`.

        Args:
            exc: The error to send.

        Returns:
            An `ErrorObject` with the error's code, message and data.
        """
        return cls(code=exc.code, message=exc.message, data=exc.data)

    def to_exception(self, request_id: RequestId | None = None) -> McpError:
        """Turn a received wire error into the matching `McpError` subclass.

        Args:
            request_id: The id of the request the error answers.

        Returns:
            The exception registered for ``code`` (see `errors.error_for_code`).
        """
        return error_for_code(self.code, self.message, self.data, request_id=request_id)


class ErrorResponse(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    omit_defaults=True,
    tag_field="jsonrpc",
    tag="2.0",
):
    """A JSON-RPC error response.

    Attributes:
        id: The id of the request this answers, or ``None`` when it could not be
            read (the member is then omitted on the wire).
        error: The error.
    """

    id: RequestId | None = None
    error: ErrorObject


Message: TypeAlias = Request | Notification | Response | ErrorResponse
"""Any single JSON-RPC message."""


@dataclass(frozen=True, slots=True)
class Batch:
    """A decoded JSON-RPC batch (a JSON array of messages; 2025-03-26 only).

    Attributes:
        items: One entry per array element, in order: the decoded message, or the
            `McpError` that element raised (its ``request_id`` is set when the
            element's id could be read), so each bad element can get its own error
            response as JSON-RPC 2.0 requires.
    """

    items: tuple[Message | McpError, ...]


_ABSENT = msgspec.Raw()  # the default of absent Raw members; tested by identity


class _Envelope(msgspec.Struct, gc=False):
    # Every member loosely typed, so classification (and id recovery) is ours.
    jsonrpc: Any = UNSET
    id: Any = UNSET
    method: Any = UNSET
    params: msgspec.Raw = _ABSENT
    result: msgspec.Raw = _ABSENT
    error: Any = UNSET


_TOP_DECODER = msgspec.json.Decoder(_Envelope | list[msgspec.Raw])
_ITEM_DECODER = msgspec.json.Decoder(_Envelope)
_ENCODER = msgspec.json.Encoder()
_OPEN_BRACE = ord("{")
_NULL_RAW = msgspec.Raw(b"null")


def decode(data: Buffer, *, allow_batch: bool = False) -> Message | Batch:
    """Decode one JSON-RPC message, or a batch when batches are allowed.

    Args:
        data: One complete message: UTF-8 JSON text as bytes, bytearray, memoryview
            or str.
        allow_batch: Accept a JSON array as a batch. Pass
            ``versions.features(version).batching`` (true only for 2025-03-26).

    Returns:
        A `Request`, `Notification`, `Response` or `ErrorResponse`; or a `Batch`
        when ``allow_batch`` is true and the input is a non-empty array.

    Raises:
        ParseError: The input is not UTF-8, not JSON, or nested too deeply (-32700).
        InvalidRequest: The JSON is not a valid message, a batch is not allowed, or the
            batch is empty (-32600). ``request_id`` is set when the id was readable.
    """
    _check_utf8(data)
    try:
        top = _TOP_DECODER.decode(data)
    except msgspec.ValidationError as exc:
        raise InvalidRequest(
            f'Invalid request: {exc}; a JSON-RPC message is a JSON object with "jsonrpc": "2.0"'
        ) from None
    except msgspec.DecodeError as exc:
        raise ParseError(
            f"Parse error: the message is not valid JSON ({exc}); send one UTF-8 "
            "encoded JSON-RPC object per message"
        ) from None
    except RecursionError:
        raise ParseError(
            "Parse error: the JSON is nested too deeply to decode; flatten the payload"
        ) from None
    if type(top) is _Envelope:
        return _classify(top)
    assert isinstance(top, list)
    if not allow_batch:
        raise InvalidRequest(
            "Invalid request: got a JSON-RPC batch (a JSON array), but batches are not "
            "accepted here; only protocol revision 2025-03-26 allows them. Send one "
            "message at a time"
        )
    if not top:
        raise InvalidRequest(
            "Invalid request: the batch is empty; a JSON-RPC batch needs at least one message"
        )
    return Batch(tuple(_decode_item(raw) for raw in top))


def decode_message(data: Buffer) -> Message:
    """Decode exactly one JSON-RPC message; a batch is an `InvalidRequest`.

    Args:
        data: One complete message (see `decode`).

    Returns:
        The decoded message.

    Raises:
        ParseError: See `decode`.
        InvalidRequest: See `decode`; also for any JSON array.
    """
    message = decode(data, allow_batch=False)
    assert not isinstance(message, Batch)
    return message


def encode(message: Message) -> bytes:
    """Encode one message as compact JSON (no trailing newline).

    Args:
        message: The message to send.

    Returns:
        The UTF-8 JSON bytes.

    Raises:
        TypeError: ``params``/``result`` hold a value msgspec cannot encode.
    """
    return _ENCODER.encode(message)


def encode_batch(messages: Sequence[Message]) -> bytes:
    """Encode messages as one JSON-RPC batch (a JSON array; 2025-03-26 only).

    Args:
        messages: At least one message.

    Returns:
        The UTF-8 JSON bytes of the array.

    Raises:
        ValueError: ``messages`` is empty (an empty batch is invalid JSON-RPC).
    """
    if not messages:
        raise ValueError("encode_batch() needs at least one message; an empty batch is invalid")
    return _ENCODER.encode(list(messages))


def encode_into(message: Message, buffer: bytearray, offset: int = 0) -> None:
    """Encode one message into a reusable buffer (msgspec ``encode_into``).

    Args:
        message: The message to send.
        buffer: The buffer to write to; it is resized to fit.
        offset: Where to start writing; ``-1`` appends.
    """
    _ENCODER.encode_into(message, buffer, offset)


def error_response(exc: McpError, request_id: RequestId | None = None) -> ErrorResponse:
    """Build the error response that answers a failed request.

    Args:
        exc: The error to report.
        request_id: The id to answer; defaults to ``exc.request_id``.

    Returns:
        An `ErrorResponse` (its id is omitted on the wire when unknown).
    """
    rid = exc.request_id if request_id is None else request_id
    return ErrorResponse(id=rid, error=ErrorObject.from_exception(exc))


# -- internals -------------------------------------------------------------------------


def _check_utf8(data: Buffer) -> None:
    # msgspec does not validate UTF-8 inside values it skips or keeps as Raw, so check
    # the whole input once. ASCII input (nearly all of it) takes the fast path.
    if (type(data) is bytes or type(data) is str) and data.isascii():
        return
    try:
        if isinstance(data, str):
            data.encode("utf-8")
        elif isinstance(data, bytes | bytearray):
            data.decode("utf-8")
        else:
            str(data, "utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError) as exc:
        raise ParseError(
            f"Parse error: the message is not valid UTF-8 ({exc.reason} at position "
            f"{exc.start}); MCP messages must be UTF-8 encoded JSON"
        ) from None


def _decode_item(raw: msgspec.Raw) -> Message | McpError:
    try:
        return _classify(_ITEM_DECODER.decode(raw))
    except McpError as exc:
        return exc
    except msgspec.ValidationError as exc:
        return InvalidRequest(
            f"Invalid request: batch element {exc}; each element must be a JSON-RPC message object"
        )


def _id_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number with a fraction or exponent"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _classify(env: _Envelope) -> Message:
    rid = env.id
    id_ok = type(rid) is str or type(rid) is int
    known_id: RequestId | None = rid if id_ok else None

    if env.jsonrpc != "2.0":
        if env.jsonrpc is UNSET:
            problem = 'the "jsonrpc" member is missing'
        else:
            problem = f'"jsonrpc" is {env.jsonrpc!r}'
        raise InvalidRequest(
            f'Invalid request: {problem}; every JSON-RPC 2.0 message must have "jsonrpc": "2.0"',
            request_id=known_id,
        )

    method = env.method
    has_result = env.result is not _ABSENT
    has_error = env.error is not UNSET

    if method is not UNSET:
        if type(method) is not str:
            raise InvalidRequest(
                f'Invalid request: "method" must be a string, got {_id_kind(method)}',
                request_id=known_id,
            )
        if has_result or has_error:
            raise InvalidRequest(
                'Invalid request: a message with "method" must not also carry "result" or '
                '"error"; send requests and responses as separate messages',
                request_id=known_id,
            )
        params = _params(env.params, known_id)
        if rid is UNSET:
            return Notification(method=method, params=params)
        if not id_ok:
            raise InvalidRequest(
                f'Invalid request: "id" must be a string or an integer, got {_id_kind(rid)}; '
                'omit "id" to send a notification',
            )
        return Request(id=rid, method=method, params=params)

    if has_result and has_error:
        raise InvalidResponse(
            'Invalid response: a response carries either "result" or "error", never both',
            request_id=known_id,
        )
    if has_result:
        if not id_ok:
            raise InvalidResponse(
                'Invalid response: "id" of a result must be the string or integer id of '
                f"the request it answers, got {_id_kind(rid) if rid is not UNSET else 'none'}"
            )
        return Response(id=rid, result=env.result)
    if has_error:
        if rid is not UNSET and rid is not None and not id_ok:
            raise InvalidResponse(
                f'Invalid response: "id" of an error must be a string, an integer or null, '
                f"got {_id_kind(rid)}"
            )
        try:
            error = msgspec.convert(env.error, ErrorObject)
        except msgspec.ValidationError as exc:
            raise InvalidResponse(
                f'Invalid response: "error" must be an object with an integer "code" and a '
                f'string "message" ({exc.args[0].replace("`$", "`$.error")})',
                request_id=known_id,
            ) from None
        return ErrorResponse(id=known_id, error=error)

    raise InvalidRequest(
        'Invalid request: the object has none of "method", "result" or "error", so it is '
        "neither a request, a notification nor a response",
        request_id=known_id,
    )


def _params(raw: msgspec.Raw, request_id: RequestId | None) -> msgspec.Raw | None:
    if raw is _ABSENT:
        return None
    if memoryview(raw)[0] == _OPEN_BRACE:
        return raw
    if raw == _NULL_RAW:
        return None
    raise InvalidRequest(
        'Invalid request: "params" must be a JSON object (MCP uses named params only)',
        request_id=request_id,
    )
