"""The 2026-07-28 wire, sans-IO: request `_meta`, result stamping, HTTP statuses, SEP-2243
headers and the sealed MRTR `requestState`."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastestmcp.protocol import modern, versions
from fastestmcp.protocol.errors import (
    HEADER_MISMATCH,
    INVALID_PARAMS,
    UNSUPPORTED_PROTOCOL_VERSION,
    HeaderMismatch,
    InvalidParams,
    UnsupportedProtocolVersion,
)
from fastestmcp.protocol.modern import CacheHint, ResultStamp, StateSealer
from fastestmcp.protocol.types.lifecycle import Implementation
from fastestmcp.protocol.versions import Era

MODERN = versions.V2026_07_28


def meta(**overrides: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        versions.META_PROTOCOL_VERSION: MODERN,
        versions.META_CLIENT_CAPABILITIES: {},
    }
    for key, value in overrides.items():
        name = {
            "version": versions.META_PROTOCOL_VERSION,
            "caps": versions.META_CLIENT_CAPABILITIES,
            "info": versions.META_CLIENT_INFO,
            "level": versions.META_LOG_LEVEL,
            "handle": modern.META_STATE_HANDLE,
        }[key]
        if value is None:
            found.pop(name, None)
        else:
            found[name] = value
    return found


# -- request _meta ---------------------------------------------------------------------------


def test_request_meta_accepts_a_minimal_meta() -> None:
    got = modern.request_meta(meta())
    assert got.protocol_version == MODERN
    assert got.client_info is None
    assert got.log_level is None
    assert got.state_handle is None
    assert got.client_capabilities.sampling is None


def test_request_meta_reads_every_member() -> None:
    got = modern.request_meta(
        meta(
            caps={"sampling": {}, "elicitation": {}},
            info={"name": "c", "version": "1"},
            level="warning",
            handle="h_abc",
        )
    )
    assert got.client_capabilities.sampling is not None
    assert got.client_capabilities.elicitation is not None
    assert isinstance(got.client_info, Implementation)
    assert got.client_info.name == "c"
    assert got.log_level == "warning"
    assert got.state_handle == "h_abc"


def test_request_meta_ignores_a_non_string_state_handle() -> None:
    assert modern.request_meta(meta(handle=42)).state_handle is None


@pytest.mark.parametrize("missing", [None, "not a mapping", 3, []])
def test_request_meta_without_meta_is_invalid_params(missing: Any) -> None:
    with pytest.raises(InvalidParams) as caught:
        modern.request_meta(missing)
    assert caught.value.code == INVALID_PARAMS
    assert caught.value.data == {"field": "_meta"}
    assert "initialize" in caught.value.message  # says how to get a legacy session instead


@pytest.mark.parametrize("version", [None, "", 20260728])
def test_request_meta_without_version_is_invalid_params(version: Any) -> None:
    given_meta = meta(version=None)
    if version is not None:
        given_meta[versions.META_PROTOCOL_VERSION] = version
    with pytest.raises(InvalidParams) as caught:
        modern.request_meta(given_meta)
    assert caught.value.data == {"field": f"_meta.{versions.META_PROTOCOL_VERSION}"}


@pytest.mark.parametrize("caps", [None, "x", [1]])
def test_request_meta_without_capabilities_is_invalid_params(caps: Any) -> None:
    given_meta = meta(caps=None)
    if caps is not None:
        given_meta[versions.META_CLIENT_CAPABILITIES] = caps
    with pytest.raises(InvalidParams) as caught:
        modern.request_meta(given_meta)
    assert caught.value.data == {"field": f"_meta.{versions.META_CLIENT_CAPABILITIES}"}


def test_request_meta_with_malformed_capabilities_is_invalid_params() -> None:
    with pytest.raises(InvalidParams) as caught:
        modern.request_meta(meta(caps={"sampling": "yes please"}))
    assert caught.value.data == {"field": f"_meta.{versions.META_CLIENT_CAPABILITIES}"}


@pytest.mark.parametrize("info", [{"name": "no version"}, "c", {"name": 1, "version": "1"}])
def test_request_meta_with_bad_client_info_is_invalid_params(info: Any) -> None:
    with pytest.raises(InvalidParams) as caught:
        modern.request_meta(meta(info=info))
    assert caught.value.data == {"field": f"_meta.{versions.META_CLIENT_INFO}"}


@pytest.mark.parametrize("level", ["verbose", "DEBUG", 3, ""])
def test_request_meta_with_bad_log_level_is_invalid_params(level: Any) -> None:
    with pytest.raises(InvalidParams) as caught:
        modern.request_meta(meta(level=level))
    assert caught.value.data == {"field": f"_meta.{versions.META_LOG_LEVEL}"}


@pytest.mark.parametrize("requested", ["2025-11-25", "2024-11-05", "2099-01-01", "latest"])
def test_request_meta_with_unsupported_version_is_32022(requested: str) -> None:
    with pytest.raises(UnsupportedProtocolVersion) as caught:
        modern.request_meta(meta(version=requested))
    assert caught.value.code == UNSUPPORTED_PROTOCOL_VERSION
    assert caught.value.data["requested"] == requested
    assert MODERN in caught.value.data["supported"]
    assert list(caught.value.data["supported"]) == list(versions.SUPPORTED_VERSIONS)


def test_request_meta_header_version_must_match() -> None:
    assert modern.request_meta(meta(), header_version=f"  {MODERN} ").protocol_version == MODERN
    with pytest.raises(HeaderMismatch) as caught:
        modern.request_meta(meta(), header_version="2025-11-25")
    assert caught.value.code == HEADER_MISMATCH


def test_request_meta_header_mismatch_is_checked_before_unsupported_version() -> None:
    with pytest.raises(HeaderMismatch):
        modern.request_meta(meta(version="2099-01-01"), header_version=MODERN)
    # Header and body agree on an unsupported version: -32022.
    with pytest.raises(UnsupportedProtocolVersion) as caught:
        modern.request_meta(meta(version="2099-01-01"), header_version="2099-01-01")
    assert caught.value.data == {
        "supported": list(versions.SUPPORTED_VERSIONS),
        "requested": "2099-01-01",
    }


# -- ResultStamp -----------------------------------------------------------------------------

INFO = Implementation(name="srv", version="1.2.3")


def stamp(*args: Any, **kwargs: Any) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(ResultStamp(INFO).stamp(*args, **kwargs))
    return decoded


def test_stamp_adds_result_type_and_server_info() -> None:
    got = stamp(b'{"tools":[]}')
    assert got == {
        "resultType": "complete",
        "tools": [],
        "_meta": {versions.META_SERVER_INFO: {"name": "srv", "version": "1.2.3"}},
    }


def test_stamp_of_an_empty_result() -> None:
    got = stamp(b"{}")
    assert got["resultType"] == "complete"
    assert set(got) == {"resultType", "_meta"}


def test_stamp_adds_caching_hints() -> None:
    got = stamp(b'{"tools":[]}', cache=CacheHint(1500, "public"))
    assert got["ttlMs"] == 1500
    assert got["cacheScope"] == "public"
    default = stamp(b"{}", cache=CacheHint())
    assert (default["ttlMs"], default["cacheScope"]) == (0, "private")


def test_stamp_input_required() -> None:
    got = stamp(b'{"inputRequests":{}}', "input_required")
    assert got["resultType"] == "input_required"


def test_stamp_merges_the_result_own_meta() -> None:
    got = stamp(b'{"content":[]}', extra_meta={"x/own": 1, "progressToken": "t"})
    assert got["_meta"] == {
        "x/own": 1,
        "progressToken": "t",
        versions.META_SERVER_INFO: {"name": "srv", "version": "1.2.3"},
    }
    # serverInfo wins over a result's own attempt to set it.
    got = stamp(b"{}", extra_meta={versions.META_SERVER_INFO: "spoofed"})
    assert got["_meta"][versions.META_SERVER_INFO]["name"] == "srv"


def test_stamp_members_without_meta() -> None:
    members = ResultStamp(INFO).members("complete", None, meta=False)
    assert json.loads(b"{" + members + b"}") == {"resultType": "complete"}


@pytest.mark.parametrize("bad", [(-1, "public"), (1, "shared"), (True, "public"), (1.5, "public")])
def test_cache_hint_validates(bad: tuple[Any, Any]) -> None:
    with pytest.raises(ValueError):
        CacheHint(*bad)


# -- HTTP statuses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (None, 200),
        (-32700, 400),
        (-32600, 400),
        (-32602, 400),
        (-32020, 400),
        (-32021, 400),
        (-32022, 400),
        (-32601, 404),
        (-32603, 200),
        (-32002, 200),
        (-32000, 200),
    ],
)
def test_http_status(code: int | None, status: int) -> None:
    assert modern.http_status(code) == status


# -- Mcp-Method / Mcp-Name -------------------------------------------------------------------


def test_standard_headers_pass_and_are_trimmed() -> None:
    modern.check_standard_headers(
        "tools/call", {"name": "add"}, {"mcp-method": " tools/call\t", "mcp-name": "  add "}
    )
    modern.check_standard_headers(
        "resources/read",
        {"uri": "memo://x"},
        {"mcp-method": "resources/read", "mcp-name": "memo://x"},
    )
    modern.check_standard_headers("tools/list", None, {"mcp-method": "tools/list"})
    # Methods without a name need no Mcp-Name.
    modern.check_standard_headers("server/discover", {}, {"mcp-method": "server/discover"})


@pytest.mark.parametrize(
    ("method", "params", "headers"),
    [
        ("tools/list", None, {}),
        ("tools/list", None, {"mcp-method": "tools/call"}),
        ("tools/list", None, {"mcp-method": "Tools/List"}),  # values are case-sensitive
        ("tools/call", {"name": "add"}, {"mcp-method": "tools/call"}),
        ("prompts/get", {"name": "p"}, {"mcp-method": "prompts/get"}),
        ("resources/read", {"uri": "a://b"}, {"mcp-method": "resources/read"}),
        ("tools/call", {"name": "add"}, {"mcp-method": "tools/call", "mcp-name": "ADD"}),
        ("tools/call", {"name": "add"}, {"mcp-method": "tools/call", "mcp-name": "sub"}),
        ("resources/read", {"uri": "a://b"}, {"mcp-method": "resources/read", "mcp-name": "a://c"}),
    ],
)
def test_standard_headers_mismatch(method: str, params: Any, headers: dict[str, str]) -> None:
    with pytest.raises(HeaderMismatch) as caught:
        modern.check_standard_headers(method, params, headers)
    assert caught.value.code == HEADER_MISMATCH


def test_standard_headers_leave_a_missing_name_to_params_validation() -> None:
    modern.check_standard_headers("tools/call", {}, {"mcp-method": "tools/call"})
    modern.check_standard_headers("tools/call", None, {"mcp-method": "tools/call"})


# -- Mcp-Param-* values ----------------------------------------------------------------------


@given(st.text())
def test_header_value_round_trips_any_string(value: str) -> None:
    encoded = modern.encode_header_value(value)
    assert encoded.isascii()
    assert all(32 <= ord(c) < 127 for c in encoded)
    assert encoded == encoded.strip()
    assert modern.decode_header_value(encoded) == value


@given(st.integers())
def test_header_value_round_trips_ints(value: int) -> None:
    encoded = modern.encode_header_value(value)
    assert encoded == str(value)
    assert int(modern.decode_header_value(encoded)) == value


@given(st.booleans())
def test_header_value_of_bools(value: bool) -> None:
    encoded = modern.encode_header_value(value)
    assert encoded == ("true" if value else "false")
    assert modern.decode_header_value(encoded) == encoded


def test_header_value_base64_form() -> None:
    assert modern.decode_header_value("=?base64?SGVsbG8=?=") == "Hello"
    assert modern.decode_header_value("  =?base64?SGVsbG8=?=  ") == "Hello"
    assert (
        modern.encode_header_value("Héllo")
        == "=?base64?" + base64.b64encode("Héllo".encode()).decode() + "?="
    )
    # Looks like the wrapper: encoded so that it is not mistaken for it.
    tricky = "=?base64?SGVsbG8=?="
    assert modern.decode_header_value(modern.encode_header_value(tricky)) == tricky


@pytest.mark.parametrize(
    "raw",
    ["=?base64?SGVsbG8?=", "=?base64?SGVs!!!bG8=?=", "=?base64?/w==?="],  # last: not UTF-8
)
def test_header_value_invalid_base64_is_rejected(raw: str) -> None:
    with pytest.raises(ValueError):
        modern.decode_header_value(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "=?base64?SGVsbG8=",
        "base64?SGVsbG8=?=",
        "?base64?SGVsbG8=?=",
        "=?BASE64?SGVsbG8=?=",
        "plain",
    ],
)
def test_header_value_without_the_exact_wrapper_is_literal(raw: str) -> None:
    assert modern.decode_header_value(raw) == raw


@given(st.binary().filter(lambda b: b != b""))
def test_header_value_invalid_payloads_never_crash(data: bytes) -> None:
    raw = "=?base64?" + data.decode("latin-1") + "?="
    try:
        modern.decode_header_value(raw)
    except ValueError:
        pass


# -- x-mcp-header annotations ----------------------------------------------------------------


def test_x_mcp_headers_finds_annotated_parameters() -> None:
    schema = {
        "type": "object",
        "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "count": {"type": "integer", "x-mcp-header": "Count"},
            "flag": {"type": "boolean", "x-mcp-header": "Flag"},
            "ratio": {"type": "number", "x-mcp-header": "Ratio"},
            "plain": {"type": "string"},
        },
    }
    assert modern.x_mcp_headers(schema) == {
        "region": "Region",
        "count": "Count",
        "flag": "Flag",
        "ratio": "Ratio",
    }
    assert modern.x_mcp_headers({"type": "object"}) == {}


@pytest.mark.parametrize(
    "properties",
    [
        {"a": {"type": "string", "x-mcp-header": ""}},
        {"a": {"type": "string", "x-mcp-header": "Bad Name"}},
        {"a": {"type": "string", "x-mcp-header": "Bad:Name"}},
        {"a": {"type": "string", "x-mcp-header": 3}},
        {"a": {"type": "object", "x-mcp-header": "A"}},
        {"a": {"type": "array", "x-mcp-header": "A"}},
        {"a": {"x-mcp-header": "A"}},
        {
            "a": {"type": "string", "x-mcp-header": "A"},
            "b": {"type": "string", "x-mcp-header": "a"},
        },
    ],
)
def test_x_mcp_headers_rejects_invalid_annotations(properties: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        modern.x_mcp_headers({"type": "object", "properties": properties})


ANNOTATED = {"region": "Region", "count": "Count", "flag": "Flag"}


def test_param_headers_match() -> None:
    modern.check_param_headers(
        ANNOTATED,
        {"region": "eu-west", "count": 3, "flag": True},
        {"mcp-param-region": "eu-west", "mcp-param-count": "3.0", "mcp-param-flag": "true"},
    )
    modern.check_param_headers(
        ANNOTATED, {"region": "Hello"}, {"mcp-param-region": "=?base64?SGVsbG8=?="}
    )
    # Absent or null arguments need no header.
    modern.check_param_headers(ANNOTATED, {"region": None}, {})


@pytest.mark.parametrize(
    ("arguments", "headers"),
    [
        ({"region": "eu"}, {}),
        ({"region": "eu"}, {"mcp-param-region": "us"}),
        ({"region": "eu"}, {"mcp-param-region": "EU"}),
        ({"region": "Hello"}, {"mcp-param-region": "=?base64?SGVsbG8?="}),
        ({"count": 3}, {"mcp-param-count": "three"}),
        ({"count": 3}, {"mcp-param-count": "4"}),
        ({"flag": False}, {"mcp-param-flag": "true"}),
    ],
)
def test_param_headers_mismatch(arguments: dict[str, Any], headers: dict[str, str]) -> None:
    with pytest.raises(HeaderMismatch):
        modern.check_param_headers(ANNOTATED, arguments, headers)


# -- StateSealer -----------------------------------------------------------------------------

KEY = b"k" * 32
PAYLOADS = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@given(PAYLOADS)
def test_sealer_round_trips(payload: Any) -> None:
    sealer = StateSealer(KEY)
    token = sealer.seal(payload, "tools/call:x")
    assert token.isascii()
    assert sealer.unseal(token, "tools/call:x") == payload


# Sealed once: the token embeds its expiry time, and hypothesis needs the same token each run.
TOKEN = StateSealer(KEY).seal({"answers": {"a": {"x": 1}}, "state": {"n": 2}}, "tools/call:x")


@given(st.data())
def test_sealer_rejects_any_single_byte_tamper(data: st.DataObject) -> None:
    sealer = StateSealer(KEY)
    token = TOKEN
    assert sealer.unseal(token, "tools/call:x") == {"answers": {"a": {"x": 1}}, "state": {"n": 2}}
    index = data.draw(st.integers(0, len(token) - 1), label="index")
    replacement = data.draw(
        st.characters(min_codepoint=32, max_codepoint=126).filter(lambda c: c != token[index]),
        label="replacement",
    )
    tampered = token[:index] + replacement + token[index + 1 :]
    with pytest.raises(InvalidParams) as caught:
        sealer.unseal(tampered, "tools/call:x")
    assert caught.value.data == {"field": "requestState"}


@pytest.mark.parametrize("token", ["", ".", "abc", "abc.def", "...", "@@@.@@@"])
def test_sealer_rejects_garbage(token: str) -> None:
    with pytest.raises(InvalidParams):
        StateSealer(KEY).unseal(token, "b")


def test_sealer_rejects_a_state_bound_to_another_request() -> None:
    sealer = StateSealer(KEY)
    token = sealer.seal({}, "tools/call:a")
    with pytest.raises(InvalidParams) as caught:
        sealer.unseal(token, "tools/call:b")
    assert "tools/call:a" in caught.value.message


def test_sealer_rejects_an_expired_state(monkeypatch: pytest.MonkeyPatch) -> None:
    sealer = StateSealer(KEY, ttl=60)
    token = sealer.seal({"x": 1}, "b")
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 61)
    with pytest.raises(InvalidParams) as caught:
        sealer.unseal(token, "b")
    assert "expired" in caught.value.message


def test_sealer_key_too_short() -> None:
    with pytest.raises(ValueError):
        StateSealer(b"short")
    with pytest.raises(ValueError):
        StateSealer("x" * 15)
    StateSealer("x" * 16)


def test_sealers_sharing_a_key_interoperate_and_others_do_not() -> None:
    a, b = StateSealer(KEY), StateSealer(KEY.decode())
    token = a.seal({"n": 1}, "b")
    assert b.unseal(token, "b") == {"n": 1}
    with pytest.raises(InvalidParams):
        StateSealer(b"o" * 32).unseal(token, "b")
    # A random key per sealer when none is given.
    with pytest.raises(InvalidParams):
        StateSealer().unseal(StateSealer().seal(1, "b"), "b")


# -- era decision ------------------------------------------------------------------------------


def raw(params: Any) -> msgspec.Raw:
    return msgspec.Raw(json.dumps(params).encode())


@pytest.mark.parametrize(
    ("method", "params", "session", "header", "era"),
    [
        ("tools/list", {"_meta": meta()}, False, None, Era.MODERN),
        ("tools/list", {"_meta": meta()}, True, None, Era.LEGACY),  # a session id wins
        ("initialize", {"_meta": meta()}, False, None, Era.MODERN),
        ("initialize", {"protocolVersion": "2025-11-25"}, False, None, Era.LEGACY),
        ("ping", None, False, None, Era.LEGACY),
        ("tools/list", None, False, None, Era.MODERN),  # then -32602 for the missing _meta
        ("tools/list", None, False, "2025-06-18", Era.LEGACY),
        ("tools/list", None, False, f" {MODERN} ", Era.MODERN),
        ("tools/list", None, False, "2099-01-01", Era.MODERN),
        ("tools/list", {"_meta": meta()}, False, "2025-11-25", Era.MODERN),
        ("tools/list", {"_meta": "not an object"}, False, None, Era.MODERN),
        ("initialize", {"_meta": "x"}, False, None, Era.LEGACY),
    ],
)
def test_era_of_http_request(
    method: str, params: Any, session: bool, header: str | None, era: Era
) -> None:
    for form in (params, None if params is None else raw(params)):
        assert (
            versions.era_of_http_request(
                method, form, session_header=session, version_header=header
            )
            is era
        )


def test_sealer_rejects_every_single_character_change() -> None:
    # Exhaustive over positions (hypothesis samples them): the last character of each base64
    # part carries unused bits, and a lenient decoder maps several characters to one byte.
    sealer = StateSealer(KEY)
    alphabet = [chr(c) for c in range(32, 127)]
    for index, original in enumerate(TOKEN):
        for replacement in alphabet:
            if replacement == original:
                continue
            tampered = TOKEN[:index] + replacement + TOKEN[index + 1 :]
            with pytest.raises(InvalidParams):
                sealer.unseal(tampered, "tools/call:x")
