"""MCP wire types: typed params decode, tagged unions, tolerance, error paths."""

from __future__ import annotations

import msgspec
import pytest

from fastestmcp.protocol import types as t
from fastestmcp.protocol.errors import InvalidParams, InvalidResult, MethodNotFound
from fastestmcp.protocol.jsonrpc import Request, decode_message, encode


def _raw(data: bytes) -> msgspec.Raw:
    return msgspec.Raw(data)


# -- the tools/call hot path ---------------------------------------------------------------


def test_tools_call_decodes_envelope_then_params_and_leaves_arguments_raw() -> None:
    message = decode_message(
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":'
        b'{"name":"add","arguments":{"a":1,"b":[2,3]},"_meta":{"progressToken":"p1"}}}'
    )
    assert isinstance(message, Request)
    params = t.decode_request_params(message.method, message.params, request_id=message.id)
    assert isinstance(params, t.CallToolRequestParams)
    assert params.name == "add"
    assert bytes(params.arguments) == b'{"a":1,"b":[2,3]}'
    assert params.arguments_dict() == {"a": 1, "b": [2, 3]}
    assert t.progress_token(params.meta) == "p1"

    class AddArgs(msgspec.Struct):
        a: int
        b: list[int]

    # The tool layer decodes the raw arguments straight into its own type.
    assert msgspec.json.decode(params.arguments, type=AddArgs) == AddArgs(a=1, b=[2, 3])


@pytest.mark.parametrize("arguments", [b"", b',"arguments":null'])
def test_missing_or_null_arguments_are_no_arguments(arguments: bytes) -> None:
    params = t.decode_request_params("tools/call", _raw(b'{"name":"x"' + arguments + b"}"))
    assert isinstance(params, t.CallToolRequestParams)
    assert params.arguments is t.NO_ARGUMENTS
    assert not params.arguments
    assert params.arguments_dict() == {}
    assert msgspec.json.encode(params) == b'{"name":"x"}'


@pytest.mark.parametrize("arguments", [b"[1]", b'"x"', b"3"])
def test_arguments_that_are_not_an_object_are_invalid_params(arguments: bytes) -> None:
    with pytest.raises(InvalidParams, match="must be a JSON object"):
        t.decode_request_params("tools/call", _raw(b'{"name":"x","arguments":' + arguments + b"}"))


def test_call_tool_params_from_python_arguments() -> None:
    params = t.CallToolRequestParams.create("add", {"a": 1}, meta={"progressToken": 5})
    assert msgspec.json.encode(params) == (
        b'{"name":"add","arguments":{"a":1},"_meta":{"progressToken":5}}'
    )
    empty = t.CallToolRequestParams(name="x", arguments=msgspec.Raw())
    assert msgspec.json.encode(empty) == b'{"name":"x"}'


# -- invalid params name the path ---------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "params", "fragment"),
    [
        ("tools/call", b'{"name":3}', "Expected `str`, got `int` - at `$.params.name`"),
        ("tools/call", None, "missing required field `name` - at `$.params`"),
        (
            "completion/complete",
            b'{"ref":{"type":"ref/nope","name":"p"},"argument":{"name":"a","value":"b"}}',
            "Invalid value 'ref/nope' - at `$.params.ref.type`",
        ),
        (
            "sampling/createMessage",
            b'{"maxTokens":1,"messages":[{"role":"user","content":{"type":"video"}}]}',
            "at `$.params.messages[0].content",
        ),
        ("logging/setLevel", b'{"level":"loud"}', "at `$.params.level`"),
        ("resources/read", b"{}", "missing required field `uri`"),
        (
            "initialize",
            b'{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c"}}',
            "missing required field `version` - at `$.params.clientInfo`",
        ),
        ("elicitation/create", b'{"message":"m","mode":"url"}', "needs `url` and `elicitationId`"),
        ("elicitation/create", b'{"message":"m"}', "needs `requestedSchema`"),
    ],
)
def test_invalid_params_name_the_bad_field(
    method: str, params: bytes | None, fragment: str
) -> None:
    with pytest.raises(InvalidParams) as info:
        t.decode_request_params(method, None if params is None else _raw(params), request_id=9)
    assert info.value.code == -32602
    assert info.value.request_id == 9
    assert fragment in info.value.message
    assert repr(method) in info.value.message


def test_unknown_methods_are_method_not_found_with_the_id() -> None:
    with pytest.raises(MethodNotFound) as info:
        t.decode_request_params("tools/frobnicate", None, request_id="r")
    assert info.value.request_id == "r"
    with pytest.raises(MethodNotFound):
        t.decode_notification_params("notifications/unknown", None)


def test_deeply_nested_params_are_invalid_params() -> None:
    nested = b"[" * 5000 + b"]" * 5000
    with pytest.raises(InvalidParams, match="nested too deeply"):
        t.decode_request_params("tools/call", _raw(b'{"name":"x","task":{"a":' + nested + b"}}"))


# -- tolerance ----------------------------------------------------------------------------


