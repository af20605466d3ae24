"""The request view handlers get (`HttpRequestInfo`): headers lower-cased, repeated headers
joined, query parameters as sent; a single lookup agrees with the whole mapping. And
`read_body`'s common case: no timer."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest import mock

import pytest
from aiohttp.streams import StreamReader
from aiohttp.test_utils import make_mocked_request
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

from fastestmcp.transports._http_common import _Lowered, read_body

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


# -- read_body: the common case takes no timer -----------------------------------------------------


def test_a_body_that_came_with_the_headers_is_read_without_a_timer_or_a_wait() -> None:
    # The usual small POST: the whole body is in aiohttp's buffer when the handler starts. It
    # is taken in one step (the coroutine finishes on its first step: nothing awaited), and no
    # timer or task is made for body_timeout, which only the slow path arms.
    body = b'{"jsonrpc":"2.0","id":1,"method":"ping"}'

    async def main() -> None:
        loop = asyncio.get_running_loop()
        payload = StreamReader(mock.Mock(_reading_paused=False), 2**16, loop=loop)
        payload.feed_data(body)
        payload.feed_eof()
        request = make_mocked_request(
            "POST", "/mcp", headers={"Content-Length": str(len(body))}, payload=payload
        )

        def forbidden(*_args: Any, **_kwargs: Any) -> Any:
            raise AssertionError("the hot path armed a timer or made a task")

        with (
            mock.patch.object(loop, "call_at", forbidden),
            mock.patch.object(loop, "call_later", forbidden),
            mock.patch.object(loop, "create_task", forbidden),
        ):
            step = read_body(request, 1000, 0.3)
            with pytest.raises(StopIteration) as done:
                step.send(None)
        assert done.value.value == body

    asyncio.run(main())
