# Protocol revisions, negotiation, per-revision feature facts and the era decision.
#
# Rule: every decision that depends on the protocol revision or the era is made in
# this module and nowhere else. Other code asks `features(version).<fact>` or
# `era_of_request(...)`; it never compares version strings itself.
#
# Revisions (dates compare as strings, oldest first):
#
#   2024-11-05  legacy  baseline
#   2025-03-26  legacy  streamable HTTP, JSON-RPC batching, tool annotations, audio,
#                       completions capability, progress message
#   2025-06-18  legacy  batching removed, structured tool output, form elicitation,
#                       resource_link, title fields, completion context,
#                       MCP-Protocol-Version header
#   2025-11-25  legacy  icons, Implementation description/websiteUrl, URL elicitation,
#                       sampling with tools, experimental tasks, JSON Schema 2020-12
#                       default, SSE polling
#   2026-07-28  modern  stateless: no initialize, per-request `_meta`, server/discover
#
# Eras. Legacy clients open with `initialize` and keep a session; modern clients stamp
# `_meta["io.modelcontextprotocol/protocolVersion"]` on every request. Both may use one
# endpoint at once. Per request (`era_of_request`):
#
#   a legacy session applies                                -> LEGACY
#   params._meta has io.modelcontextprotocol/protocolVersion -> MODERN (`initialize` too:
#       a modern client sending it gets -32601, the method is gone in its era)
#   `initialize`, or a bare `ping` (legacy clients may ping before initialize) -> LEGACY
#   anything else                                            -> MODERN (the modern
#       validation then rejects it with -32602 / HTTP 400 for missing `_meta`)

