"""Resources, templates, prompts, completions, subscriptions and pagination through a session."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

import fastestmcp
from fastestmcp.protocol.errors import McpError
from fastestmcp.server.running import ServerHandle, start
from fastestmcp.transports.memory import MemoryConnection

# -- resources, templates, prompts, completions ----------------------------------------------


def test_resources_list_and_read(conn):
    listed = conn.request("resources/list")
    assert [r["uri"] for r in listed["resources"]] == ["suite://readme", "suite://broken"]
    assert "nextCursor" not in listed
    read = conn.request("resources/read", {"uri": "suite://readme"})
    assert read == {
        "contents": [{"uri": "suite://readme", "mimeType": "text/plain", "text": "read me"}]
    }


def test_templates_list_and_read_with_typed_captures(conn):
    listed = conn.request("resources/templates/list")
    assert [t["uriTemplate"] for t in listed["resourceTemplates"]] == ["suite://items/{item_id}"]
    read = conn.request("resources/read", {"uri": "suite://items/42"})
    (content,) = read["contents"]
    assert content["uri"] == "suite://items/42"
    assert '"type":"int"' in content["text"].replace(" ", "")
    assert '"id":42' in content["text"].replace(" ", "")


def test_a_template_capture_that_does_not_convert_is_invalid_params(conn):
    with pytest.raises(McpError) as info:
        conn.request("resources/read", {"uri": "suite://items/forty-two"})
    assert info.value.code == -32602
    assert "item_id" in info.value.message


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("resources/read", {"uri": "suite://broken"}),
        ("prompts/get", {"name": "broken_prompt"}),
    ],
)
def test_a_failing_resource_or_prompt_handler_is_an_internal_error(conn, method: str, params):
    with pytest.raises(McpError) as info:
        conn.request(method, params)
    assert info.value.code == -32603
    assert "RuntimeError" in info.value.message
    assert "secret detail" not in info.value.message
    assert conn.request("ping") == {}


def test_prompts_list_and_get(conn):
    listed = conn.request("prompts/list")
    assert [p["name"] for p in listed["prompts"]] == ["review", "broken_prompt"]
    got = conn.request("prompts/get", {"name": "review", "arguments": {"code": "x = 1"}})
    assert got["messages"] == [
        {"role": "user", "content": {"type": "text", "text": "Review this python: x = 1"}}
    ]


def test_a_prompt_missing_a_required_argument_is_invalid_params(conn):
    with pytest.raises(McpError) as info:
        conn.request("prompts/get", {"name": "review", "arguments": {"language": "perl"}})
    assert info.value.code == -32602
    assert "missing required argument 'code'" in info.value.message
    with pytest.raises(McpError) as info:
        conn.request("prompts/get", {"name": "nope"})
    assert info.value.code == -32602
    assert info.value.data == {"name": "nope"}


def test_completion_complete(conn):
    prompt = conn.request(
        "completion/complete",
        {
            "ref": {"type": "ref/prompt", "name": "review"},
            "argument": {"name": "language", "value": "P"},
        },
    )
    assert prompt["completion"]["values"] == ["python", "perl"]
    template = conn.request(
        "completion/complete",
        {
            "ref": {"type": "ref/resource", "uri": "suite://items/{item_id}"},
            "argument": {"name": "item_id", "value": "12"},
        },
    )
    assert template["completion"]["values"] == ["12", "123"]
    unknown = conn.request(
        "completion/complete",
        {
            "ref": {"type": "ref/prompt", "name": "review"},
            "argument": {"name": "code", "value": ""},
        },
    )
    assert unknown["completion"]["values"] == []


def test_subscribe_and_unsubscribe_are_accepted(conn, suite: ServerHandle):
    def subscriptions() -> list[str]:
        saved: Any = suite.store.ask(("load", conn.session_id), timeout=5)
        assert saved is not None
        found: list[str] = saved[0].subscriptions
        return found

    assert conn.request("resources/subscribe", {"uri": "suite://readme"}) == {}
    assert conn.request("resources/subscribe", {"uri": "suite://readme"}) == {}
    assert subscriptions() == ["suite://readme"]
    assert conn.request("resources/unsubscribe", {"uri": "suite://readme"}) == {}
    assert conn.request("resources/unsubscribe", {"uri": "suite://other"}) == {}
    assert subscriptions() == []


# -- pagination ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def paged() -> Iterator[ServerHandle]:
    srv = fastestmcp.server("paged", list_page_size=2)
    for i in range(5):
        srv.add_tool(lambda: "x", name=f"tool{i}")
    for i in range(3):
        srv.add_resource(lambda: "r", f"paged://r{i}", name=f"r{i}")
    for i in range(3):
        srv.add_prompt(lambda: "p", name=f"prompt{i}")
    h = start(srv)
    try:
        yield h
    finally:
        h.stop()


@pytest.mark.parametrize(
    ("method", "key", "field", "expected"),
    [
        ("tools/list", "tools", "name", [f"tool{i}" for i in range(5)]),
        ("resources/list", "resources", "uri", [f"paged://r{i}" for i in range(3)]),
        ("prompts/list", "prompts", "name", [f"prompt{i}" for i in range(3)]),
    ],
)
def test_cursors_walk_the_whole_list(paged, method: str, key: str, field: str, expected: list[str]):
    conn = MemoryConnection.open(paged)
    try:
        seen: list[str] = []
        pages = 0
        cursor: str | None = None
        while True:
            page = conn.request(method, {"cursor": cursor} if cursor else {})
            pages += 1
            assert len(page[key]) <= 2
            seen += [item[field] for item in page[key]]
            cursor = page.get("nextCursor")
            if cursor is None:
                break
            assert pages < 10
        assert seen == expected
        assert pages == (len(expected) + 1) // 2
    finally:
        conn.close()


def test_a_tampered_or_foreign_cursor_is_invalid_params(paged):
    conn = MemoryConnection.open(paged)
    other = MemoryConnection.open(paged)
    try:
        cursor = conn.request("tools/list")["nextCursor"]
        tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
        for bad in (tampered, "not-a-cursor"):
            with pytest.raises(McpError) as info:
                conn.request("tools/list", {"cursor": bad})
            assert info.value.code == -32602
        # A cursor is bound to its list and its session.
        with pytest.raises(McpError) as info:
            conn.request("prompts/list", {"cursor": cursor})
        assert info.value.code == -32602
        with pytest.raises(McpError) as info:
            other.request("tools/list", {"cursor": cursor})
        assert info.value.code == -32602
        # The genuine cursor still works.
        assert [t["name"] for t in conn.request("tools/list", {"cursor": cursor})["tools"]] == [
            "tool2",
            "tool3",
        ]
    finally:
        conn.close()
        other.close()


def test_resources_templates_and_prompts_have_a_per_component_timeout() -> None:
    """A read or render that runs past its component's `timeout` is answered -32603 naming
    the timeout, long before the handler would finish."""
    app = fastestmcp.server("timeouts")

    @app.resource("slow://one", timeout=0.2)
    async def slow_resource() -> str:
        await asyncio.sleep(30)
        return "never"

    @app.resource("slow://items/{n}", timeout=0.2)
    async def slow_template(n: int) -> str:
        await asyncio.sleep(30)
        return "never"

    @app.prompt(timeout=0.2)
    async def slow_prompt() -> str:
        await asyncio.sleep(30)
        return "never"

    handle = fastestmcp.start(app)
    try:
        conn = MemoryConnection.open(handle)
        began = time.monotonic()
        for method, params in (
            ("resources/read", {"uri": "slow://one"}),
            ("resources/read", {"uri": "slow://items/3"}),
            ("prompts/get", {"name": "slow_prompt"}),
        ):
            with pytest.raises(McpError) as info:
                conn.request(method, params, timeout=10)
            assert info.value.code == -32603
            assert "timed out after 0.2 s" in info.value.message
        assert time.monotonic() - began < 20  # generous: far below one 30 s handler
    finally:
        handle.stop()
