"""Capabilities: advertise only what exists; read the peer's with the spec's defaults."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from fastestmcp.protocol.capabilities import (
    client_capabilities,
    client_supports_elicitation,
    client_supports_roots,
    client_supports_sampling,
    client_supports_sampling_tools,
    server_capabilities,
)
from fastestmcp.protocol.types import ClientCapabilities, decode_request_params


def _wire(value: msgspec.Struct) -> bytes:
    return msgspec.json.encode(value)


def test_a_server_with_nothing_declares_nothing() -> None:
    assert _wire(server_capabilities()) == b"{}"


def test_a_server_declares_only_what_it_serves() -> None:
    caps = server_capabilities(tools=True, prompts=True, prompts_list_changed=True)
    assert _wire(caps) == b'{"prompts":{"listChanged":true},"tools":{}}'


def test_every_server_capability() -> None:
    caps = server_capabilities(
        tools=True,
        tools_list_changed=True,
        resources=True,
        resources_subscribe=True,
        resources_list_changed=True,
        prompts=True,
        prompts_list_changed=True,
        logging=True,
        completions=True,
        experimental={"com.example/x": {"on": True}},
    )
    assert msgspec.json.decode(_wire(caps)) == {
        "experimental": {"com.example/x": {"on": True}},
        "logging": {},
        "completions": {},
        "prompts": {"listChanged": True},
        "resources": {"subscribe": True, "listChanged": True},
        "tools": {"listChanged": True},
    }


@pytest.mark.parametrize(
    "flags",
    [
        {"tools_list_changed": True},
        {"resources_subscribe": True},
        {"resources_list_changed": True},
        {"prompts_list_changed": True},
    ],
)
def test_announcing_changes_of_an_absent_feature_is_a_configuration_error(
    flags: dict[str, Any],
) -> None:
    with pytest.raises(ValueError, match="needs"):
        server_capabilities(**flags)


def test_completions_are_left_out_for_2024_11_05() -> None:
    assert server_capabilities(completions=True, protocol_version="2024-11-05").completions is None
    assert server_capabilities(completions=True, protocol_version="2025-03-26").completions == {}


def test_client_capabilities_follow_the_requested_version() -> None:
    full = client_capabilities(
        roots=True,
        roots_list_changed=True,
        sampling=True,
        sampling_tools=True,
        elicitation_form=True,
        elicitation_url=True,
    )
    assert msgspec.json.decode(_wire(full)) == {
        "roots": {"listChanged": True},
        "sampling": {"tools": {}},
        "elicitation": {"form": {}, "url": {}},
    }
    old = client_capabilities(
        sampling=True,
        sampling_tools=True,
        elicitation_form=True,
        elicitation_url=True,
        protocol_version="2025-06-18",
    )
    assert msgspec.json.decode(_wire(old)) == {"sampling": {}, "elicitation": {}}
    older = client_capabilities(elicitation_form=True, protocol_version="2025-03-26")
    assert older.elicitation is None


def test_client_sub_flags_need_their_feature() -> None:
    with pytest.raises(ValueError, match="roots=True"):
        client_capabilities(roots_list_changed=True)
    with pytest.raises(ValueError, match="sampling=True"):
        client_capabilities(sampling_tools=True)


def _client(data: bytes) -> ClientCapabilities:
    params = decode_request_params(
        "initialize",
        msgspec.Raw(
            b'{"protocolVersion":"2025-11-25","clientInfo":{"name":"c","version":"1"},'
            b'"capabilities":' + data + b"}"
        ),
    )
    capabilities: ClientCapabilities = params.capabilities  # type: ignore[attr-defined]
    return capabilities


@pytest.mark.parametrize(
    ("data", "form", "url"),
    [
        (b"{}", False, False),
        (b'{"elicitation":{}}', True, False),
        (b'{"elicitation":{"form":{}}}', True, False),
        (b'{"elicitation":{"url":{}}}', False, True),
        (b'{"elicitation":{"form":{},"url":{}}}', True, True),
    ],
)
def test_elicitation_modes_with_the_empty_object_meaning_form(
    data: bytes, form: bool, url: bool
) -> None:
    caps = _client(data)
    assert client_supports_elicitation(caps) is form
    assert client_supports_elicitation(caps, "form") is form
    assert client_supports_elicitation(caps, "url") is url


def test_sampling_and_roots_checks() -> None:
    bare = _client(b"{}")
    assert not client_supports_sampling(bare)
    assert not client_supports_roots(bare)
    caps = _client(b'{"sampling":{},"roots":{}}')
    assert client_supports_sampling(caps)
    assert not client_supports_sampling_tools(caps)
    assert client_supports_roots(caps)
    assert client_supports_sampling_tools(_client(b'{"sampling":{"tools":{}}}'))
