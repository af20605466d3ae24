"""Versions: negotiation, feature facts per revision, the era decision."""

from __future__ import annotations

import dataclasses

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastestmcp.protocol import types as t
from fastestmcp.protocol import versions as v
from fastestmcp.protocol.errors import INVALID_PARAMS, RESOURCE_NOT_FOUND, InvalidRequest
from fastestmcp.protocol.versions import Era

version_like = st.sampled_from(v.SUPPORTED_VERSIONS) | st.text(max_size=12) | st.dates().map(str)
legacy_subsets = st.lists(st.sampled_from(v.LEGACY_VERSIONS), min_size=1, unique=True)


def test_the_supported_revisions_in_order() -> None:
    assert v.LEGACY_VERSIONS == ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
    assert v.MODERN_VERSIONS == ("2026-07-28",)
    assert tuple(sorted(v.SUPPORTED_VERSIONS)) == v.SUPPORTED_VERSIONS
    assert v.LATEST_LEGACY == "2025-11-25"
    assert v.LATEST == "2026-07-28"
    assert v.HTTP_ASSUMED_VERSION == "2025-03-26"


# -- negotiation ---------------------------------------------------------------------------


@given(version_like, legacy_subsets)
def test_negotiation_answers_a_supported_version(requested: str, supported: list[str]) -> None:
    chosen = v.negotiate(requested, supported)
    assert chosen in supported
    if requested in supported:
        assert chosen == requested
    else:
        assert chosen == max(supported)


@given(version_like)
def test_negotiation_by_default_speaks_every_legacy_version(requested: str) -> None:
    chosen = v.negotiate(requested)
    assert v.is_legacy(chosen)
    assert chosen == (requested if requested in v.LEGACY_VERSIONS else v.LATEST_LEGACY)


def test_negotiation_never_answers_initialize_with_a_modern_version() -> None:
    assert v.negotiate("2026-07-28") == v.LATEST_LEGACY
    assert v.negotiate("2099-01-01") == v.LATEST_LEGACY
    assert v.negotiate("2024-01-01") == v.LATEST_LEGACY


def test_negotiation_needs_a_supported_version() -> None:
    with pytest.raises(ValueError, match="at least one"):
        v.negotiate("2025-06-18", [])


# -- feature facts -------------------------------------------------------------------------


def test_batching_is_only_allowed_in_2025_03_26() -> None:
    assert [x for x in v.SUPPORTED_VERSIONS if v.features(x).batching] == ["2025-03-26"]


@pytest.mark.parametrize(
    ("fact", "first"),
    [
        ("streamable_http", "2025-03-26"),
        ("tool_annotations", "2025-03-26"),
        ("audio_content", "2025-03-26"),
        ("completions_capability", "2025-03-26"),
        ("progress_message", "2025-03-26"),
        ("structured_content", "2025-06-18"),
        ("elicitation", "2025-06-18"),
        ("resource_link", "2025-06-18"),
        ("title_fields", "2025-06-18"),
        ("completion_context", "2025-06-18"),
        ("protocol_version_header", "2025-06-18"),
        ("icons", "2025-11-25"),
        ("implementation_description", "2025-11-25"),
        ("elicitation_url", "2025-11-25"),
        ("elicitation_defaults", "2025-11-25"),
        ("sampling_tools", "2025-11-25"),
    ],
)
def test_additive_features_start_at_their_revision(fact: str, first: str) -> None:
    for version in v.SUPPORTED_VERSIONS:
        assert getattr(v.features(version), fact) is (version >= first), (fact, version)


@pytest.mark.parametrize(
    "fact",
    [
        "initialize_handshake",
        "ping",
        "logging_set_level",
        "roots_list_changed",
        "resource_subscriptions",
        "server_to_client_requests",
    ],
)
def test_legacy_only_features_are_gone_in_the_modern_era(fact: str) -> None:
    for version in v.SUPPORTED_VERSIONS:
        assert getattr(v.features(version), fact) is v.is_legacy(version)


def test_facts_only_the_last_legacy_revision_has() -> None:
    for fact in ("tasks", "sse_polling", "elicitation_complete_notification"):
        assert [x for x in v.SUPPORTED_VERSIONS if getattr(v.features(x), fact)] == ["2025-11-25"]


def test_resource_not_found_code_depends_on_the_era() -> None:
    for version in v.LEGACY_VERSIONS:
        assert v.features(version).resource_not_found_code == RESOURCE_NOT_FOUND
    assert v.features("2026-07-28").resource_not_found_code == INVALID_PARAMS


def test_json_schema_dialect_default() -> None:
    assert "draft-07" in v.features("2025-06-18").json_schema_dialect
    assert "2020-12" in v.features("2025-11-25").json_schema_dialect


def test_features_are_frozen_and_complete() -> None:
    facts = v.features("2025-06-18")
    with pytest.raises(dataclasses.FrozenInstanceError):
        facts.batching = True  # type: ignore[misc]
    assert facts.version == "2025-06-18"
    assert facts.era is Era.LEGACY


def test_features_of_an_unsupported_version_say_what_to_do() -> None:
    with pytest.raises(ValueError, match="Negotiate a version"):
        v.features("1999-01-01")


@given(version_like)
def test_eras_partition_the_supported_versions(version: str) -> None:
    assert v.is_supported(version) == (v.is_legacy(version) or v.is_modern(version))
    assert not (v.is_legacy(version) and v.is_modern(version))
    if v.is_supported(version):
        assert v.era_of_version(version) is (Era.LEGACY if v.is_legacy(version) else Era.MODERN)


