"""The session layer in process: the initialize handshake and JSON-RPC errors.

Every test drives a real running server (`start(server)`: the whole supervision tree on its
own runtime) through `MemoryConnection`, a raw JSON-RPC client on an in-memory session.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import pytest

import fastestmcp
from fastestmcp.protocol import versions
from fastestmcp.protocol.errors import McpError
from fastestmcp.server.running import ServerHandle, start
from fastestmcp.transports.memory import MemoryConnection

from .sessions import (
    WAIT,
    answers,
    new_probe,
    send_request,
    wait_answer,
    wait_until,
)
from .suite import Connect, call, value


@pytest.fixture
def only_tools() -> Iterator[ServerHandle]:
    srv = fastestmcp.server("only-tools")

    @srv.tool
    def echo(text: str) -> str:
        return text

    h = start(srv)
    try:
        yield h
    finally:
        h.stop()


# -- initialize ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", versions.LEGACY_VERSIONS)
def test_initialize_answers_the_clients_supported_version(connect: Connect, version: str):
    conn = connect(protocol_version=version)
    assert conn.initialize_result is not None
    assert conn.initialize_result["protocolVersion"] == version


@pytest.mark.parametrize("version", ["2099-01-01", versions.V2026_07_28, "1.0"])
def test_initialize_with_an_unknown_version_answers_the_latest_legacy(
    connect: Connect, version: str
):
    conn = connect(protocol_version=version)
    assert conn.initialize_result is not None
    assert conn.initialize_result["protocolVersion"] == versions.LATEST_LEGACY == "2025-11-25"
    # The session is initialized under it: calls work.
    assert value(call(conn, "add", a=1, b=2)) == 3


def test_initialize_result_has_server_info_instructions_and_every_capability(conn):
    result = conn.initialize_result
    assert result["serverInfo"] == {"name": "suite", "version": "9.9.9"}
    assert result["instructions"] == "Use the tools wisely."
    assert result["capabilities"] == {
        "logging": {},
        "completions": {},
        "prompts": {"listChanged": True},
        "resources": {"subscribe": True, "listChanged": True},
        "tools": {"listChanged": True},
    }


def test_completions_capability_is_not_advertised_to_2024_11_05(connect: Connect):
    conn = connect(protocol_version=versions.V2024_11_05)
    assert conn.initialize_result is not None
    assert "completions" not in conn.initialize_result["capabilities"]
    assert "prompts" in conn.initialize_result["capabilities"]


def test_a_server_with_only_tools_advertises_only_tools_and_logging(only_tools):
    conn = MemoryConnection.open(only_tools)
    try:
        assert conn.initialize_result is not None
        assert conn.initialize_result["capabilities"] == {
            "logging": {},
            "tools": {"listChanged": True},
        }
        assert "instructions" not in conn.initialize_result
        assert conn.initialize_result["serverInfo"]["name"] == "only-tools"
    finally:
        conn.close()


def test_completions_are_advertised_only_with_a_completion_source():
    srv = fastestmcp.server("prompts-only")

    @srv.prompt
    def hello(name: str) -> str:
        return f"hello {name}"

    with start(srv) as h:
        conn = MemoryConnection.open(h)
        caps = conn.initialize_result["capabilities"] if conn.initialize_result else {}
        assert caps == {"logging": {}, "prompts": {"listChanged": True}}
        conn.close()
        srv.add_completion("hello", "name", ["ada", "alan"])
        conn = MemoryConnection.open(h)
        caps = conn.initialize_result["capabilities"] if conn.initialize_result else {}
        assert caps["completions"] == {}
        conn.close()


def test_a_second_initialize_is_rejected(conn):
    with pytest.raises(McpError) as info:
        conn.request(
            "initialize",
            {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "x", "version": "1"},
            },
        )
    assert info.value.code == -32600
    assert "already initialized" in info.value.message
    # The first negotiation stands.
    assert value(call(conn, "add", a=2, b=2)) == 4


@pytest.mark.parametrize("method", ["tools/list", "tools/call", "resources/read", "nope/nope"])
def test_requests_before_initialize_without_meta_are_invalid_params(connect: Connect, method: str):
    """Dual era: a request before initialize is a 2026-07-28 request, and one without the
    modern `_meta` is refused with -32602, saying what to send (or to initialize first)."""
    conn = connect(initialize=False)
    with pytest.raises(McpError) as info:
        conn.request(method, {"name": "add"})
    assert info.value.code == -32602
    assert "_meta" in info.value.message
    assert "initialize first" in info.value.message


def test_discover_before_initialize_answers_the_modern_probe(connect: Connect):
    """A dual-era server answers a modern client's server/discover probe over the same
    connection (stdio, WebSocket, in-memory); the client then stays modern."""
    conn = connect(initialize=False)
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    result = conn.request("server/discover", {"_meta": meta})
    assert "2026-07-28" in result["supportedVersions"]
    assert result["resultType"] == "complete"
    assert result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"]


def test_unknown_methods_after_initialize_are_not_found(connect: Connect):
    conn = connect()
    with pytest.raises(McpError) as info:
        conn.request("server/discover")
    assert info.value.code == -32601


def test_ping_works_before_and_after_initialize(connect: Connect):
    conn = connect(initialize=False)
    assert conn.request("ping") == {}
    conn.request(
        "initialize",
        {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "x", "version": "1"},
        },
    )
    assert conn.request("ping") == {}
    assert value(call(conn, "add", a=1, b=1)) == 2


# -- errors ----------------------------------------------------------------------------------


def test_malformed_json_is_a_parse_error_with_a_null_id(conn):
    conn.send_frame(b'{"jsonrpc": "2.0", "id": 1, "method": ')
    answer = wait_answer(conn, None)
    assert answer["error"]["code"] == -32700
    assert "not valid JSON" in answer["error"]["message"]
    assert answer.get("id") is None
    # The session lives on.
    assert conn.request("ping") == {}


@pytest.mark.parametrize(
    ("frame", "request_id", "fragment"),
    [
        (b'{"jsonrpc": "1.0", "id": 5, "method": "ping"}', 5, '"jsonrpc" is'),
        (b'{"jsonrpc": "2.0", "id": "s", "method": 7}', "s", '"method" must be a string'),
        (b'{"jsonrpc": "2.0", "id": 6, "method": "ping", "params": [1]}', 6, '"params" must be'),
        (b'{"jsonrpc": "2.0", "id": 7}', 7, "neither a request"),
        (b'{"jsonrpc": "2.0", "id": 1.5, "method": "ping"}', None, '"id" must be'),
        (b'"just a string"', None, "Invalid request"),
    ],
)
def test_wrong_shapes_are_invalid_requests(conn, frame: bytes, request_id: Any, fragment: str):
    conn.send_frame(frame)
    answer = wait_answer(conn, request_id)
    assert answer["error"]["code"] == -32600
    assert fragment in answer["error"]["message"]


def test_unknown_method_is_method_not_found_and_keeps_the_id(conn):
    send_request(conn, "abc-1", "tools/explode", {})
    answer = wait_answer(conn, "abc-1")
    assert answer["id"] == "abc-1"
    assert answer["error"]["code"] == -32601
    assert "tools/explode" in answer["error"]["message"]


def test_unknown_tool_is_invalid_params(conn):
    with pytest.raises(McpError) as info:
        call(conn, "nope")
    assert info.value.code == -32602
    assert info.value.data == {"name": "nope"}
    assert "'nope'" in info.value.message
    assert info.value.request_id is not None


@pytest.mark.parametrize(
    ("method", "params", "path"),
    [
        ("tools/call", {"name": 5}, "$.params.name"),
        ("resources/read", {}, "uri"),
        ("prompts/get", {"name": "review", "arguments": {"code": 1}}, "$.params.arguments"),
        ("logging/setLevel", {"level": "loud"}, "$.params.level"),
    ],
)
def test_invalid_params_name_the_path(conn, method: str, params: Any, path: str):
    send_request(conn, 41, method, params)
    answer = wait_answer(conn, 41)
    assert answer["error"]["code"] == -32602
    assert path in answer["error"]["message"]


def test_unknown_resource_is_resource_not_found_with_the_uri(conn):
    with pytest.raises(McpError) as info:
        conn.request("resources/read", {"uri": "suite://nothing/here"})
    assert info.value.code == -32002
    assert info.value.data == {"uri": "suite://nothing/here"}


def test_a_duplicate_in_flight_request_id_is_rejected(conn):
    key, probe = new_probe()
    send_request(conn, 77, "tools/call", {"name": "gate", "arguments": {"key": key}})
    assert probe.started.wait(WAIT)
    send_request(conn, 77, "tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}})
    rejected = wait_answer(conn, 77)
    assert rejected["error"]["code"] == -32600
    assert "already in use" in rejected["error"]["message"]
    probe.release.set()
    wait_until(lambda: len(answers(conn, 77)) == 2, "the gated call's result")
    first = answers(conn, 77)[1]
    assert first["result"]["structuredContent"] == {"result": "released"}
    # Once answered, the id is free again.
    send_request(conn, 77, "ping")
    wait_until(lambda: len(answers(conn, 77)) == 3, "the ping reusing the id")
    assert answers(conn, 77)[2]["result"] == {}


def test_stray_responses_and_unknown_notifications_are_ignored(conn):
    conn.send_frame(b'{"jsonrpc": "2.0", "id": "never-asked", "result": {}}')
    conn.send_frame(b'{"jsonrpc": "2.0", "error": {"code": -32000, "message": "huh"}}')
    conn.notify("notifications/something_new", {"x": 1})
    conn.notify("notifications/initialized")
    assert conn.request("ping") == {}
    assert answers(conn, "never-asked") == []
    assert answers(conn, None) == []
    assert value(call(conn, "add", a=1, b=2)) == 3


def test_many_concurrent_requests_are_each_answered_with_their_own_result(conn):
    futures = [
        conn.request_future("tools/call", {"name": "add", "arguments": {"a": i, "b": 1000}})
        for i in range(200)
    ]
    assert [value(f.get(timeout=WAIT)) for f in futures] == [i + 1000 for i in range(200)]


def test_batches_are_rejected_on_2025_11_25(conn):
    conn.send_frame(
        b'[{"jsonrpc": "2.0", "id": "b1", "method": "ping"},'
        b' {"jsonrpc": "2.0", "id": "b2", "method": "ping"}]'
    )
    answer = wait_answer(conn, None)
    assert answer["error"]["code"] == -32600
    assert "batch" in answer["error"]["message"]
    conn.request("ping")
    assert answers(conn, "b1") == answers(conn, "b2") == []


def test_batches_are_accepted_on_2025_03_26_and_each_item_answered(connect: Connect):
    conn = connect(protocol_version=versions.V2025_03_26)
    conn.send_frame(
        b'[{"jsonrpc": "2.0", "id": "b1", "method": "ping"},'
        b' {"jsonrpc": "2.0", "id": "b2", "method": "tools/call",'
        b'  "params": {"name": "add", "arguments": {"a": 20, "b": 22}}},'
        b' {"jsonrpc": "2.0", "method": "notifications/initialized"},'
        b' {"jsonrpc": "2.0", "id": "b3", "method": "no/such/method"},'
        b' {"jsonrpc": "1.0", "id": "b4", "method": "ping"}]'
    )
    assert wait_answer(conn, "b1")["result"] == {}
    assert wait_answer(conn, "b2")["result"]["structuredContent"] == {"result": 42}
    assert wait_answer(conn, "b3")["error"]["code"] == -32601
    assert wait_answer(conn, "b4")["error"]["code"] == -32600
    # JSON-RPC 2.0: the answers to a batch come back together, as one array.
    arrays = [msgspec.json.decode(frame) for frame, _ in conn.frames if frame.startswith(b"[")]
    assert len(arrays) == 1
    assert sorted(item["id"] for item in arrays[0]) == ["b1", "b2", "b3", "b4"]


def test_a_request_cancelled_before_it_ran_leaves_its_batchs_other_answers_to_go_out(
    connect: Connect,
):
    """The cancellation of an async tool's call is handled before the call's task ever ran
    (both frames reach the session in one loop turn, `send_frames`): the batch's array goes
    out without that answer. It used to wait for it forever, and the other answers with it."""
    conn = connect(protocol_version=versions.V2025_03_26)
    key, probe = new_probe()
    batch = [
        {"jsonrpc": "2.0", "id": "h", "method": "tools/call",
         "params": {"name": "hang", "arguments": {"key": key}}},
        {"jsonrpc": "2.0", "id": "a", "method": "tools/call",
         "params": {"name": "add", "arguments": {"a": 1, "b": 2}}},
    ]  # fmt: skip
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": "h"}}
    conn.send_frames(msgspec.json.encode(batch), msgspec.json.encode(cancel))
    assert wait_answer(conn, "a")["result"]["structuredContent"] == {"result": 3}
    arrays = [msgspec.json.decode(frame) for frame, _ in conn.frames if frame.startswith(b"[")]
    assert [[item["id"] for item in array] for array in arrays] == [["a"]]
    assert not probe.started.is_set()  # cancelled before it ran
    conn.request("ping")
    assert answers(conn, "h") == []


def test_a_batch_of_notifications_only_gets_no_answer(connect: Connect):
    conn = connect(protocol_version=versions.V2025_03_26)
    conn.send_frame(b'[{"jsonrpc": "2.0", "method": "notifications/initialized"}]')
    conn.request("ping")
    assert not [frame for frame, _ in conn.frames if frame.startswith(b"[")]