"""Protocol versions: negotiation, feature facts per revision and the era decision."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import msgspec

from fastestmcp.protocol.errors import (
    INVALID_PARAMS,
    RESOURCE_NOT_FOUND,
    InvalidRequest,
)

__all__ = (
    "HTTP_ASSUMED_VERSION",
    "LATEST",
    "LATEST_LEGACY",
    "LEGACY_VERSIONS",
    "META_CLIENT_CAPABILITIES",
    "META_CLIENT_INFO",
    "META_LOG_LEVEL",
    "META_PROTOCOL_VERSION",
    "META_SERVER_INFO",
    "META_SUBSCRIPTION_ID",
    "MODERN_VERSIONS",
    "SUPPORTED_VERSIONS",
    "V2024_11_05",
    "V2025_03_26",
    "V2025_06_18",
    "V2025_11_25",
    "V2026_07_28",
    "Era",
    "Features",
    "era_of_http_request",
    "era_of_request",
    "era_of_version",
    "features",
    "http_header_version",
    "is_legacy",
    "is_modern",
    "is_modern_meta",
    "is_supported",
    "method_available",
    "modern_protocol_version",
    "negotiate",
)

V2024_11_05: Final = "2024-11-05"
V2025_03_26: Final = "2025-03-26"
V2025_06_18: Final = "2025-06-18"
V2025_11_25: Final = "2025-11-25"
V2026_07_28: Final = "2026-07-28"

LEGACY_VERSIONS: Final[tuple[str, ...]] = (V2024_11_05, V2025_03_26, V2025_06_18, V2025_11_25)
"""Revisions with the `initialize` handshake, oldest first."""

MODERN_VERSIONS: Final[tuple[str, ...]] = (V2026_07_28,)
"""Stateless revisions (per-request `_meta`), oldest first."""

SUPPORTED_VERSIONS: Final[tuple[str, ...]] = LEGACY_VERSIONS + MODERN_VERSIONS
"""Every revision fastestmcp speaks, oldest first."""

LATEST_LEGACY: Final = V2025_11_25
"""The newest legacy revision: what `initialize` answers when it cannot echo the client."""

LATEST: Final = V2026_07_28
"""The newest revision."""

HTTP_ASSUMED_VERSION: Final = V2025_03_26
"""What an HTTP server assumes when ``MCP-Protocol-Version`` is absent (2025-06-18 rule)."""

# Reverse-DNS `_meta` keys of the modern era.
META_PROTOCOL_VERSION: Final = "io.modelcontextprotocol/protocolVersion"
META_CLIENT_CAPABILITIES: Final = "io.modelcontextprotocol/clientCapabilities"
META_CLIENT_INFO: Final = "io.modelcontextprotocol/clientInfo"
META_LOG_LEVEL: Final = "io.modelcontextprotocol/logLevel"
META_SERVER_INFO: Final = "io.modelcontextprotocol/serverInfo"
META_SUBSCRIPTION_ID: Final = "io.modelcontextprotocol/subscriptionId"

_DRAFT_07: Final = "http://json-schema.org/draft-07/schema#"
_DRAFT_2020_12: Final = "https://json-schema.org/draft/2020-12/schema"


class Era(enum.Enum):
    """The two protocol eras."""

    LEGACY = "legacy"
    """2024-11-05 ... 2025-11-25: `initialize` handshake and sessions."""

    MODERN = "modern"
    """2026-07-28 and later: stateless, version and capabilities in every request."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Features:
    """What one protocol revision has: ask these instead of comparing versions.

    Attributes:
        version: The revision.
        era: Its era.
        initialize_handshake: Sessions begin with ``initialize``.
        batching: JSON-RPC batches (JSON arrays) are allowed (2025-03-26 only).
        streamable_http: The Streamable HTTP transport exists (2025-03-26+).
        tool_annotations: ``Tool.annotations`` (2025-03-26+).
        audio_content: ``audio`` content blocks (2025-03-26+).
        completions_capability: The server declares ``completions`` (2025-03-26+).
        progress_message: ``notifications/progress`` has ``message`` (2025-03-26+).
        structured_content: ``Tool.outputSchema`` and ``structuredContent``
            (2025-06-18+).
        elicitation: ``elicitation/create`` in form mode (2025-06-18+).
        elicitation_url: URL-mode elicitation (2025-11-25+).
        elicitation_complete_notification: ``notifications/elicitation/complete``
            (2025-11-25 only; gone in 2026-07-28).
        elicitation_defaults: Elicitation schemas with defaults and the SEP-1330 enum
            forms (2025-11-25+).
        resource_link: ``resource_link`` content blocks (2025-06-18+).
        title_fields: ``title`` on tools, resources, prompts... (2025-06-18+).
        completion_context: ``context`` in ``completion/complete`` (2025-06-18+).
        protocol_version_header: HTTP requests carry ``MCP-Protocol-Version``
            (2025-06-18+).
        icons: ``icons`` on tools, resources, templates, prompts, Implementation
            (2025-11-25+).
        implementation_description: ``Implementation.description`` and
            ``websiteUrl`` (2025-11-25+).
        sampling_tools: ``tools``/``toolChoice`` in ``sampling/createMessage``
            (2025-11-25+).
        tasks: Core experimental tasks (``tasks/*``; 2025-11-25 only; an extension
            in 2026-07-28).
        sse_polling: The server may close SSE streams and clients resume with
            ``Last-Event-ID`` (2025-11-25).
        json_schema_dialect: The default ``$schema`` of tool schemas.
        ping: ``ping`` exists (removed in 2026-07-28).
        logging_set_level: ``logging/setLevel`` exists (removed in 2026-07-28).
        roots_list_changed: ``notifications/roots/list_changed`` exists (removed in
            2026-07-28).
        resource_subscriptions: ``resources/subscribe``/``unsubscribe`` exist
            (replaced by ``subscriptions/listen`` in 2026-07-28).
        server_to_client_requests: The server may send requests (sampling,
            elicitation, roots) to the client (legacy only; MRTR in 2026-07-28).
        resource_not_found_code: The error code for ``resources/read`` of an unknown
            URI: -32002 on the legacy wire, -32602 on the modern one.
    """

    version: str
    era: Era
    initialize_handshake: bool
    batching: bool
    streamable_http: bool
    tool_annotations: bool
    audio_content: bool
    completions_capability: bool
    progress_message: bool
    structured_content: bool
    elicitation: bool
    elicitation_url: bool
    elicitation_complete_notification: bool
    elicitation_defaults: bool
    resource_link: bool
    title_fields: bool
    completion_context: bool
    protocol_version_header: bool
    icons: bool
    implementation_description: bool
    sampling_tools: bool
    tasks: bool
    sse_polling: bool
    json_schema_dialect: str
    ping: bool
    logging_set_level: bool
    roots_list_changed: bool
    resource_subscriptions: bool
    server_to_client_requests: bool
    resource_not_found_code: int


def _features(version: str) -> Features:
    at_least_03 = version >= V2025_03_26
    at_least_06 = version >= V2025_06_18
    at_least_11 = version >= V2025_11_25
    legacy = version in LEGACY_VERSIONS
    return Features(
        version=version,
        era=Era.LEGACY if legacy else Era.MODERN,
        initialize_handshake=legacy,
        batching=version == V2025_03_26,
        streamable_http=at_least_03,
        tool_annotations=at_least_03,
        audio_content=at_least_03,
        completions_capability=at_least_03,
        progress_message=at_least_03,
        structured_content=at_least_06,
        elicitation=at_least_06,
        elicitation_url=at_least_11,
        elicitation_complete_notification=version == V2025_11_25,
        elicitation_defaults=at_least_11,
        resource_link=at_least_06,
        title_fields=at_least_06,
        completion_context=at_least_06,
        protocol_version_header=at_least_06,
        icons=at_least_11,
        implementation_description=at_least_11,
        sampling_tools=at_least_11,
        tasks=version == V2025_11_25,
        sse_polling=version == V2025_11_25,
        json_schema_dialect=_DRAFT_2020_12 if at_least_11 else _DRAFT_07,
        ping=legacy,
        logging_set_level=legacy,
        roots_list_changed=legacy,
        resource_subscriptions=legacy,
        server_to_client_requests=legacy,
        resource_not_found_code=RESOURCE_NOT_FOUND if legacy else INVALID_PARAMS,
    )


