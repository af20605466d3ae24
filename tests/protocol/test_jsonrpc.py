"""JSON-RPC 2.0 framing: classification, errors that keep the id, batches, codecs."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastestmcp.protocol.errors import (
    INVALID_REQUEST,
    PARSE_ERROR,
    InvalidParams,
    InvalidRequest,
    InvalidResponse,
    McpError,
    MethodNotFound,
    ParseError,
)
from fastestmcp.protocol.jsonrpc import (
    Batch,
    ErrorObject,
    ErrorResponse,
    Message,
    Notification,
    Request,
    Response,
    decode,
    decode_message,
    encode,
    encode_batch,
    encode_into,
    error_response,
)
from fastestmcp.protocol.types import CallToolResult, TextContent

# -- strategies ------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=15,
)
json_objects = st.dictionaries(st.text(max_size=10), json_values, max_size=5)
request_ids = st.text(max_size=20) | st.integers()
methods = st.text(max_size=30)


def _raw(value: Any) -> msgspec.Raw:
    return msgspec.Raw(msgspec.json.encode(value))


@st.composite
def valid_messages(draw: st.DrawFn) -> Message:
    kind = draw(st.sampled_from(["request", "notification", "response", "error"]))
    params = draw(st.none() | json_objects.map(_raw))
    if kind == "request":
        return Request(id=draw(request_ids), method=draw(methods), params=params)
    if kind == "notification":
        return Notification(method=draw(methods), params=params)
    if kind == "response":
        return Response(id=draw(request_ids), result=_raw(draw(json_objects)))
    error = ErrorObject(
        code=draw(st.integers(min_value=-(2**63), max_value=2**63 - 1)),
        message=draw(st.text(max_size=30)),
        data=draw(json_values),
    )
    return ErrorResponse(id=draw(st.none() | request_ids), error=error)


def _plain(message: Message | McpError) -> Any:
    """A comparable view of a message: Raw members decoded to Python values."""
    if isinstance(message, McpError):
        return ("error", message.code, message.request_id)
    fields = msgspec.structs.asdict(message)
    for key in ("params", "result"):
        value = fields.get(key)
        if isinstance(value, msgspec.Raw):
            fields[key] = msgspec.json.decode(value)
    if isinstance(message, ErrorResponse):
        fields["error"] = msgspec.structs.asdict(message.error)
    return (type(message).__name__, fields)


envelope_members = st.fixed_dictionaries(
    {},
    optional={
        "jsonrpc": st.sampled_from(["2.0", "1.0", ""]) | json_values,
        "id": request_ids | json_values,
        "method": methods | json_values,
        "params": json_objects | json_values,
        "result": json_objects | json_values,
        "error": st.fixed_dictionaries(
            {"code": st.integers(), "message": st.text(max_size=5)},
            optional={"data": json_values},
        )
        | json_values,
    },
)


def _decode_or_error(data: bytes | str, *, allow_batch: bool) -> Message | Batch | McpError:
    # Anything but McpError escapes and fails the test.
    try:
        return decode(data, allow_batch=allow_batch)
    except McpError as exc:
        return exc


def _assert_protocol_outcome(data: bytes | str, *, allow_batch: bool) -> None:
    outcome = _decode_or_error(data, allow_batch=allow_batch)
    if isinstance(outcome, McpError):
        assert outcome.code in (PARSE_ERROR, INVALID_REQUEST)
        assert outcome.message
    elif isinstance(outcome, Batch):
        assert allow_batch
        assert outcome.items
        for item in outcome.items:
            if isinstance(item, McpError):
                assert item.code == INVALID_REQUEST
            else:
                assert isinstance(item, Request | Notification | Response | ErrorResponse)
    else:
        assert isinstance(outcome, Request | Notification | Response | ErrorResponse)


# -- round trips -----------------------------------------------------------------------


@given(valid_messages())
def test_valid_messages_round_trip(message: Message) -> None:
    assert _plain(decode_message(encode(message))) == _plain(message)


@given(st.lists(valid_messages(), min_size=1, max_size=5))
def test_batches_round_trip_when_allowed(messages: list[Message]) -> None:
    batch = decode(encode_batch(messages), allow_batch=True)
    assert isinstance(batch, Batch)
    assert [_plain(m) for m in batch.items] == [_plain(m) for m in messages]


@given(valid_messages())
def test_str_and_memoryview_input_decode_like_bytes(message: Message) -> None:
    data = encode(message)
    expected = _plain(decode_message(data))
    assert _plain(decode_message(data.decode("utf-8"))) == expected
    assert _plain(decode_message(memoryview(data))) == expected
    assert _plain(decode_message(bytearray(data))) == expected


# -- garbage never escapes as anything but a protocol error ------------------------------


@given(st.binary(max_size=200), st.booleans())
def test_random_bytes_raise_only_protocol_errors(data: bytes, allow_batch: bool) -> None:
    _assert_protocol_outcome(data, allow_batch=allow_batch)


@given(st.text(max_size=200), st.booleans())
def test_random_text_raises_only_protocol_errors(data: str, allow_batch: bool) -> None:
    _assert_protocol_outcome(data, allow_batch=allow_batch)


@given(json_values, st.booleans())
def test_random_json_raises_only_protocol_errors(value: Any, allow_batch: bool) -> None:
    _assert_protocol_outcome(msgspec.json.encode(value), allow_batch=allow_batch)


@settings(max_examples=300)
@given(envelope_members | st.lists(envelope_members, max_size=3), st.booleans())
def test_random_envelopes_raise_only_protocol_errors(value: Any, allow_batch: bool) -> None:
    _assert_protocol_outcome(msgspec.json.encode(value), allow_batch=allow_batch)


@given(st.binary(min_size=1, max_size=40), st.integers(min_value=0, max_value=60))
def test_corrupted_valid_messages_raise_only_protocol_errors(junk: bytes, at: int) -> None:
    data = b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}'
    at = min(at, len(data))
    _assert_protocol_outcome(data[:at] + junk + data[at:], allow_batch=True)


# -- classification ----------------------------------------------------------------------


def test_request_keeps_params_raw_for_the_method_decode() -> None:
    message = decode_message(
        b'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add"}}'
    )
    assert isinstance(message, Request)
    assert (message.id, message.method) == (7, "tools/call")
    assert isinstance(message.params, msgspec.Raw)
    assert bytes(message.params) == b'{"name":"add"}'


def test_notification_has_no_id_and_absent_params_are_none() -> None:
    message = decode_message(b'{"jsonrpc":"2.0","method":"notifications/initialized"}')
    assert message == Notification(method="notifications/initialized")


def test_null_params_are_read_as_absent() -> None:
    message = decode_message(b'{"jsonrpc":"2.0","id":"a","method":"ping","params":null}')
    assert message == Request(id="a", method="ping")


def test_response_and_error_response_are_told_apart() -> None:
    ok = decode_message(b'{"jsonrpc":"2.0","id":"x","result":{}}')
    assert isinstance(ok, Response)
    assert ok.id == "x"
    failed = decode_message(
        b'{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"nope","data":[1]}}'
    )
    assert failed == ErrorResponse(id=3, error=ErrorObject(code=-32601, message="nope", data=[1]))


@pytest.mark.parametrize("raw_id", [b"null", b""])
def test_error_response_may_have_a_null_or_missing_id(raw_id: bytes) -> None:
    id_member = b'"id":' + raw_id + b"," if raw_id else b""
    data = b'{"jsonrpc":"2.0",' + id_member + b'"error":{"code":-32700,"message":"bad"}}'
    message = decode_message(data)
    assert isinstance(message, ErrorResponse)
    assert message.id is None


def test_unknown_envelope_members_are_ignored() -> None:
    message = decode_message(b'{"jsonrpc":"2.0","id":1,"method":"ping","extra":{"x":[1,2]}}')
    assert message == Request(id=1, method="ping")


INVALID: list[tuple[bytes, int | str | None, str]] = [
    (b'{"id":1,"method":"ping"}', 1, '"jsonrpc" member is missing'),
    (b'{"jsonrpc":"1.0","id":1,"method":"ping"}', 1, "\"jsonrpc\" is '1.0'"),
    (b'{"jsonrpc":2.0,"id":"a","method":"ping"}', "a", '"jsonrpc" is 2.0'),
    (b'{"jsonrpc":"2.0","id":1,"method":5}', 1, '"method" must be a string'),
    (b'{"jsonrpc":"2.0","id":null,"method":"ping"}', None, "got null"),
    (b'{"jsonrpc":"2.0","id":true,"method":"ping"}', None, "got a boolean"),
    (b'{"jsonrpc":"2.0","id":1.5,"method":"ping"}', None, "fraction or exponent"),
    (b'{"jsonrpc":"2.0","id":1.0,"method":"ping"}', None, "fraction or exponent"),
    (b'{"jsonrpc":"2.0","id":[1],"method":"ping"}', None, "an array"),
    (b'{"jsonrpc":"2.0","id":{},"method":"ping"}', None, "an object"),
    (b'{"jsonrpc":"2.0","id":4,"method":"ping","params":[1]}', 4, '"params" must be a JSON'),
    (b'{"jsonrpc":"2.0","id":4,"method":"ping","params":"x"}', 4, '"params" must be a JSON'),
    (b'{"jsonrpc":"2.0","id":2,"method":"m","result":{}}', 2, 'must not also carry "result"'),
    (b'{"jsonrpc":"2.0","id":2,"method":"m","error":{}}', 2, 'must not also carry "result"'),
    (
        b'{"jsonrpc":"2.0","id":2,"result":{},"error":{"code":1,"message":"m"}}',
        2,
        "never both",
    ),
    (b'{"jsonrpc":"2.0","id":null,"result":{}}', None, '"id" of a result'),
    (b'{"jsonrpc":"2.0","result":{}}', None, '"id" of a result'),
    (b'{"jsonrpc":"2.0","id":true,"error":{"code":1,"message":"m"}}', None, '"id" of an error'),
    (b'{"jsonrpc":"2.0","id":9,"error":{"code":"x","message":"m"}}', 9, "$.error.code"),
    (b'{"jsonrpc":"2.0","id":9,"error":{"code":1}}', 9, "missing required field `message`"),
    (b'{"jsonrpc":"2.0","id":9,"error":"boom"}', 9, '"error" must be an object'),
    (b'{"jsonrpc":"2.0","id":9}', 9, 'none of "method", "result" or "error"'),
    (b"{}", None, '"jsonrpc" member is missing'),
    (b"42", None, "Expected `object | array`, got `int`"),
    (b'"hello"', None, "Expected `object | array`, got `str`"),
    (b"null", None, "Expected `object | array`, got `null`"),
    (b'{"jsonrpc":"2.0","id":1e400,"method":"x"}', None, "Number out of range"),
]


@pytest.mark.parametrize(("data", "request_id", "fragment"), INVALID)
def test_invalid_messages_are_invalid_requests_that_keep_a_readable_id(
    data: bytes, request_id: int | str | None, fragment: str
) -> None:
    with pytest.raises(InvalidRequest) as info:
        decode_message(data)
    assert info.value.code == INVALID_REQUEST
    assert info.value.request_id == request_id
    assert fragment in info.value.message


@pytest.mark.parametrize(
    ("data", "request_id"),
    [
        (b'{"jsonrpc":"2.0","id":2,"result":{},"error":{"code":1,"message":"m"}}', 2),
        (b'{"jsonrpc":"2.0","id":null,"result":{}}', None),
        (b'{"jsonrpc":"2.0","id":true,"error":{"code":1,"message":"m"}}', None),
        (b'{"jsonrpc":"2.0","id":"s9","error":{"code":"x","message":"m"}}', "s9"),
        (b'{"jsonrpc":"2.0","id":"s9","error":"boom"}', "s9"),
    ],
)
def test_malformed_responses_are_invalid_responses(
    data: bytes, request_id: int | str | None
) -> None:
    # A receiver tells them apart from bad requests: the request they answer (by id) failed,
    # and a response gets no response.
    with pytest.raises(InvalidResponse) as info:
        decode_message(data)
    assert isinstance(info.value, InvalidRequest)
    assert info.value.code == INVALID_REQUEST
    assert info.value.request_id == request_id


@pytest.mark.parametrize(
    "data",
    [
        b'{"jsonrpc":"2.0","id":2,"method":"m","error":{}}',
        b'{"jsonrpc":"2.0","id":9}',
        b'{"jsonrpc":"1.0","id":9,"result":{}}',
    ],
)
def test_other_invalid_messages_are_not_invalid_responses(data: bytes) -> None:
    with pytest.raises(InvalidRequest) as info:
        decode_message(data)
    assert not isinstance(info.value, InvalidResponse)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{",
        b'{"jsonrpc":"2.0",}',
        b"{'jsonrpc':'2.0'}",
        b'{"jsonrpc":"2.0","id":1,"method":"ping"} trailing',
        b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":"\xff"}}',
        b'{"jsonrpc":"2.0","id":1,"method":"\xed\xa0\x80"}',
        rb'{"jsonrpc":"2.0","id":1,"method":"\ud800"}',
        b"\xef\xbb\xbf{}",
        '{"jsonrpc":"2.0","method":"\ud800"}',
    ],
)
def test_bad_json_and_bad_utf8_are_parse_errors(data: bytes | str) -> None:
    with pytest.raises(ParseError) as info:
        decode(data, allow_batch=True)
    assert info.value.code == PARSE_ERROR
    assert info.value.request_id is None
    assert "Parse error" in info.value.message


# -- batches ---------------------------------------------------------------------------


def test_batches_are_refused_unless_allowed() -> None:
    data = b'[{"jsonrpc":"2.0","method":"notifications/initialized"}]'
    with pytest.raises(InvalidRequest, match="2025-03-26"):
        decode(data)
    with pytest.raises(InvalidRequest, match="batch"):
        decode_message(data)
    assert isinstance(decode(data, allow_batch=True), Batch)


@pytest.mark.parametrize("allow_batch", [True, False])
def test_an_empty_batch_is_an_invalid_request(allow_batch: bool) -> None:
    with pytest.raises(InvalidRequest):
        decode(b"[]", allow_batch=allow_batch)
    with pytest.raises(InvalidRequest):
        decode(b"  [ ]  ", allow_batch=allow_batch)


def test_each_bad_batch_element_gets_its_own_error_with_its_id() -> None:
    data = (
        b'[1, {"jsonrpc":"2.0","id":5,"method":"ping"},'
        b' {"jsonrpc":"1.0","id":6,"method":"ping"}, [], {"jsonrpc":"2.0","method":"n"}]'
    )
    batch = decode(data, allow_batch=True)
    assert isinstance(batch, Batch)
    first, second, third, fourth, fifth = batch.items
    assert isinstance(first, InvalidRequest)
    assert first.request_id is None
    assert second == Request(id=5, method="ping")
    assert isinstance(third, InvalidRequest)
    assert third.request_id == 6
    assert isinstance(fourth, InvalidRequest)
    assert fifth == Notification(method="n")


# -- hostile input -----------------------------------------------------------------------


@pytest.mark.parametrize("depth", [10_000, 100_000])
@pytest.mark.parametrize("member", [b"params", b"id", b"result", b"extra"])
def test_deep_nesting_is_a_parse_error_not_a_crash(depth: int, member: bytes) -> None:
    nested = b"[" * depth + b"]" * depth
    data = b'{"jsonrpc":"2.0","id":1,"method":"m","' + member + b'":' + nested + b"}"
    with pytest.raises(ParseError, match="nested too deeply"):
        decode_message(data)


def test_deep_nesting_of_the_top_level_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        decode(b"[" * 50_000 + b"]" * 50_000, allow_batch=True)
    with pytest.raises(ParseError):
        decode(b'{"a":' * 50_000 + b"1" + b"}" * 50_000)


def test_moderate_nesting_decodes() -> None:
    nested = b"[" * 200 + b"]" * 200
    message = decode_message(
        b'{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":' + nested + b"}}"
    )
    assert isinstance(message, Request)


def test_huge_messages_decode() -> None:
    text = "x" * 8_000_000
    data = encode(Request(id=1, method="tools/call", params={"name": "t", "blob": text}))
    message = decode_message(data)
    assert isinstance(message, Request)
    assert isinstance(message.params, msgspec.Raw)
    assert len(message.params) > 8_000_000


def test_large_batches_decode() -> None:
    one = b'{"jsonrpc":"2.0","method":"n"}'
    batch = decode(b"[" + b",".join([one] * 20_000) + b"]", allow_batch=True)
    assert isinstance(batch, Batch)
    assert len(batch.items) == 20_000


# -- encoding --------------------------------------------------------------------------


def test_encodes_compact_json_with_jsonrpc_first() -> None:
    assert encode(Request(id=1, method="ping")) == b'{"jsonrpc":"2.0","id":1,"method":"ping"}'
    assert (
        encode(Notification(method="n", params={"a": 1}))
        == b'{"jsonrpc":"2.0","method":"n","params":{"a":1}}'
    )
    assert encode(Response(id="r", result={})) == b'{"jsonrpc":"2.0","id":"r","result":{}}'


def test_result_structs_encode_inline_without_a_dict_round_trip() -> None:
    result = CallToolResult(content=[TextContent(text="hi")])
    assert (
        encode(Response(id=1, result=result))
        == b'{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hi"}]}}'
    )


def test_raw_params_are_sent_verbatim() -> None:
    raw = msgspec.Raw(b'{"b":2,"a":1}')
    assert encode(Request(id=2, method="m", params=raw)).endswith(b'"params":{"b":2,"a":1}}')


def test_error_response_omits_an_unknown_id() -> None:
    exc = ParseError("Parse error: bad")
    assert (
        encode(error_response(exc))
        == b'{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error: bad"}}'
    )


def test_error_response_keeps_the_id_of_the_error_or_the_one_given() -> None:
    exc = InvalidParams("bad name", {"path": "$.params.name"}, request_id=4)
    assert encode(error_response(exc)) == (
        b'{"jsonrpc":"2.0","id":4,"error":{"code":-32602,"message":"bad name",'
        b'"data":{"path":"$.params.name"}}}'
    )
    assert error_response(exc, "other").id == "other"


def test_error_object_converts_to_the_matching_exception() -> None:
    exc = ErrorObject(code=-32601, message="nope").to_exception(request_id=3)
    assert isinstance(exc, MethodNotFound)
    assert exc.request_id == 3
    assert ErrorObject.from_exception(exc) == ErrorObject(code=-32601, message="nope")


def test_encode_batch_and_encode_into() -> None:
    messages: list[Message] = [Request(id=1, method="a"), Notification(method="b")]
    assert encode_batch(messages) == (
        b'[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b"}]'
    )
    with pytest.raises(ValueError, match="empty batch"):
        encode_batch([])
    buffer = bytearray(b"xx")
    encode_into(Request(id=1, method="a"), buffer, -1)
    assert buffer == b'xx{"jsonrpc":"2.0","id":1,"method":"a"}'
