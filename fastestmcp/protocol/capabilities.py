# Building the capabilities each side declares, and reading the other side's.
#
# Rules:
#   * Advertise only what exists: a server with no prompts declares no `prompts`, and
#     `listChanged`/`subscribe` appear only when the server really sends those
#     notifications or serves those methods. A contradictory request (list changes
#     of a feature that is not served) is a configuration error, raised at build time.
#   * When a negotiated version is given, members that revision does not define are
#     left out (`completions` before 2025-03-26, elicitation modes before 2025-11-25).
#   * Reading a peer's capabilities follows the spec's defaults: a missing member is
#     "not supported"; `elicitation: {}` means form mode only.

"""Server and client capability builders, and checks of a peer's capabilities."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from fastestmcp.protocol.types.lifecycle import (
    ClientCapabilities,
    ElicitationCapability,
    ListChangedCapability,
    ResourcesCapability,
    RootsCapability,
    SamplingCapability,
    ServerCapabilities,
)
from fastestmcp.protocol.versions import features

__all__ = (
    "client_capabilities",
    "client_supports_elicitation",
    "client_supports_roots",
    "client_supports_sampling",
    "client_supports_sampling_tools",
    "server_capabilities",
)


def _list_changed(flag: bool) -> ListChangedCapability:
    return ListChangedCapability(list_changed=True if flag else None)


def _require(feature: str, served: bool, option: str, enabled: bool) -> None:
    if enabled and not served:
        raise ValueError(
            f"server_capabilities(): {option}=True needs {feature}=True; a server cannot "
            f"announce {option.removeprefix(feature + '_').replace('_', ' ')} for "
            f"{feature} it does not serve"
        )


def server_capabilities(
    *,
    tools: bool = False,
    tools_list_changed: bool = False,
    resources: bool = False,
    resources_subscribe: bool = False,
    resources_list_changed: bool = False,
    prompts: bool = False,
    prompts_list_changed: bool = False,
    logging: bool = False,
    completions: bool = False,
    experimental: Mapping[str, Mapping[str, Any]] | None = None,
    protocol_version: str | None = None,
) -> ServerCapabilities:
    """Build the capabilities a server declares in its ``initialize`` result.

    Args:
        tools: The server serves ``tools/list`` and ``tools/call``.
        tools_list_changed: It sends ``notifications/tools/list_changed``.
        resources: It serves ``resources/list``, ``resources/read`` and
            ``resources/templates/list``.
        resources_subscribe: It serves ``resources/subscribe``/``unsubscribe``.
        resources_list_changed: It sends ``notifications/resources/list_changed``.
        prompts: It serves ``prompts/list`` and ``prompts/get``.
        prompts_list_changed: It sends ``notifications/prompts/list_changed``.
        logging: It serves ``logging/setLevel`` and sends ``notifications/message``.
        completions: It serves ``completion/complete``.
        experimental: Non-standard capabilities, passed through.
        protocol_version: The negotiated version; members it does not define are
            left out. ``None`` keeps everything.

    Returns:
        The capabilities, with only what exists.

    Raises:
        ValueError: A list-change or subscribe flag is set for a feature that is not
            served, or ``protocol_version`` is not supported.
    """
    _require("tools", tools, "tools_list_changed", tools_list_changed)
    _require("resources", resources, "resources_subscribe", resources_subscribe)
    _require("resources", resources, "resources_list_changed", resources_list_changed)
    _require("prompts", prompts, "prompts_list_changed", prompts_list_changed)
    if protocol_version is not None and not features(protocol_version).completions_capability:
        completions = False
    return ServerCapabilities(
        experimental=({k: dict(v) for k, v in experimental.items()} if experimental else None),
        logging={} if logging else None,
        completions={} if completions else None,
        prompts=_list_changed(prompts_list_changed) if prompts else None,
        resources=(
            ResourcesCapability(
                subscribe=True if resources_subscribe else None,
                list_changed=True if resources_list_changed else None,
            )
            if resources
            else None
        ),
        tools=_list_changed(tools_list_changed) if tools else None,
    )


def client_capabilities(
    *,
    roots: bool = False,
    roots_list_changed: bool = False,
    sampling: bool = False,
    sampling_tools: bool = False,
    elicitation_form: bool = False,
    elicitation_url: bool = False,
    experimental: Mapping[str, Mapping[str, Any]] | None = None,
    protocol_version: str | None = None,
) -> ClientCapabilities:
    """Build the capabilities a client declares in ``initialize``.

    Args:
        roots: The client serves ``roots/list``.
        roots_list_changed: It sends ``notifications/roots/list_changed``.
        sampling: It serves ``sampling/createMessage``.
        sampling_tools: It supports tool use in sampling (2025-11-25+).
        elicitation_form: It serves form-mode ``elicitation/create`` (2025-06-18+).
        elicitation_url: It serves URL-mode ``elicitation/create`` (2025-11-25+).
        experimental: Non-standard capabilities, passed through.
        protocol_version: The version the client requests; members it does not define
            are left out. ``None`` keeps everything.

    Returns:
        The capabilities, with only what exists.

    Raises:
        ValueError: A sub-flag is set without its feature, or ``protocol_version``
            is not supported.
    """
    if roots_list_changed and not roots:
        raise ValueError("client_capabilities(): roots_list_changed=True needs roots=True")
    if sampling_tools and not sampling:
        raise ValueError("client_capabilities(): sampling_tools=True needs sampling=True")
    if protocol_version is not None:
        facts = features(protocol_version)
        sampling_tools = sampling_tools and facts.sampling_tools
        elicitation_url = elicitation_url and facts.elicitation_url
        if not facts.elicitation:
            elicitation_form = elicitation_url = False
        modes = facts.elicitation_url
    else:
        modes = True
    elicitation: ElicitationCapability | None = None
    if elicitation_form or elicitation_url:
        if modes:
            elicitation = ElicitationCapability(
                form={} if elicitation_form else None,
                url={} if elicitation_url else None,
            )
        else:
            elicitation = ElicitationCapability()  # `{}`: form mode, before 2025-11-25
    return ClientCapabilities(
        experimental=({k: dict(v) for k, v in experimental.items()} if experimental else None),
        roots=RootsCapability(list_changed=True if roots_list_changed else None) if roots else None,
        sampling=SamplingCapability(tools={} if sampling_tools else None) if sampling else None,
        elicitation=elicitation,
    )


def client_supports_sampling(capabilities: ClientCapabilities) -> bool:
    """Whether the client declared ``sampling`` (may receive ``sampling/createMessage``)."""
    return capabilities.sampling is not None


def client_supports_sampling_tools(capabilities: ClientCapabilities) -> bool:
    """Whether the client declared ``sampling.tools`` (tool use in sampling)."""
    return capabilities.sampling is not None and capabilities.sampling.tools is not None


def client_supports_roots(capabilities: ClientCapabilities) -> bool:
    """Whether the client declared ``roots`` (may receive ``roots/list``)."""
    return capabilities.roots is not None


def client_supports_elicitation(
    capabilities: ClientCapabilities,
    mode: Literal["form", "url"] = "form",
) -> bool:
    """Whether the client accepts ``elicitation/create`` in a mode.

    A server MUST NOT send a mode the client did not declare. An empty
    ``elicitation: {}`` (every 2025-06-18 client) means form mode only.

    Args:
        capabilities: The client's declared capabilities.
        mode: The elicitation mode to check.

    Returns:
        True when the client may receive that mode.
    """
    elicitation = capabilities.elicitation
    if elicitation is None:
        return False
    if elicitation.form is None and elicitation.url is None:
        return mode == "form"
    return (elicitation.form if mode == "form" else elicitation.url) is not None