_FEATURES: Final[Mapping[str, Features]] = {v: _features(v) for v in SUPPORTED_VERSIONS}

# When each legacy method first appeared; methods absent here exist since 2024-11-05.
_METHOD_INTRODUCED: Final[Mapping[str, str]] = {
    "elicitation/create": V2025_06_18,
    "notifications/elicitation/complete": V2025_11_25,
}
# Methods the modern era removed (they stay valid on the legacy wire).
_METHOD_REMOVED_IN_MODERN: Final[frozenset[str]] = frozenset(
    {
        "initialize",
        "notifications/initialized",
        "ping",
        "logging/setLevel",
        "notifications/roots/list_changed",
        "resources/subscribe",
        "resources/unsubscribe",
        "notifications/elicitation/complete",
    }
)


def is_supported(version: str) -> bool:
    """Whether fastestmcp speaks this revision.

    Args:
        version: A protocol version string such as ``"2025-06-18"``.

    Returns:
        True for every entry of `SUPPORTED_VERSIONS`.
    """
    return version in _FEATURES


def is_legacy(version: str) -> bool:
    """Whether ``version`` is a supported legacy (handshake) revision."""
    return version in LEGACY_VERSIONS


def is_modern(version: str) -> bool:
    """Whether ``version`` is a supported modern (stateless) revision."""
    return version in MODERN_VERSIONS


def features(version: str) -> Features:
    """Return the feature facts of a supported revision.

    Args:
        version: A supported protocol version.

    Returns:
        The revision's `Features` (shared, immutable).

    Raises:
        ValueError: ``version`` is not supported; negotiate first (`negotiate`).
    """
    try:
        return _FEATURES[version]
    except KeyError:
        raise ValueError(
            f"unsupported protocol version {version!r}; supported: "
            f"{', '.join(SUPPORTED_VERSIONS)}. Negotiate a version before asking for "
            "its features"
        ) from None


def era_of_version(version: str) -> Era:
    """Return the era of a supported revision.

    Raises:
        ValueError: ``version`` is not supported.
    """
    return features(version).era


def negotiate(requested: str, supported: Sequence[str] = LEGACY_VERSIONS) -> str:
    """Choose the version to answer ``initialize`` with.

    The server answers with the client's requested version when it supports it,
    and otherwise with the latest version it supports (the client then decides
    whether it can continue).

    Args:
        requested: ``protocolVersion`` from the client's ``initialize``.
        supported: The legacy versions this server accepts (default: all of them).
            Must be non-empty.

    Returns:
        ``requested`` if it is in ``supported``, else the newest of ``supported``.

    Raises:
        ValueError: ``supported`` is empty.
    """
    if not supported:
        raise ValueError("negotiate() needs at least one supported version")
    if requested in supported:
        return requested
    return max(supported)


def method_available(method: str, version: str) -> bool:
    """Whether a legacy-wire method exists in a revision.

    Only covers differences between revisions; whether a method is known at all is
    `types.REQUEST_PARAMS`/`types.NOTIFICATION_PARAMS`'s business.

    Args:
        method: A method name, e.g. ``"elicitation/create"``.
        version: A supported revision.

    Returns:
        False when the method was introduced after ``version`` or removed by it.
    """
    introduced = _METHOD_INTRODUCED.get(method)
    if introduced is not None and version < introduced:
        return False
    if method == "notifications/elicitation/complete" and not is_legacy(version):
        return False
    return not (is_modern(version) and method in _METHOD_REMOVED_IN_MODERN)


# -- the era decision ------------------------------------------------------------------


class _ModernMetaView(msgspec.Struct):
    protocol_version: Any = msgspec.field(default=msgspec.UNSET, name=META_PROTOCOL_VERSION)


class _ParamsMetaView(msgspec.Struct):
    meta: _ModernMetaView | None = msgspec.field(default=None, name="_meta")


_META_VIEW_DECODER = msgspec.json.Decoder(_ParamsMetaView)
_Params = msgspec.Raw | msgspec.Struct | dict[str, Any]


