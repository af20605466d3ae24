# JSON-RPC and MCP error codes, and the exception tree that carries them.
#
# Rules for this module:
#   * No IO and no imports from the rest of fastestmcp: every other protocol module
#     may import this one, never the other way round.
#   * Every exception carries the wire code it maps to (`code`), optional `data`, and,
#     when it is known, the id of the request it answers (`request_id`), so a caller can
#     reply with an error response that keeps the id.
#   * Messages say what was wrong and what to do about it.
#
# The tree:
#
#   McpError(Exception)                      any error that has a JSON-RPC code
#   ├── ParseError                    -32700 the bytes are not JSON (or not UTF-8)
#   ├── InvalidRequest                -32600 JSON, but not a valid JSON-RPC/MCP message
#   │   └── InvalidResponse                  a malformed response ("result"/"error", no "method")
#   ├── MethodNotFound                -32601 unknown or unavailable method
#   ├── InvalidParams                 -32602 params do not match the method's schema
#   ├── InternalError                 -32603 a bug or an unexpected failure on our side
#   │   └── InvalidResult                    a peer's result does not match its schema
#   ├── ResourceNotFound              -32002 resources/read of an unknown URI (legacy wire)
#   ├── UrlElicitationRequired        -32042 2025-11-25 URL-mode elicitation required
#   ├── HeaderMismatch                -32020 2026-07-28: Mcp-Method/Mcp-Name disagree
#   ├── MissingRequiredClientCapability -32021 2026-07-28: client lacks a capability
#   └── UnsupportedProtocolVersion    -32022 2026-07-28: version not supported
#
# `error_for_code` turns a code received from a peer back into the matching subclass.