def test_unknown_fields_are_ignored_at_every_level() -> None:
    params = t.decode_request_params(
        "initialize",
        _raw(
            b'{"protocolVersion":"2025-11-25","future":1,'
            b'"capabilities":{"roots":{"listChanged":true,"x":1},"newThing":{}},'
            b'"clientInfo":{"name":"c","version":"1","extra":[1]}}'
        ),
    )
    assert params == t.InitializeRequestParams(
        protocol_version="2025-11-25",
        capabilities=t.ClientCapabilities(roots=t.RootsCapability(list_changed=True)),
        client_info=t.Implementation(name="c", version="1"),
    )


def test_null_optional_fields_are_accepted() -> None:
    params = t.decode_request_params("tools/list", _raw(b'{"cursor":null,"_meta":null}'))
    assert params == t.PaginatedRequestParams()


def test_empty_params_decode_for_methods_without_required_fields() -> None:
    for method in ("ping", "tools/list", "resources/list", "prompts/list", "roots/list"):
        assert isinstance(t.decode_request_params(method, None), msgspec.Struct)
    assert t.decode_notification_params("notifications/initialized", None) == (
        t.NotificationParams()
    )


def test_meta_keeps_every_key() -> None:
    meta = {
        "progressToken": 1,
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "traceparent": "00-abc",
    }
    params = t.decode_request_params(
        "resources/read", _raw(msgspec.json.encode({"uri": "x://a", "_meta": meta}))
    )
    assert isinstance(params, t.ReadResourceRequestParams)
    assert params.meta == meta


# -- tagged unions -------------------------------------------------------------------------


def test_content_blocks_are_a_tagged_union_on_type() -> None:
    result = t.decode_result(
        "tools/call",
        _raw(
            b'{"content":['
            b'{"type":"text","text":"t"},'
            b'{"type":"image","data":"AA==","mimeType":"image/png"},'
            b'{"type":"audio","data":"AA==","mimeType":"audio/wav"},'
            b'{"type":"resource_link","uri":"file:///a","name":"a"},'
            b'{"type":"resource","resource":{"uri":"x://b","blob":"AA=="}}],'
            b'"isError":true,"structuredContent":{"n":1}}'
        ),
    )
    assert isinstance(result, t.CallToolResult)
    assert [type(block) for block in result.content] == [
        t.TextContent,
        t.ImageContent,
        t.AudioContent,
        t.ResourceLink,
        t.EmbeddedResource,
    ]
    assert result.is_error
    assert result.structured_content == {"n": 1}


def test_content_blocks_encode_with_their_tag_first() -> None:
    assert msgspec.json.encode(t.ImageContent(data="AA==", mime_type="image/png")) == (
        b'{"type":"image","data":"AA==","mimeType":"image/png"}'
    )
    assert msgspec.json.encode(t.CallToolResult(content=[])) == b'{"content":[]}'


def test_sampling_content_may_be_one_block_or_a_list() -> None:
    one = t.decode_result(
        "sampling/createMessage",
        _raw(b'{"role":"assistant","content":{"type":"text","text":"hi"},"model":"m"}'),
    )
    assert isinstance(one, t.CreateMessageResult)
    assert one.content == t.TextContent(text="hi")
    many = t.decode_result(
        "sampling/createMessage",
        _raw(
            b'{"role":"assistant","model":"m","stopReason":"toolUse","content":['
            b'{"type":"tool_use","id":"u","name":"add","input":{"a":1}}]}'
        ),
    )
    assert isinstance(many, t.CreateMessageResult)
    assert many.content == [t.ToolUseContent(id="u", name="add", input={"a": 1})]


def test_completion_references_are_tagged() -> None:
    params = t.decode_request_params(
        "completion/complete",
        _raw(
            b'{"ref":{"type":"ref/resource","uri":"x://{id}"},"argument":{"name":"id","value":"1"}}'
        ),
    )
    assert isinstance(params, t.CompleteRequestParams)
    assert params.ref == t.ResourceTemplateReference(uri="x://{id}")


def test_completion_values_are_capped_at_100_on_decode() -> None:
    values = msgspec.json.encode({"completion": {"values": ["v"] * 101}})
    with pytest.raises(InvalidResult, match=r"\$\.result\.completion\.values"):
        t.decode_result("completion/complete", _raw(values))


# -- resource contents and elicitation modes ------------------------------------------------


def test_resource_contents_need_exactly_one_of_text_or_blob() -> None:
    assert t.ResourceContents(uri="x://a", text="").text == ""
    with pytest.raises(ValueError, match="exactly one"):
        t.ResourceContents(uri="x://a")
    with pytest.raises(ValueError, match="exactly one"):
        t.ResourceContents(uri="x://a", text="t", blob="AA==")
    with pytest.raises(InvalidResult, match=r"\$\.result\.contents\[0\]"):
        t.decode_result("resources/read", _raw(b'{"contents":[{"uri":"x://a"}]}'))


