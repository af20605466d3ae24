"""Visibility selectors (pure matching) and version ordering."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastestmcp.server import (
    Prompt,
    Resource,
    ResourceTemplate,
    Selector,
    Tool,
    VersionSpec,
    compare_versions,
)


def ping() -> str:
    return "pong"


def item(item_id: str) -> str:
    return item_id


TOOL = Tool.from_function(ping, tags={"admin", "beta"}, version="1.2.0")
PLAIN_TOOL = Tool.from_function(ping, name="plain")
RESOURCE = Resource.from_function(ping, "mem://ping", name="ping_resource", tags={"beta"})
TEMPLATE = ResourceTemplate.from_function(item, "mem://items/{item_id}", version="2")
PROMPT = Prompt.from_function(ping, name="ping_prompt", tags={"admin"})
ALL = (TOOL, PLAIN_TOOL, RESOURCE, TEMPLATE, PROMPT)


def selected(selector: Selector) -> list[str]:
    return [c.key for c in ALL if selector.matches(c)]


def test_a_selector_without_criteria_matches_nothing():
    assert selected(Selector()) == []
    assert not Selector().has_criteria


def test_match_all_matches_everything_of_the_given_kinds():
    assert len(selected(Selector(match_all=True))) == len(ALL)
    assert selected(Selector(match_all=True, components="tool")) == [
        "tool:ping@1.2.0",
        "tool:plain@",
    ]
    assert selected(Selector(match_all=True, names={"nothing"})) == [c.key for c in ALL]


def test_names_match_names_or_identifiers():
    assert selected(Selector(names={"ping"})) == ["tool:ping@1.2.0"]
    assert selected(Selector(names={"mem://ping"})) == ["resource:mem://ping@"]
    assert selected(Selector(names="ping_resource")) == ["resource:mem://ping@"]
    assert selected(Selector(names={"mem://items/{item_id}"})) == [
        "template:mem://items/{item_id}@2"
    ]


def test_keys_tags_and_kinds():
    assert selected(Selector(keys={"tool:plain@", "prompt:ping_prompt@"})) == [
        "tool:plain@",
        "prompt:ping_prompt@",
    ]
    assert selected(Selector(tags={"beta", "unused"})) == [
        "tool:ping@1.2.0",
        "resource:mem://ping@",
    ]
    assert selected(Selector(components=["resource_template"])) == [
        "template:mem://items/{item_id}@2"
    ]
    assert selected(Selector(components={"template", "prompt"})) == [
        "template:mem://items/{item_id}@2",
        "prompt:ping_prompt@",
    ]


def test_every_given_criterion_must_match():
    assert selected(Selector(tags={"admin"}, components={"prompt"})) == ["prompt:ping_prompt@"]
    assert selected(Selector(tags={"admin"}, names={"plain"})) == []


def test_version_selectors_and_unversioned_components():
    assert selected(Selector(version="1.2.0")) == ["tool:ping@1.2.0"]
    assert selected(Selector(version={"gte": "1.10"})) == ["template:mem://items/{item_id}@2"]
    assert selected(Selector(version=VersionSpec(gt="1", lt="2"))) == ["tool:ping@1.2.0"]
    assert selected(Selector(version={"lte": "99"})) == [
        "tool:ping@1.2.0",
        "template:mem://items/{item_id}@2",
    ]


def test_invalid_selectors_are_refused():
    with pytest.raises(ValueError, match="unknown component kinds"):
        Selector(components={"widget"})
    with pytest.raises(ValueError, match="at least one of"):
        VersionSpec()
    with pytest.raises(ValueError, match="unknown version bounds"):
        Selector(version={"above": "1"})
    with pytest.raises(TypeError, match="must be str"):
        Selector(tags={1})  # type: ignore[arg-type]


def test_selectors_compare_by_value():
    assert Selector(tags=["a"], version="1") == Selector(tags={"a"}, version=VersionSpec(eq="1"))
    assert hash(Selector(names="x")) == hash(Selector(names={"x"}))
    assert Selector(names="x") != Selector(keys="x")
    assert "tags=['a']" in repr(Selector(tags="a"))


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("1.9.0", "1.10.0"),
        ("1.0", "1.0.1"),
        ("1.0.0-rc1", "1.0.0"),
        ("1.0.0-alpha", "1.0.0-beta"),
        ("v1", "v2"),
        (None, "0"),
        ("alpha", "beta"),
        ("1.0", "release"),
    ],
)
def test_version_ordering(low, high):
    assert compare_versions(low, high) == -1
    assert compare_versions(high, low) == 1
    assert compare_versions(low, low) == 0


def test_versions_that_differ_only_by_trailing_zeros_are_equal():
    assert compare_versions("1.0", "1.0.0") == 0


_VERSIONS = st.one_of(
    st.none(),
    st.lists(st.integers(0, 20), min_size=1, max_size=3).map(lambda p: ".".join(map(str, p))),
    st.text("abc.-1", min_size=1, max_size=5),
)


@given(_VERSIONS, _VERSIONS)
def test_version_comparison_is_antisymmetric(a, b):
    assert compare_versions(a, b) == -compare_versions(b, a)
