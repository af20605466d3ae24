# The legacy handshake: `initialize` params and result, the identity of each side
# (`Implementation`) and the capabilities both sides declare.
#
# Capability objects that the schema leaves open (`logging: {}`, `completions: {}`,
# `experimental`, the experimental `tasks` of 2025-11-25) are plain dicts, so nothing a
# peer sends is lost; the ones with known members are Structs. Build server
# capabilities with `fastestmcp.protocol.capabilities.server_capabilities`, which
# advertises only what exists.

"""Lifecycle types: Implementation, client/server capabilities, initialize."""

from __future__ import annotations

from typing import Any

from .common import Icon, Meta, WireStruct, meta_field

__all__ = (
    "ClientCapabilities",
    "ElicitationCapability",
    "Implementation",
    "InitializeRequestParams",
    "InitializeResult",
    "ListChangedCapability",
    "ResourcesCapability",
    "RootsCapability",
    "SamplingCapability",
    "ServerCapabilities",
)


class Implementation(WireStruct, frozen=True, kw_only=True):
    """The name and version of a client or server implementation.

    Attributes:
        name: Programmatic name.
        version: Version string.
        title: Display name (2025-06-18+).
        description: What the implementation does (2025-11-25+).
        icons: Icons for display (2025-11-25+).
        website_url: Home page (2025-11-25+).
    """

    name: str
    version: str
    title: str | None = None
    description: str | None = None
    icons: list[Icon] | None = None
    website_url: str | None = None


class RootsCapability(WireStruct, frozen=True, kw_only=True):
    """The client's ``roots`` capability.

    Attributes:
        list_changed: The client sends ``notifications/roots/list_changed``.
    """

    list_changed: bool | None = None


class SamplingCapability(WireStruct, frozen=True, kw_only=True):
    """The client's ``sampling`` capability (``{}`` means basic sampling).

    Attributes:
        context: Present when the client supports ``includeContext`` (2025-11-25+).
        tools: Present when the client supports ``tools``/``toolChoice`` (2025-11-25+).
    """

    context: dict[str, Any] | None = None
    tools: dict[str, Any] | None = None


class ElicitationCapability(WireStruct, frozen=True, kw_only=True):
    """The client's ``elicitation`` capability (2025-06-18+).

    An empty object means form mode only (see `capabilities.client_supports_elicitation`).

    Attributes:
        form: Present when the client supports form mode (2025-11-25+).
        url: Present when the client supports URL mode (2025-11-25+).
    """

    form: dict[str, Any] | None = None
    url: dict[str, Any] | None = None


class ClientCapabilities(WireStruct, frozen=True, kw_only=True):
    """What a client supports; a missing member means "not supported".

    Attributes:
        experimental: Non-standard capabilities.
        roots: Present when the client can list roots.
        sampling: Present when the client can sample an LLM.
        elicitation: Present when the client can elicit input (2025-06-18+).
        tasks: Experimental task support (2025-11-25), kept verbatim.
        extensions: MCP extensions the client supports (2026-07-28), kept verbatim.
    """

    experimental: dict[str, dict[str, Any]] | None = None
    roots: RootsCapability | None = None
    sampling: SamplingCapability | None = None
    elicitation: ElicitationCapability | None = None
    tasks: dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None


class ListChangedCapability(WireStruct, frozen=True, kw_only=True):
    """A server capability (``tools`` or ``prompts``) with list-change notifications.

    Attributes:
        list_changed: The server sends ``notifications/<kind>/list_changed``.
    """

    list_changed: bool | None = None


class ResourcesCapability(WireStruct, frozen=True, kw_only=True):
    """The server's ``resources`` capability.

    Attributes:
        subscribe: The server supports ``resources/subscribe``.
        list_changed: The server sends ``notifications/resources/list_changed``.
    """

    subscribe: bool | None = None
    list_changed: bool | None = None


class ServerCapabilities(WireStruct, frozen=True, kw_only=True):
    """What a server offers; a missing member means "not offered".

    Attributes:
        experimental: Non-standard capabilities.
        logging: Present when the server sends log messages.
        completions: Present when the server answers ``completion/complete``
            (2025-03-26+).
        prompts: Present when the server offers prompts.
        resources: Present when the server offers resources.
        tools: Present when the server offers tools.
        tasks: Experimental task support (2025-11-25), kept verbatim.
        extensions: MCP extensions the server supports (2026-07-28).
    """

    experimental: dict[str, dict[str, Any]] | None = None
    logging: dict[str, Any] | None = None
    completions: dict[str, Any] | None = None
    prompts: ListChangedCapability | None = None
    resources: ResourcesCapability | None = None
    tools: ListChangedCapability | None = None
    tasks: dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None


class InitializeRequestParams(WireStruct, frozen=True, kw_only=True):
    """Params of ``initialize``, the first request of a legacy session.

    Attributes:
        protocol_version: The latest version the client supports.
        capabilities: What the client supports.
        client_info: The client's identity.
        meta: The request's ``_meta``.
    """

    protocol_version: str
    capabilities: ClientCapabilities
    client_info: Implementation
    meta: Meta | None = meta_field()


class InitializeResult(WireStruct, frozen=True, kw_only=True):
    """Result of ``initialize``.

    Attributes:
        protocol_version: The negotiated version (see `versions.negotiate`).
        capabilities: What the server offers.
        server_info: The server's identity.
        instructions: How to use the server, for the model's context.
        meta: The result's ``_meta``.
    """

    protocol_version: str
    capabilities: ServerCapabilities
    server_info: Implementation
    instructions: str | None = None
    meta: Meta | None = meta_field()