def test_elicitation_form_and_url_modes() -> None:
    form = t.ElicitRequestParams.form("Name?", {"type": "object", "properties": {}})
    assert not form.is_url_mode
    assert msgspec.json.encode(form) == (
        b'{"message":"Name?","requestedSchema":{"type":"object","properties":{}}}'
    )
    url = t.ElicitRequestParams.url_mode("Sign in", "https://a.example/x", "el-1")
    assert url.is_url_mode
    assert msgspec.json.encode(url) == (
        b'{"message":"Sign in","mode":"url","url":"https://a.example/x","elicitationId":"el-1"}'
    )
    decoded = t.decode_request_params("elicitation/create", _raw(msgspec.json.encode(url)))
    assert decoded == url


def test_elicit_result_accepts_every_primitive_value() -> None:
    result = t.decode_result(
        "elicitation/create",
        _raw(b'{"action":"accept","content":{"s":"x","i":30,"f":95.5,"b":true,"m":["a"]}}'),
    )
    assert isinstance(result, t.ElicitResult)
    assert result.content == {"s": "x", "i": 30, "f": 95.5, "b": True, "m": ["a"]}


# -- encoding style ------------------------------------------------------------------------


def test_wire_names_are_camel_case_with_meta_and_defaults_omitted() -> None:
    tool = t.Tool(
        name="add",
        input_schema={"type": "object", "$defs": {}, "additionalProperties": False},
        annotations=t.ToolAnnotations(read_only_hint=True),
        meta={"a": 1},
    )
    assert msgspec.json.encode(tool) == (
        b'{"name":"add","inputSchema":{"type":"object","$defs":{},"additionalProperties":false},'
        b'"annotations":{"readOnlyHint":true},"_meta":{"a":1}}'
    )


def test_structs_are_frozen_and_keyword_only() -> None:
    text = t.TextContent(text="x")
    with pytest.raises(AttributeError):
        text.text = "y"  # type: ignore[misc]
    with pytest.raises(TypeError):
        t.TextContent("x")  # type: ignore[call-arg]


def test_result_decode_names_the_path_under_result() -> None:
    with pytest.raises(InvalidResult) as info:
        t.decode_result("tools/list", _raw(b'{"tools":[{"name":"a"}]}'), request_id=3)
    assert "missing required field `inputSchema` - at `$.result.tools[0]`" in info.value.message
    assert info.value.request_id == 3


def test_decode_params_into_any_struct_caches_its_decoder() -> None:
    class Custom(msgspec.Struct):
        x: int

    assert t.decode_params(Custom, _raw(b'{"x":1}'), method="custom/x") == Custom(x=1)
    with pytest.raises(InvalidParams, match=r"'custom/x'.*\$\.params\.x"):
        t.decode_params(Custom, _raw(b'{"x":"1"}'), method="custom/x")


def test_progress_token_reads_only_strings_and_integers() -> None:
    assert t.progress_token({"progressToken": 3}) == 3
    assert t.progress_token({"progressToken": "a"}) == "a"
    assert t.progress_token({"progressToken": True}) is None
    assert t.progress_token({"progressToken": 1.5}) is None
    assert t.progress_token(None) is None
    assert t.progress_token({}) is None


def test_logging_levels_are_ordered_by_severity() -> None:
    assert t.LOGGING_LEVELS[0] == "debug"
    assert t.LOGGING_LEVELS[-1] == "emergency"
    assert t.LOGGING_LEVELS.index("warning") < t.LOGGING_LEVELS.index("error")


# -- the method tables ---------------------------------------------------------------------


def test_method_tables_agree() -> None:
    assert set(t.REQUEST_PARAMS) == set(t.REQUEST_RESULTS)
    assert set(t.REQUEST_PARAMS) == t.CLIENT_REQUESTS | t.SERVER_REQUESTS
    assert {"ping"} == t.CLIENT_REQUESTS & t.SERVER_REQUESTS
    assert set(t.NOTIFICATION_PARAMS) == t.CLIENT_NOTIFICATIONS | t.SERVER_NOTIFICATIONS


def test_every_request_and_result_round_trips_through_a_jsonrpc_message() -> None:
    for method, params_type in t.REQUEST_PARAMS.items():
        assert issubclass(params_type, msgspec.Struct)
        assert issubclass(t.REQUEST_RESULTS[method], msgspec.Struct)
    request = Request(
        id=1, method="resources/read", params=t.ReadResourceRequestParams(uri="x://a")
    )
    decoded = decode_message(encode(request))
    assert isinstance(decoded, Request)
    assert t.decode_request_params(decoded.method, decoded.params) == request.params


def test_in_process_params_skip_the_wire_or_are_validated_like_it() -> None:
    params = t.ReadResourceRequestParams(uri="x://a")
    assert t.decode_request_params("resources/read", params) is params
    assert t.decode_request_params("resources/read", {"uri": "x://b"}) == (
        t.ReadResourceRequestParams(uri="x://b")
    )
    with pytest.raises(InvalidParams, match=r"\$\.params\.uri"):
        t.decode_request_params("resources/read", {"uri": 5})
    # A Struct of another type is re-validated against the method's type.
    with pytest.raises(InvalidParams, match="missing required field `uri`"):
        t.decode_request_params("resources/read", t.PaginatedRequestParams(cursor="c"))
    result = t.decode_result("tools/call", {"content": [{"type": "text", "text": "x"}]})
    assert result == t.CallToolResult(content=[t.TextContent(text="x")])
