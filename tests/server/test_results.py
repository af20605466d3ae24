"""Normalisation of handler return values into tool, resource, prompt and completion results."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import msgspec
import pytest

from fastestmcp import Audio, File, Image, ToolError
from fastestmcp.protocol import types as wire
from fastestmcp.server import ArgumentValidationError, Message, OutputSchemaError, ToolResult
from fastestmcp.server.results import (
    completion_result,
    prompt_result,
    resource_result,
    to_content_blocks,
    tool_error_result,
    tool_result,
)
from fastestmcp.server.signature import explicit_output_schema, infer_output_schema

from .models import Point, Units

PNG = b"\x89PNG\r\n\x1a\nfake"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def as_json(result: msgspec.Struct) -> Any:
    return msgspec.json.decode(msgspec.json.encode(result))


def kind(block: msgspec.Struct) -> object:
    return type(block).__struct_config__.tag


# -- tools ------------------------------------------------------------------------------------


def test_a_string_is_one_text_block():
    assert as_json(tool_result("hello")) == {"content": [{"type": "text", "text": "hello"}]}


def test_none_is_no_content():
    assert tool_result(None).content == []


def test_an_image_is_base64_image_content():
    result = as_json(tool_result(Image(PNG, "image/png")))
    assert result["content"] == [{"type": "image", "data": b64(PNG), "mimeType": "image/png"}]


def test_audio_is_base64_audio_content():
    result = as_json(tool_result(Audio(b"RIFF", "audio/wav")))
    assert result["content"] == [{"type": "audio", "data": b64(b"RIFF"), "mimeType": "audio/wav"}]


def test_a_binary_file_is_an_embedded_blob_resource():
    result = as_json(tool_result(File(b"\x00\x01", "application/zip", name="a.zip")))
    assert result["content"] == [
        {
            "type": "resource",
            "resource": {
                "uri": "file:///a.zip",
                "mimeType": "application/zip",
                "blob": b64(b"\x00\x01"),
            },
        }
    ]


def test_a_textual_file_is_an_embedded_text_resource():
    block = tool_result(File(b"# Title", "text/markdown", uri="mem://readme")).content[0]
    assert isinstance(block, wire.EmbeddedResource)
    assert block.resource.text == "# Title"
    assert block.resource.uri == "mem://readme"


def test_bytes_are_an_embedded_binary_resource():
    block = tool_result(b"\xff\x00").content[0]
    assert isinstance(block, wire.EmbeddedResource)
    assert block.resource.blob == b64(b"\xff\x00")
    assert block.resource.mime_type == "application/octet-stream"


def test_resource_links_and_embedded_resources_pass_as_blocks():
    link = wire.ResourceLink(uri="file:///x", name="x", mime_type="text/plain")
    contents = wire.ResourceContents(uri="file:///y", text="y")
    result = tool_result([link, contents])
    assert result.content == [link, wire.EmbeddedResource(resource=contents)]
    assert as_json(tool_result(link))["content"][0]["type"] == "resource_link"


def test_a_list_mixing_content_items_gives_one_block_per_item():
    result = tool_result(["caption", Image(PNG), {"k": 1}, b"\x01", None])
    kinds = [kind(block) for block in result.content]
    assert kinds == ["text", "image", "text", "resource"]
    assert result.content[2] == wire.TextContent(text='{"k":1}')
    assert result.structured_content is None


def test_a_list_of_plain_data_is_one_json_text():
    result = tool_result([1, 2, 3])
    assert result.content == [wire.TextContent(text="[1,2,3]")]
    assert result.structured_content is None


def test_objects_become_json_text_and_structured_content_even_without_a_schema():
    for value in ({"a": 1}, Point(1, 2), dataclasses.make_dataclass("D", ["a"])(a=1)):
        result = tool_result(value)
        assert result.structured_content == msgspec.to_builtins(value)
        assert msgspec.json.decode(result.content[0].text) == result.structured_content  # type: ignore[union-attr]


def test_non_object_values_are_wrapped_under_result_when_the_schema_says_so():
    output = infer_output_schema(int)
    result = tool_result(3, output)
    assert result.structured_content == {"result": 3}
    assert result.content == [wire.TextContent(text="3")]
    assert tool_result("s", infer_output_schema(str)).structured_content == {"result": "s"}
    assert tool_result([Point(1, 2)], infer_output_schema(list[Point])).structured_content == {
        "result": [{"lat": 1.0, "lon": 2.0}]
    }
    assert tool_result(Units.METRIC, infer_output_schema(Units)).structured_content == {
        "result": "metric"
    }
    assert tool_result(None, infer_output_schema(int | None)).structured_content == {"result": None}
    assert tool_result(3).structured_content is None  # no schema, not an object


def test_an_explicit_call_tool_result_passes_through():
    explicit = wire.CallToolResult(content=[], structured_content={"x": 1}, meta={"m": 1})
    assert tool_result(explicit, infer_output_schema(int)) is explicit


def test_a_tool_result_with_only_structured_content_derives_the_text():
    result = tool_result(ToolResult(structured_content={"a": [1, 2]}, meta={"trace": "t"}))
    assert result.content == [wire.TextContent(text='{"a":[1,2]}')]
    assert result.structured_content == {"a": [1, 2]}
    assert result.meta == {"trace": "t"}


def test_a_tool_result_keeps_its_content_and_error_flag():
    result = tool_result(ToolResult(content=["a", Image(PNG)], is_error=True))
    assert [kind(b) for b in result.content] == ["text", "image"]
    assert result.is_error
    with pytest.raises(TypeError, match="JSON object"):
        tool_result(ToolResult(structured_content=[1]))  # type: ignore[arg-type]


def test_explicit_output_schemas_validate_structured_results():
    output = explicit_output_schema(
        {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    )
    assert tool_result({"n": 1}, output).structured_content == {"n": 1}
    with pytest.raises(OutputSchemaError, match=r"does not match its output schema at \$\.n"):
        tool_result({"n": "x"}, output)
    with pytest.raises(OutputSchemaError, match="returned no structured content"):
        tool_result("text", output)
    error = wire.CallToolResult(content=[], is_error=True)
    assert tool_result(error, output) is error  # error results are not validated


def test_wrapped_explicit_output_schemas_validate_the_wrapped_value():
    output = explicit_output_schema({"type": "integer"})
    assert tool_result(4, output).structured_content == {"result": 4}
    with pytest.raises(OutputSchemaError):
        tool_result("four", output)


def test_tool_errors_show_their_message_even_when_masking():
    result = tool_error_result(
        ToolError("city not found"), tool="forecast", mask_error_details=True
    )
    assert result.is_error
    assert result.content == [wire.TextContent(text="city not found")]


def test_argument_errors_show_their_message_even_when_masking():
    error = ArgumentValidationError("expected `int`", path="$.days", component="tool 'forecast'")
    result = tool_error_result(error, tool="forecast", mask_error_details=True)
    assert result.content == [
        wire.TextContent(text="Invalid arguments for tool 'forecast' at $.days: expected `int`")
    ]


def test_unexpected_exceptions_are_masked_only_when_asked():
    shown = tool_error_result(KeyError("secret"), tool="t")
    masked = tool_error_result(KeyError("secret"), tool="t", mask_error_details=True)
    assert shown.content == [wire.TextContent(text="Error calling tool 't': 'secret'")]
    assert masked.content == [wire.TextContent(text="Error calling tool 't'")]
    assert shown.is_error
    assert masked.is_error


def test_to_content_blocks_handles_single_values():
    assert to_content_blocks(None) == []
    assert to_content_blocks("a") == [wire.TextContent(text="a")]
    assert to_content_blocks(1.5) == [wire.TextContent(text="1.5")]


# -- resources --------------------------------------------------------------------------------


def test_resource_text_defaults_to_text_plain():
    result = resource_result("hello", uri="mem://a")
    assert result.contents == [
        wire.ResourceContents(uri="mem://a", mime_type="text/plain", text="hello")
    ]
    declared = resource_result("# t", uri="mem://a", mime_type="text/markdown")
    assert declared.contents[0].mime_type == "text/markdown"


def test_resource_bytes_are_a_base64_blob():
    result = resource_result(PNG, uri="mem://img", mime_type="image/png")
    assert result.contents == [
        wire.ResourceContents(uri="mem://img", mime_type="image/png", blob=b64(PNG))
    ]
    default = resource_result(b"\x00", uri="mem://b").contents[0]
    assert default.mime_type == "application/octet-stream"
    assert default.blob == "AA=="


def test_resource_bytes_with_a_textual_mime_type_are_text_when_utf8():
    assert (
        resource_result(b'{"a":1}', uri="m://j", mime_type="application/json").contents[0].text
        == '{"a":1}'
    )
    assert (
        resource_result("é".encode(), uri="m://t", mime_type="text/plain; charset=utf-8")
        .contents[0]
        .text
        == "é"
    )
    invalid = resource_result(b"\xff\xfe", uri="m://t", mime_type="text/plain").contents[0]
    assert invalid.blob == b64(b"\xff\xfe")
    assert invalid.text is None


def test_resource_data_is_json_text():
    result = resource_result({"a": [1, Point(1, 2)]}, uri="m://d")
    assert result.contents[0].mime_type == "application/json"
    assert msgspec.json.decode(result.contents[0].text) == {"a": [1, {"lat": 1.0, "lon": 2.0}]}  # type: ignore[arg-type]


def test_resource_lists_of_contents_are_several_contents():
    result = resource_result(
        [
            wire.ResourceContents(uri="m://1", text="one"),
            File(b"\x01", "application/x-bin"),
            Image(PNG),
        ],
        uri="m://all",
    )
    assert [c.uri for c in result.contents] == ["m://1", "m://all", "m://all"]
    assert result.contents[1].mime_type == "application/x-bin"
    assert result.contents[2].mime_type == "image/png"
    assert len(resource_result([b"\x01", b"\x02"], uri="m://b").contents) == 2
    assert resource_result(["a", "b"], uri="m://l").contents[0].text == '["a","b"]'  # data


def test_an_explicit_read_resource_result_passes_through():
    explicit = wire.ReadResourceResult(contents=[], meta={"m": 1})
    assert resource_result(explicit, uri="m://x") is explicit


# -- prompts ----------------------------------------------------------------------------------


def test_a_prompt_string_is_one_user_message():
    result = prompt_result("Review this", description="review")
    assert as_json(result) == {
        "messages": [{"role": "user", "content": {"type": "text", "text": "Review this"}}],
        "description": "review",
    }


def test_prompt_lists_mix_strings_messages_and_content():
    explicit = wire.PromptMessage(role="assistant", content=wire.TextContent(text="ok"))
    result = prompt_result(
        ["hi", Message("sure", role="assistant"), explicit, Image(PNG), Message(Audio(b"a"))]
    )
    assert [(m.role, kind(m.content)) for m in result.messages] == [
        ("user", "text"),
        ("assistant", "text"),
        ("assistant", "text"),
        ("user", "image"),
        ("user", "audio"),
    ]


def test_an_explicit_get_prompt_result_passes_through():
    explicit = wire.GetPromptResult(messages=[])
    assert prompt_result(explicit) is explicit


def test_prompts_refuse_values_they_cannot_render():
    with pytest.raises(TypeError, match="a prompt returned a dict"):
        prompt_result({"messages": []})
    with pytest.raises(TypeError, match="returned a int"):
        prompt_result(["ok", 3])


# -- completions ------------------------------------------------------------------------------


def test_completions_are_capped_at_100_with_total_and_has_more():
    small = completion_result(["a", "b"])
    assert small == wire.Completion(values=["a", "b"], total=2, has_more=False)
    big = completion_result(str(i) for i in range(150))
    assert len(big.values) == 100
    assert big.values[0] == "0"
    assert big.total == 150
    assert big.has_more is True
    given = wire.Completion(values=["x"])
    assert completion_result(given) is given
    with pytest.raises(TypeError):
        completion_result("abc")
    with pytest.raises(TypeError):
        completion_result([1])  # type: ignore[list-item]
