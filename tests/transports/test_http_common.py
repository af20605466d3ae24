"""The request view handlers get (`HttpRequestInfo`): headers lower-cased, repeated headers
joined, query parameters as sent; a single lookup agrees with the whole mapping."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

from fastestmcp.transports._http_common import _Lowered

NAMES = st.sampled_from(["Accept", "accept", "X-Trace", "x-TRACE", "Mcp-Name", "Host"])
VALUES = st.text(alphabet="abc ,=", max_size=5)


@given(st.lists(st.tuples(NAMES, VALUES), max_size=8), NAMES)
def test_a_header_lookup_agrees_with_the_whole_mapping(
    pairs: list[tuple[str, str]], name: str
) -> None:
    source = CIMultiDictProxy(CIMultiDict(pairs))
    whole = dict(_Lowered(source, lower=True))
    for key in (name, name.lower()):
        assert _Lowered(source, lower=True).get(key, "-") == whole.get(key, "-")
        assert (key in _Lowered(source, lower=True)) == (key in whole)


@given(st.lists(st.tuples(NAMES, VALUES), max_size=8), NAMES)
def test_a_query_lookup_agrees_with_the_whole_mapping(
    pairs: list[tuple[str, str]], name: str
) -> None:
    source = MultiDictProxy(MultiDict(pairs))
    whole = dict(_Lowered(source, lower=False))
    assert _Lowered(source, lower=False).get(name, "-") == whole.get(name, "-")


def test_repeated_headers_are_joined_in_order() -> None:
    source = CIMultiDictProxy(CIMultiDict([("X-A", "1"), ("x-a", "2"), ("B", "3")]))
    view = _Lowered(source, lower=True)
    assert view.get("x-a") == "1, 2"
    assert view.get("X-A") is None  # names are lower-cased in this mapping
    assert view["b"] == "3"
    assert view.get("x-a") == "1, 2"  # and the same once the mapping is built