def _modern_version_field(params: _Params | None) -> Any:
    if not params:
        return msgspec.UNSET
    if isinstance(params, msgspec.Raw):
        try:
            view = _META_VIEW_DECODER.decode(params)
        except (msgspec.DecodeError, RecursionError):
            # `_meta` is not an object: not modern; the params decode reports it.
            return msgspec.UNSET
        if view.meta is None:
            return msgspec.UNSET
        return view.meta.protocol_version
    meta = params.get("_meta") if isinstance(params, dict) else getattr(params, "meta", None)
    if isinstance(meta, dict):
        return meta.get(META_PROTOCOL_VERSION, msgspec.UNSET)
    return msgspec.UNSET


def modern_protocol_version(params: _Params | None) -> str | None:
    """Read ``_meta["io.modelcontextprotocol/protocolVersion"]`` from raw params.

    Decodes only that one key (msgspec skips the rest), so it is cheap.

    Args:
        params: The ``params`` of a request (``Raw`` from the wire, or a Struct or
            dict from an in-process caller).

    Returns:
        The version string, or ``None`` when absent or not a string.
    """
    value = _modern_version_field(params)
    return value if type(value) is str else None


def is_modern_meta(meta: Mapping[str, Any] | None) -> bool:
    """Whether a decoded ``_meta`` marks a request as modern (2026-07-28+).

    Args:
        meta: The ``meta`` attribute of a decoded params Struct.

    Returns:
        True when ``_meta`` carries ``io.modelcontextprotocol/protocolVersion``.
    """
    return meta is not None and META_PROTOCOL_VERSION in meta


def era_of_request(
    method: str,
    params: _Params | None,
    *,
    legacy_session: bool = False,
) -> Era:
    """Decide the era of one incoming request; the only place this is decided.

    Args:
        method: The request's method.
        params: The request's raw params (only ``_meta`` is looked at, and only
            when no legacy session applies).
        legacy_session: True when the request belongs to a legacy session: an HTTP
            request with a known ``Mcp-Session-Id``, or a stdio process that was
            initialized.

    Returns:
        `Era.LEGACY` for any request in a legacy session; `Era.MODERN` for a request
        whose ``_meta`` carries ``io.modelcontextprotocol/protocolVersion`` (even
        ``initialize``); `Era.LEGACY` for ``initialize`` and a bare
        ``ping`` (legacy clients may ping before ``initialize``; the modern era has
        no ping); `Era.MODERN` otherwise, where the modern validation rejects the
        missing ``_meta`` (-32602, HTTP 400).
    """
    if legacy_session:
        return Era.LEGACY
    if _modern_version_field(params) is not msgspec.UNSET:
        return Era.MODERN  # even `initialize`: a modern client gets -32601 for it
    if method in ("initialize", "ping"):
        return Era.LEGACY
    return Era.MODERN


def era_of_http_request(
    method: str,
    params: _Params | None,
    *,
    session_header: bool,
    version_header: str | None,
) -> Era:
    """Decide the era of a streamable HTTP request before any session is looked up.

    Args:
        method: The request's method.
        params: Its raw params.
        session_header: The request carries ``Mcp-Session-Id``.
        version_header: Its ``MCP-Protocol-Version`` header, if any.

    Returns:
        `Era.LEGACY` with a session id (the legacy session, or 404 when unknown), or with a
        legacy version header; `Era.MODERN` with a modern ``_meta`` or a modern version
        header (whose ``_meta`` the modern validation then checks); otherwise as
        `era_of_request`.
    """
    if session_header:
        return Era.LEGACY
    if _modern_version_field(params) is not msgspec.UNSET:
        return Era.MODERN
    if version_header is not None:
        version = version_header.strip()
        if version in LEGACY_VERSIONS:
            return Era.LEGACY
        if version in MODERN_VERSIONS:
            return Era.MODERN
    # As `era_of_request`, whose `_meta` look is the one above.
    return Era.LEGACY if method in ("initialize", "ping") else Era.MODERN


def http_header_version(header: str | None, *, negotiated: str | None = None) -> str:
    """Resolve the ``MCP-Protocol-Version`` header of a legacy HTTP request.

    Since 2025-06-18 clients send the negotiated version on every request after
    ``initialize``. When the header is absent the server uses the session's
    negotiated version if it knows it, else assumes 2025-03-26.

    Args:
        header: The header's value, or ``None`` when absent.
        negotiated: The session's negotiated version, if any.

    Returns:
        The version the request is served with.

    Raises:
        InvalidRequest: The header names a version that is not a supported legacy
            revision; the transport answers HTTP 400.
    """
    if header is None:
        return negotiated if negotiated is not None else HTTP_ASSUMED_VERSION
    version = header.strip()
    if version in LEGACY_VERSIONS:
        return version
    raise InvalidRequest(
        f"Bad Request: unsupported MCP-Protocol-Version {header!r}; send the version "
        f"negotiated at initialize (one of {', '.join(LEGACY_VERSIONS)})"
    )