def test_method_availability_per_revision() -> None:
    assert not v.method_available("elicitation/create", "2025-03-26")
    assert v.method_available("elicitation/create", "2025-06-18")
    assert not v.method_available("notifications/elicitation/complete", "2025-06-18")
    assert v.method_available("notifications/elicitation/complete", "2025-11-25")
    assert not v.method_available("notifications/elicitation/complete", "2026-07-28")
    assert v.method_available("tools/call", "2024-11-05")
    assert not v.method_available("ping", "2026-07-28")
    assert not v.method_available("logging/setLevel", "2026-07-28")
    assert v.method_available("tools/call", "2026-07-28")


# -- the era of a request ---------------------------------------------------------------------


def _params(value: object) -> msgspec.Raw:
    return msgspec.Raw(msgspec.json.encode(value))


MODERN_META = {"_meta": {v.META_PROTOCOL_VERSION: "2026-07-28", "other": [1, 2]}}


def test_initialize_is_legacy_unless_it_carries_modern_meta() -> None:
    assert v.era_of_request("initialize", None) is Era.LEGACY
    # A modern client that sends initialize gets the modern answer: -32601 (HTTP 404).
    assert v.era_of_request("initialize", _params(MODERN_META)) is Era.MODERN
    assert v.era_of_request("initialize", _params(MODERN_META), legacy_session=True) is (Era.LEGACY)


def test_http_era_follows_session_then_meta_then_version_header() -> None:
    era = v.era_of_http_request
    assert era("tools/list", None, session_header=True, version_header=None) is Era.LEGACY
    assert (
        era("tools/list", _params(MODERN_META), session_header=False, version_header=None)
        is Era.MODERN
    )
    assert era("tools/list", None, session_header=False, version_header="2026-07-28") is (
        Era.MODERN
    )
    assert era("tools/list", None, session_header=False, version_header="2025-06-18") is (
        Era.LEGACY
    )
    assert era("initialize", None, session_header=False, version_header=None) is Era.LEGACY
    assert era("tools/list", None, session_header=False, version_header=None) is Era.MODERN


def test_modern_meta_makes_a_request_modern() -> None:
    assert v.era_of_request("tools/list", _params(MODERN_META)) is Era.MODERN
    assert v.era_of_request("ping", _params(MODERN_META)) is Era.MODERN


def test_a_legacy_session_keeps_its_requests_legacy() -> None:
    assert v.era_of_request("tools/list", _params(MODERN_META), legacy_session=True) is Era.LEGACY
    assert v.era_of_request("tools/call", None, legacy_session=True) is Era.LEGACY


def test_without_session_or_modern_meta_a_request_is_modern_except_ping() -> None:
    assert v.era_of_request("tools/list", None) is Era.MODERN
    assert v.era_of_request("tools/list", _params({"_meta": {"progressToken": 1}})) is Era.MODERN
    assert v.era_of_request("ping", None) is Era.LEGACY


@pytest.mark.parametrize(
    "params", [{"_meta": 5}, {"_meta": None}, {"_meta": []}, {"other": {"_meta": {}}}, {}]
)
def test_malformed_or_missing_meta_is_not_modern_meta(params: object) -> None:
    assert v.modern_protocol_version(_params(params)) is None
    assert v.era_of_request("ping", _params(params)) is Era.LEGACY


def test_modern_protocol_version_reads_only_a_string() -> None:
    assert v.modern_protocol_version(_params(MODERN_META)) == "2026-07-28"
    assert v.modern_protocol_version(_params({"_meta": {v.META_PROTOCOL_VERSION: 5}})) is None
    assert v.modern_protocol_version(None) is None


def test_is_modern_meta_checks_the_key() -> None:
    assert v.is_modern_meta({v.META_PROTOCOL_VERSION: "2026-07-28"})
    assert not v.is_modern_meta({"progressToken": 1})
    assert not v.is_modern_meta(None)


@given(
    st.dictionaries(
        st.sampled_from([v.META_PROTOCOL_VERSION, "progressToken"]) | st.text(max_size=10),
        st.integers() | st.text(max_size=5) | st.none(),
        max_size=5,
    )
)
def test_era_detection_never_raises_on_random_meta(meta: dict[str, object]) -> None:
    era = v.era_of_request("ping", _params({"_meta": meta}))
    assert era is (Era.MODERN if v.META_PROTOCOL_VERSION in meta else Era.LEGACY)


# -- the MCP-Protocol-Version header ---------------------------------------------------------


def test_http_header_version_rules() -> None:
    assert v.http_header_version(None) == "2025-03-26"
    assert v.http_header_version(None, negotiated="2025-11-25") == "2025-11-25"
    assert v.http_header_version(" 2025-06-18 ") == "2025-06-18"
    with pytest.raises(InvalidRequest, match="unsupported MCP-Protocol-Version"):
        v.http_header_version("2099-01-01")
    with pytest.raises(InvalidRequest):
        v.http_header_version("2026-07-28")


def test_era_detection_reads_in_process_params_too() -> None:
    meta = {v.META_PROTOCOL_VERSION: "2026-07-28"}
    assert v.era_of_request("tools/list", {"_meta": meta}) is Era.MODERN
    assert v.era_of_request("ping", {"_meta": {"progressToken": 1}}) is Era.LEGACY
    assert v.era_of_request("ping", t.RequestParams(meta=meta)) is Era.MODERN
    assert v.era_of_request("ping", t.RequestParams()) is Era.LEGACY
    assert v.modern_protocol_version(t.PaginatedRequestParams(meta=meta)) == "2026-07-28"