"""Error codes and the `McpError` exception tree of the MCP protocol core."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

__all__ = (
    "HEADER_MISMATCH",
    "INTERNAL_ERROR",
    "INVALID_PARAMS",
    "INVALID_REQUEST",
    "METHOD_NOT_FOUND",
    "MISSING_REQUIRED_CLIENT_CAPABILITY",
    "PARSE_ERROR",
    "RESOURCE_NOT_FOUND",
    "UNSUPPORTED_PROTOCOL_VERSION",
    "URL_ELICITATION_REQUIRED",
    "HeaderMismatch",
    "InternalError",
    "InvalidParams",
    "InvalidRequest",
    "InvalidResponse",
    "InvalidResult",
    "McpError",
    "MethodNotFound",
    "MissingRequiredClientCapability",
    "ParseError",
    "ResourceNotFound",
    "UnsupportedProtocolVersion",
    "UrlElicitationRequired",
    "error_for_code",
)

# JSON-RPC 2.0 codes.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

# MCP codes of the legacy wire (2024-11-05 ... 2025-11-25).
RESOURCE_NOT_FOUND = -32002
URL_ELICITATION_REQUIRED = -32042

# MCP codes of the modern wire (2026-07-28); -32020..-32099 are reserved for the spec.
HEADER_MISMATCH = -32020
MISSING_REQUIRED_CLIENT_CAPABILITY = -32021
UNSUPPORTED_PROTOCOL_VERSION = -32022

_RequestId = str | int


class McpError(Exception):
    """An error with a JSON-RPC error code, ready to be sent as an error response.

    Args:
        code: The JSON-RPC error code.
        message: A sentence that says what was wrong and what to do.
        data: Optional structured detail sent as the error's ``data`` member.
        request_id: The id of the request this error answers, when it is known.

    Attributes:
        code: The JSON-RPC error code.
        message: The human-readable message (also ``str(exc)``).
        data: Structured detail or ``None``.
        request_id: The id of the request this error answers, or ``None``.
    """

    code: int
    message: str
    data: Any
    request_id: _RequestId | None

    def __init__(
        self,
        code: int,
        message: str,
        data: Any = None,
        *,
        request_id: _RequestId | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data
        self.request_id = request_id

    def with_request_id(self, request_id: _RequestId | None) -> McpError:
        """Set the id of the request this error answers and return the error itself.

        Args:
            request_id: The request id to record (``None`` when unknown).

        Returns:
            This exception, so ``raise exc.with_request_id(rid)`` reads naturally.
        """
        self.request_id = request_id
        return self

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        parts = [f"code={self.code}", f"message={self.message!r}"]
        if self.data is not None:
            parts.append(f"data={self.data!r}")
        if self.request_id is not None:
            parts.append(f"request_id={self.request_id!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.code, self.message, self.data, self.request_id))


def _rebuild(
    cls: type[McpError],
    code: int,
    message: str,
    data: Any,
    request_id: _RequestId | None,
) -> McpError:
    exc = cls.__new__(cls)
    McpError.__init__(exc, code, message, data, request_id=request_id)
    return exc


class _CodedError(McpError):
    """Base of the subclasses whose code is fixed by the class."""

    CODE: ClassVar[int]

    def __init__(
        self,
        message: str,
        data: Any = None,
        *,
        request_id: _RequestId | None = None,
    ) -> None:
        super().__init__(self.CODE, message, data, request_id=request_id)


class ParseError(_CodedError):
    """The received bytes are not valid JSON text in UTF-8 (-32700)."""

    CODE = PARSE_ERROR


class InvalidRequest(_CodedError):
    """The JSON is not a valid JSON-RPC 2.0 / MCP message (-32600)."""

    CODE = INVALID_REQUEST


class InvalidResponse(InvalidRequest):
    """A malformed response: it has ``"result"`` or ``"error"`` and no ``"method"`` (-32600).

    Its ``request_id``, when readable, is the id of the receiver's own request it answers:
    that request failed. A response gets no response, so this is not sent back.
    """


class MethodNotFound(_CodedError):
    """The method does not exist or is not available to this peer (-32601)."""

    CODE = METHOD_NOT_FOUND

    @classmethod
    def for_method(cls, method: str, *, request_id: _RequestId | None = None) -> MethodNotFound:
        """Build the standard error for an unknown method.

        Args:
            method: The method name the peer asked for.
            request_id: The id of the request, when known.

        Returns:
            A `MethodNotFound` whose message names the method.
        """
        return cls(
            f"Method not found: {method!r} is not a method this peer serves; "
            "check the method name and the capabilities the peer advertised",
            request_id=request_id,
        )


class InvalidParams(_CodedError):
    """The request's params do not match the method's schema (-32602)."""

    CODE = INVALID_PARAMS


class InternalError(_CodedError):
    """An unexpected failure while handling a valid request (-32603)."""

    CODE = INTERNAL_ERROR


class InvalidResult(InternalError):
    """A result received from the peer does not match the method's result schema.

    There is no JSON-RPC code for a malformed response, so this carries -32603 as a
    hint; it is raised to the local caller and never sent back to the peer.
    """


class ResourceNotFound(_CodedError):
    """`resources/read` of an unknown URI on the legacy wire (-32002).

    The 2026-07-28 wire reports this as -32602 instead; `versions.Features`
    names the right code for a negotiated version.
    """

    CODE = RESOURCE_NOT_FOUND

    @classmethod
    def for_uri(cls, uri: str, *, request_id: _RequestId | None = None) -> ResourceNotFound:
        """Build the standard error for an unknown resource URI.

        Args:
            uri: The URI the peer asked for.
            request_id: The id of the request, when known.

        Returns:
            A `ResourceNotFound` with ``data == {"uri": uri}``.
        """
        return cls(
            f"Resource not found: no resource or resource template matches {uri!r}; "
            "list the available ones with resources/list and resources/templates/list",
            {"uri": uri},
            request_id=request_id,
        )


class UrlElicitationRequired(_CodedError):
    """The request needs the user to complete a URL-mode elicitation first (-32042)."""

    CODE = URL_ELICITATION_REQUIRED


class HeaderMismatch(_CodedError):
    """2026-07-28: the Mcp-Method/Mcp-Name headers disagree with the body (-32020)."""

    CODE = HEADER_MISMATCH


class MissingRequiredClientCapability(_CodedError):
    """2026-07-28: the request needs a client capability the client lacks (-32021)."""

    CODE = MISSING_REQUIRED_CLIENT_CAPABILITY

    @classmethod
    def for_capabilities(
        cls,
        required: Mapping[str, Any],
        *,
        request_id: _RequestId | None = None,
    ) -> MissingRequiredClientCapability:
        """Build the error naming the capabilities the client must declare.

        Args:
            required: A ClientCapabilities-shaped object, e.g. ``{"sampling": {}}``.
            request_id: The id of the request, when known.

        Returns:
            An error with ``data == {"requiredCapabilities": required}``.
        """
        names = ", ".join(sorted(required)) or "(none)"
        return cls(
            f"Missing required client capability: this request needs {names}; "
            "declare it in the client capabilities and retry",
            {"requiredCapabilities": dict(required)},
            request_id=request_id,
        )


class UnsupportedProtocolVersion(_CodedError):
    """2026-07-28: the requested protocol version is not supported (-32022)."""

    CODE = UNSUPPORTED_PROTOCOL_VERSION

    @classmethod
    def for_versions(
        cls,
        requested: str,
        supported: Sequence[str],
        *,
        request_id: _RequestId | None = None,
    ) -> UnsupportedProtocolVersion:
        """Build the error listing the versions the client may retry with.

        Args:
            requested: The version the client asked for.
            supported: The versions this peer supports.
            request_id: The id of the request, when known.

        Returns:
            An error with ``data == {"supported": [...], "requested": requested}``.
        """
        return cls(
            f"Unsupported protocol version {requested!r}; retry with one of: "
            + ", ".join(supported),
            {"supported": list(supported), "requested": requested},
            request_id=request_id,
        )


_BY_CODE: dict[int, type[_CodedError]] = {
    cls.CODE: cls
    for cls in (
        ParseError,
        InvalidRequest,
        MethodNotFound,
        InvalidParams,
        InternalError,
        ResourceNotFound,
        UrlElicitationRequired,
        HeaderMismatch,
        MissingRequiredClientCapability,
        UnsupportedProtocolVersion,
    )
}


def error_for_code(
    code: int,
    message: str,
    data: Any = None,
    *,
    request_id: _RequestId | None = None,
) -> McpError:
    """Build the exception matching a wire error code, e.g. one received from a peer.

    Args:
        code: The JSON-RPC error code.
        message: The error message.
        data: The error's ``data`` member.
        request_id: The id of the request the error answers.

    Returns:
        An instance of the subclass registered for ``code``, or a plain `McpError`
        for codes without a subclass (implementation-defined codes, for example).
    """
    cls = _BY_CODE.get(code)
    if cls is None:
        return McpError(code, message, data, request_id=request_id)
    return cls(message, data, request_id=request_id)
