# The 2026-07-28 ("modern", stateless) wire, sans-IO: what a request must carry, what every
# result carries, how errors map to HTTP statuses, the SEP-2243 headers and the sealed
# `requestState` of MRTR rounds.
#
# A modern request carries its version, the client's capabilities (and, optionally, its
# identity and log level) in `params._meta`; nothing is remembered between requests. Results
# carry `resultType` and `_meta["io.modelcontextprotocol/serverInfo"]`; the five cacheable
# results carry `ttlMs` and `cacheScope` as well. Rather than decode and re-encode a result to
# add them, `ResultStamp` splices the encoded members into the encoded result (one `bytes`
# join per answer).
#
# Whether a request is modern at all is `versions.era_of_request`'s decision; this module only
# says what a modern request must look like once it is one.

"""The 2026-07-28 wire: request `_meta`, result stamping, HTTP statuses, headers, MRTR state."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, NoReturn

import msgspec

from fastestmcp.protocol import versions
from fastestmcp.protocol.errors import (
    HEADER_MISMATCH,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    PARSE_ERROR,
    UNSUPPORTED_PROTOCOL_VERSION,
    HeaderMismatch,
    InvalidParams,
    UnsupportedProtocolVersion,
)
from fastestmcp.protocol.types.lifecycle import ClientCapabilities, Implementation

__all__ = (
    "CACHEABLE",
    "INPUT_METHODS",
    "META_STATE_HANDLE",
    "REMOVED_METHODS",
    "CacheHint",
    "ModernMeta",
    "ResultStamp",
    "StateSealer",
    "check_param_headers",
    "check_standard_headers",
    "decode_header_value",
    "encode_header_value",
    "http_status",
    "request_meta",
    "x_mcp_headers",
)

#: Methods the modern era removed: answered -32601 (HTTP 404) on a modern request.
REMOVED_METHODS: Final[frozenset[str]] = frozenset(
    {
        "initialize",
        "ping",
        "logging/setLevel",
        "resources/subscribe",
        "resources/unsubscribe",
    }
)

#: The only methods that may answer with an `InputRequiredResult` (MRTR).
INPUT_METHODS: Final[frozenset[str]] = frozenset({"tools/call", "prompts/get", "resources/read"})

#: The results that carry caching hints (SEP-2549).
CACHEABLE: Final[frozenset[str]] = frozenset(
    {"tools/list", "prompts/list", "resources/list", "resources/templates/list", "resources/read"}
)

#: fastestmcp's own `_meta` key naming a state handle a modern request wants as its scope.
META_STATE_HANDLE: Final = "dev.fastestmcp/stateHandle"

CacheScope = Literal["public", "private"]


# -- the request's `_meta` ------------------------------------------------------------------------


class ModernMeta(msgspec.Struct, frozen=True):
    """What a modern request says about its client (decoded from `params._meta`); one per
    request (a frozen `msgspec.Struct` costs an eighth of a frozen dataclass to make)."""

    protocol_version: str
    client_capabilities: ClientCapabilities
    client_info: Implementation | None
    log_level: str | None
    state_handle: str | None = None


_CAPS = msgspec.json.Decoder(ClientCapabilities)
_NO_CAPABILITIES = ClientCapabilities()
_INFO = msgspec.json.Decoder(Implementation)
_LEVELS: Final = frozenset(
    ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
)


def _convert(value: Any, decoder: msgspec.json.Decoder[Any], what: str) -> Any:
    try:
        return msgspec.convert(value, decoder.type)
    except msgspec.ValidationError as exc:
        raise InvalidParams(f"invalid _meta[{what!r}]: {exc}", {"field": f"_meta.{what}"}) from None


def request_meta(
    meta: Mapping[str, Any] | None, *, header_version: str | None = None
) -> ModernMeta:
    """Validate the `_meta` of a modern request.

    Args:
        meta: The request's decoded `params._meta` (None when absent).
        header_version: The HTTP `MCP-Protocol-Version` header, when the request came over HTTP
            with one.

    Returns:
        The client's version, capabilities, identity and log level for this request.

    Raises:
        InvalidParams: `_meta` or one of its required members is missing or malformed (-32602;
            HTTP 400).
        HeaderMismatch: The `MCP-Protocol-Version` header names another version (-32020;
            checked first).
        UnsupportedProtocolVersion: The version is not a modern revision served here (-32022,
            with `data.supported` and `data.requested`; HTTP 400).
    """
    # `type(...) is dict` first: decoded JSON is a dict, and an ABC isinstance check is not free.
    if type(meta) is not dict and not isinstance(meta, Mapping):
        raise InvalidParams(
            "missing params._meta: a 2026-07-28 request carries "
            f"{versions.META_PROTOCOL_VERSION!r} and {versions.META_CLIENT_CAPABILITIES!r} in "
            "params._meta (or send initialize first to open a legacy session)",
            {"field": "_meta"},
        )
    version = meta.get(versions.META_PROTOCOL_VERSION)
    if not isinstance(version, str) or not version:
        raise InvalidParams(
            f"missing _meta[{versions.META_PROTOCOL_VERSION!r}]: every 2026-07-28 request "
            "names its protocol version",
            {"field": f"_meta.{versions.META_PROTOCOL_VERSION}"},
        )
    if header_version is not None and header_version.strip() != version:
        raise HeaderMismatch(
            f"the MCP-Protocol-Version header ({header_version.strip()!r}) does not match "
            f"_meta[{versions.META_PROTOCOL_VERSION!r}] ({version!r}); send the same version in "
            "both"
        )
    if not versions.is_modern(version):
        raise UnsupportedProtocolVersion.for_versions(version, versions.SUPPORTED_VERSIONS)
    raw_caps = meta.get(versions.META_CLIENT_CAPABILITIES)
    if type(raw_caps) is not dict and not isinstance(raw_caps, Mapping):
        raise InvalidParams(
            f"missing _meta[{versions.META_CLIENT_CAPABILITIES!r}]: every 2026-07-28 request "
            "declares the client's capabilities ({} for none)",
            {"field": f"_meta.{versions.META_CLIENT_CAPABILITIES}"},
        )
    capabilities = (
        _NO_CAPABILITIES
        if not raw_caps
        else _convert(raw_caps, _CAPS, versions.META_CLIENT_CAPABILITIES)
    )
    raw_info = meta.get(versions.META_CLIENT_INFO)
    info = None if raw_info is None else _convert(raw_info, _INFO, versions.META_CLIENT_INFO)
    level = meta.get(versions.META_LOG_LEVEL)
    if level is not None and level not in _LEVELS:
        raise InvalidParams(
            f"invalid _meta[{versions.META_LOG_LEVEL!r}] {level!r}; one of {sorted(_LEVELS)}",
            {"field": f"_meta.{versions.META_LOG_LEVEL}"},
        )
    handle = meta.get(META_STATE_HANDLE)
    return ModernMeta(
        version, capabilities, info, level, handle if isinstance(handle, str) else None
    )


# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CacheHint:
    """SEP-2549 caching hint of a cacheable result: how long, and for whom."""

    ttl_ms: int = 0
    scope: CacheScope = "private"

    def __post_init__(self) -> None:
        if not isinstance(self.ttl_ms, int) or isinstance(self.ttl_ms, bool) or self.ttl_ms < 0:
            raise ValueError(f"ttl_ms must be an int >= 0, got {self.ttl_ms!r}")
        if self.scope not in ("public", "private"):
            raise ValueError(f"cache scope must be 'public' or 'private', got {self.scope!r}")


_ENCODE = msgspec.json.Encoder().encode


class ResultStamp:
    """Adds the modern members to encoded results (`resultType`, `_meta` serverInfo, caching).

    Built once per server; `stamp` costs one `bytes` join per result.
    """

    __slots__ = ("_complete", "_info", "_info_json")

    def __init__(self, server_info: Any) -> None:
        self._info = msgspec.to_builtins(server_info)
        self._info_json = _ENCODE(self._info)
        # The members of most results (complete, no caching hint, serverInfo only), made once.
        self._complete = self.members()

    def members(
        self, result_type: str = "complete", cache: CacheHint | None = None, *, meta: bool = True
    ) -> bytes:
        """The encoded members to splice in (without braces)."""
        parts = [b'"resultType":' + _ENCODE(result_type)]
        if cache is not None:
            parts.append(b'"ttlMs":%d,"cacheScope":"%s"' % (cache.ttl_ms, cache.scope.encode()))
        if meta:
            parts.append(
                b'"_meta":{"' + versions.META_SERVER_INFO.encode() + b'":' + self._info_json + b"}"
            )
        return b",".join(parts)

    def stamp(
        self,
        encoded: bytes,
        result_type: str = "complete",
        cache: CacheHint | None = None,
        extra_meta: Mapping[str, Any] | None = None,
    ) -> bytes:
        """Return the encoded result object `encoded` with the modern members added.

        Args:
            encoded: A JSON object (the result as encoded for the wire), without `_meta`
                unless `extra_meta` is None and the caller accepts that `_meta` stays as is.
            result_type: `"complete"`, `"input_required"`...
            cache: The caching hint of a cacheable result.
            extra_meta: The result's own `_meta` members, merged with serverInfo.
        """
        if extra_meta is None and cache is None and result_type == "complete":
            members = self._complete
        elif extra_meta is not None:
            merged = {**extra_meta, versions.META_SERVER_INFO: self._info}
            members = self.members(result_type, cache, meta=False) + b',"_meta":' + _ENCODE(merged)
        else:
            members = self.members(result_type, cache)
        if encoded == b"{}":
            return b"{" + members + b"}"
        return b"{" + members + b"," + encoded[1:]


# -- HTTP statuses of errors -----------------------------------------------------------------------

_HTTP_STATUS: Final[Mapping[int, int]] = {
    PARSE_ERROR: 400,
    INVALID_REQUEST: 400,
    INVALID_PARAMS: 400,
    HEADER_MISMATCH: 400,
    MISSING_REQUIRED_CLIENT_CAPABILITY: 400,
    UNSUPPORTED_PROTOCOL_VERSION: 400,
    METHOD_NOT_FOUND: 404,
}


def http_status(error_code: int | None) -> int:
    """The HTTP status of a modern JSON answer: 200 for results, per the error code else."""
    if error_code is None:
        return 200
    return _HTTP_STATUS.get(error_code, 200)


# -- SEP-2243 headers ------------------------------------------------------------------------------

_NAME_OF: Final[Mapping[str, str]] = {
    "tools/call": "name",
    "prompts/get": "name",
    "resources/read": "uri",
}


def check_standard_headers(
    method: str, params: Mapping[str, Any] | None, headers: Mapping[str, str]
) -> None:
    """Check `Mcp-Method` and `Mcp-Name` against the request body (HTTP, modern era).

    Header names are case-insensitive (`headers` has them lower-cased), values case-sensitive,
    surrounding whitespace ignored.

    Raises:
        HeaderMismatch: A header is missing or disagrees with the body (-32020; HTTP 400).
    """
    sent = headers.get("mcp-method")
    if sent is None or sent.strip() != method:  # messages built only for a mismatch
        _mismatch(sent, "Mcp-Method", method, f"send 'Mcp-Method: {method}'", "the method")
    field = _NAME_OF.get(method)
    if field is None:
        return
    value = params.get(field) if params is not None else None
    if isinstance(value, str):  # else the params' own validation reports it
        sent = headers.get("mcp-name")
        if sent is None or sent.strip() != value:
            _mismatch(sent, "Mcp-Name", value, f"{method} requests carry it", f"params.{field}")


def _mismatch(sent: str | None, name: str, expected: str, how: str, what: str) -> NoReturn:
    if sent is None:
        raise HeaderMismatch(f"the {name} header is missing; {how}")
    raise HeaderMismatch(
        f"the {name} header ({sent.strip()!r}) does not match {what} ({expected!r})"
    )


_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_BASE64_WRAP = re.compile(r"^=\?base64\?(.*)\?=$", re.DOTALL)


def encode_header_value(value: str | int | float | bool) -> str:
    """How a client sends a tool argument as `Mcp-Param-<Name>` (base64 when needed)."""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    plain = text.isascii() and text == text.strip() and all(32 <= ord(c) < 127 for c in text)
    if plain and not _BASE64_WRAP.match(text):
        return text
    return "=?base64?" + base64.b64encode(text.encode()).decode() + "?="


def decode_header_value(raw: str) -> str:
    """Decode an `Mcp-Param-*` value: `=?base64?<b64>?=` is decoded, anything else is literal.

    Raises:
        ValueError: The base64 form is malformed (bad alphabet or padding, not UTF-8).
    """
    value = raw.strip()
    wrapped = _BASE64_WRAP.match(value)
    if wrapped is None:
        return value
    try:
        return base64.b64decode(wrapped.group(1), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError(f"malformed base64 header value {raw!r}") from None


def x_mcp_headers(input_schema: Mapping[str, Any]) -> dict[str, str]:
    """The tool parameters annotated `x-mcp-header`: parameter name -> header name suffix.

    Raises:
        ValueError: An annotation is invalid (empty, bad characters, duplicate, or on a
            parameter that is not a string, number, integer or boolean).
    """
    found: dict[str, str] = {}
    seen: set[str] = set()
    properties = input_schema.get("properties")
    if not isinstance(properties, Mapping):
        return found
    for param, schema in properties.items():
        if not isinstance(schema, Mapping) or "x-mcp-header" not in schema:
            continue
        name = schema["x-mcp-header"]
        if not isinstance(name, str) or not name or not _HEADER_NAME.match(name):
            raise ValueError(f"parameter {param!r}: invalid x-mcp-header {name!r}")
        if name.lower() in seen:
            raise ValueError(f"parameter {param!r}: duplicate x-mcp-header {name!r}")
        kind = schema.get("type")
        if kind not in ("string", "number", "integer", "boolean"):
            raise ValueError(
                f"parameter {param!r}: x-mcp-header needs a string, number, integer or "
                f"boolean parameter, not {kind!r}"
            )
        seen.add(name.lower())
        found[param] = name
    return found


def check_param_headers(
    annotated: Mapping[str, str], arguments: Mapping[str, Any], headers: Mapping[str, str]
) -> None:
    """Check the `Mcp-Param-<Name>` headers of a tool call against its arguments.

    Args:
        annotated: `x_mcp_headers(tool.input_schema)`.
        arguments: The call's arguments.
        headers: The HTTP headers, names lower-cased.

    Raises:
        HeaderMismatch: A header is missing for a present argument, malformed, or disagrees
            with the argument (-32020; HTTP 400).
    """
    for param, name in annotated.items():
        header = "mcp-param-" + name.lower()
        value = arguments.get(param)
        raw = headers.get(header)
        if value is None:
            continue  # null or absent: the client omits the header
        if raw is None:
            raise HeaderMismatch(
                f"the Mcp-Param-{name} header is missing; it mirrors the argument {param!r}"
            )
        try:
            decoded = decode_header_value(raw)
        except ValueError as exc:
            raise HeaderMismatch(f"the Mcp-Param-{name} header: {exc}") from None
        expected = ("true" if value else "false") if isinstance(value, bool) else value
        if isinstance(expected, int | float) and not isinstance(expected, bool):
            try:
                matches = float(decoded) == float(expected)
            except ValueError:
                matches = False
        else:
            matches = decoded == expected
        if not matches:
            raise HeaderMismatch(
                f"the Mcp-Param-{name} header ({decoded!r}) does not match the argument "
                f"{param!r} ({value!r})"
            )


# -- MRTR requestState ----------------------------------------------------------------------------


class _Sealed(msgspec.Struct, array_like=True):
    bind: str
    expires: float
    payload: msgspec.Raw


_SEALED = msgspec.json.Decoder(_Sealed)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def _unb64(text: str) -> bytes:
    """Decode unpadded base64url strictly: only the canonical encoding of some bytes.

    (The lenient decoder drops unknown characters and ignores the unused low bits of the
    last character, so a changed token could decode to the same bytes and pass the MAC.)
    """
    if not _B64URL.match(text):
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("not the canonical base64url encoding")
    return data


class StateSealer:
    """Seals MRTR `requestState`: an HMAC-SHA256 over the payload, bound to one request kind.

    The client must echo the state byte for byte; a changed, expired or foreign state is
    refused with -32602. Give every replica the same `key` so any of them can open what
    another sealed.
    """

    __slots__ = ("_key", "ttl")

    def __init__(self, key: bytes | str | None = None, *, ttl: float = 3600.0) -> None:
        if key is None:
            key = secrets.token_bytes(32)
        self._key = key.encode() if isinstance(key, str) else bytes(key)
        if len(self._key) < 16:
            raise ValueError("the request-state key must have at least 16 bytes")
        self.ttl = ttl

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()

    def seal(self, payload: Any, bind: str) -> str:
        """Seal `payload` (JSON-able) for requests of kind `bind` (e.g. `tools/call:name`)."""
        body = _ENCODE(
            _Sealed(bind, round(time.time() + self.ttl, 3), msgspec.Raw(_ENCODE(payload)))
        )
        return _b64(body) + "." + _b64(self._mac(body))

    def unseal(self, token: str, bind: str) -> Any:
        """Open a sealed state.

        Raises:
            InvalidParams: Tampered, malformed, expired or sealed for another request (-32602).
        """
        body_b64, dot, mac_b64 = token.partition(".")
        try:
            body, mac = _unb64(body_b64), _unb64(mac_b64)
        except (binascii.Error, ValueError):
            body, mac = b"", b""
        if not dot or not body or not hmac.compare_digest(mac, self._mac(body)):
            raise InvalidParams(
                "invalid requestState: it was changed or was not issued by this server; "
                "echo the requestState of the last InputRequiredResult unchanged, or start "
                "over without one",
                {"field": "requestState"},
            )
        sealed = _SEALED.decode(body)
        if sealed.bind != bind:
            raise InvalidParams(
                f"invalid requestState: it belongs to {sealed.bind!r}, not to {bind!r}",
                {"field": "requestState"},
            )
        if sealed.expires < time.time():
            raise InvalidParams(
                "expired requestState: start the request over without one",
                {"field": "requestState"},
            )
        return msgspec.json.decode(sealed.payload)
