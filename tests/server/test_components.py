"""Components: metadata, wire Structs built once, keys, and running handlers directly."""

from __future__ import annotations

import asyncio
import enum
from typing import Any

import msgspec
import pytest

from fastestmcp import Context, Image, ToolError
from fastestmcp.protocol import types as wire
from fastestmcp.protocol.errors import InvalidParams, ResourceNotFound
from fastestmcp.protocol.uri_template import CaptureConversionError
from fastestmcp.server import (
    ArgumentValidationError,
    OutputSchemaError,
    Prompt,
    Resource,
    ResourceTemplate,
    Tool,
)

from .models import Point, Units


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def as_json(value: msgspec.Struct) -> Any:
    return msgspec.json.decode(msgspec.json.encode(value))


# -- tools ------------------------------------------------------------------------------------


def forecast(city: str, ctx: Context, days: int = 3) -> dict[str, Any]:
    """Forecast for a city.

    Args:
        city: The city.
    """
    return {"city": city, "days": days, "ctx": ctx is not None}


def test_tool_metadata_reaches_the_wire_struct():
    tool = Tool.from_function(
        forecast,
        title="Forecast",
        annotations={"readOnlyHint": True, "openWorldHint": False},
        icons=[{"src": "https://x/icon.png", "mimeType": "image/png", "sizes": ["48x48"]}],
        tags=["weather", "public"],
        meta={"owner": "team"},
        version="2.1",
        timeout=5,
    )
    assert as_json(tool.to_wire()) == {
        "name": "forecast",
        "inputSchema": {
            "type": "object",
            "properties": {
                "city": {"description": "The city.", "type": "string"},
                "days": {"type": "integer", "default": 3},
            },
            "required": ["city"],
        },
        "title": "Forecast",
        "description": "Forecast for a city.",
        "outputSchema": {"type": "object"},
        "annotations": {"readOnlyHint": True, "openWorldHint": False},
        "icons": [{"src": "https://x/icon.png", "mimeType": "image/png", "sizes": ["48x48"]}],
        "_meta": {"owner": "team", "fastestmcp": {"version": "2.1", "tags": ["public", "weather"]}},
    }
    assert tool.timeout == 5.0
    assert tool.key == "tool:forecast@2.1"
    assert tool.label == "tool 'forecast'"


def test_the_wire_struct_is_built_once():
    tool = Tool.from_function(forecast)
    assert tool.to_wire() is tool.to_wire()
    assert tool.key == "tool:forecast@"
    assert as_json(tool.to_wire()).get("_meta") is None


def test_meta_is_verbatim_without_version_or_tags():
    tool = Tool.from_function(forecast, meta={"a": {"b": [1]}})
    assert as_json(tool.to_wire())["_meta"] == {"a": {"b": [1]}}


def test_explicit_description_name_and_disabling_output_schema():
    tool = Tool.from_function(forecast, name="fc", description="Custom.", output_schema=False)
    wire_tool = tool.to_wire()
    assert (wire_tool.name, wire_tool.description, wire_tool.output_schema) == (
        "fc",
        "Custom.",
        None,
    )
    assert not Tool.from_function(forecast, enabled=False).enabled


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"name": ""}, ValueError, "non-empty"),
        ({"name": "two words"}, ValueError, "whitespace"),
        ({"version": "1@2"}, ValueError, "must not contain '@'"),
        ({"version": ""}, ValueError, "non-empty"),
        ({"timeout": 0}, ValueError, "positive number"),
        ({"annotations": {"readOnly": True}}, ValueError, "unknown keys"),
        ({"annotations": [1]}, TypeError, "mapping"),
        ({"icons": [{"href": "x"}]}, ValueError, "unknown keys"),
        ({"input_schema": {"type": "array"}}, ValueError, "JSON object schema"),
        ({"output_schema": "yes"}, TypeError, "output_schema"),
    ],
)
def test_invalid_tool_options_are_refused_at_registration(kwargs, error, message):
    with pytest.raises(error, match=message):
        Tool.from_function(forecast, **kwargs)


def test_a_lambda_needs_a_name():
    with pytest.raises(ValueError, match="pass name="):
        Tool.from_function(lambda: 1)
    assert Tool.from_function(lambda: 1, name="one").name == "one"


def test_sync_and_async_tools_run_directly():
    async def slow_add(a: int, b: int) -> int:
        await asyncio.sleep(0)
        return a + b

    sync_tool = Tool.from_function(forecast)
    async_tool = Tool.from_function(slow_add)
    result = run(sync_tool.run(b'{"city": "Oslo"}', Context()))
    assert result.structured_content == {"city": "Oslo", "days": 3, "ctx": True}
    added = run(async_tool.run({"a": 1, "b": "2"}))
    assert added.structured_content == {"result": 3}
    assert added.content == [wire.TextContent(text="3")]


def test_the_steps_of_a_call_can_be_run_separately():
    tool = Tool.from_function(forecast)
    bound = tool.bind(msgspec.Raw(b'{"city": "Rome", "days": 1}'))
    assert bound == {"city": "Rome", "days": 1}
    value = tool.call(bound, None)
    assert tool.to_result(value).structured_content == {"city": "Rome", "days": 1, "ctx": False}


def test_run_sync_hook_runs_sync_handlers_and_nothing_else():
    calls: list[str] = []

    async def in_pool(fn: Any) -> Any:
        calls.append("pool")
        return fn()

    async def asynchronous() -> str:
        return "a"

    def synchronous() -> str:
        return "s"

    assert run(Tool.from_function(synchronous).run(run_sync=in_pool)).content[0].text == "s"
    assert run(Tool.from_function(asynchronous).run(run_sync=in_pool)).content[0].text == "a"
    assert calls == ["pool"]


def test_argument_errors_become_error_results_naming_the_tool_and_path():
    result = run(Tool.from_function(forecast).run(b'{"days": 2}', mask_error_details=True))
    assert result.is_error
    assert result.content == [
        wire.TextContent(
            text="Invalid arguments for tool 'forecast' at $.city: required argument is missing "
            "(expected `str`)"
        )
    ]
    with pytest.raises(ArgumentValidationError, match=r"for tool 'forecast' at \$\.days"):
        Tool.from_function(forecast).bind({"city": "x", "days": "soon"})


def test_handler_exceptions_become_error_results():
    def fails(kind: str) -> str:
        if kind == "tool":
            raise ToolError("no such city")
        raise RuntimeError("database password is hunter2")

    tool = Tool.from_function(fails)
    assert (
        run(tool.run({"kind": "tool"}, mask_error_details=True)).content[0].text == "no such city"
    )
    masked = run(tool.run({"kind": "other"}, mask_error_details=True))
    assert masked.is_error
    assert masked.content[0].text == "Error calling tool 'fails'"
    shown = run(tool.run({"kind": "other"}))
    assert shown.content[0].text == "Error calling tool 'fails': database password is hunter2"


def test_protocol_errors_and_output_schema_errors_propagate():
    def protocol() -> str:
        raise InvalidParams("bad")

    def broken() -> dict[str, Any]:
        return {"n": "not an int"}

    with pytest.raises(InvalidParams):
        run(Tool.from_function(protocol).run())
    with pytest.raises(OutputSchemaError, match="tool 'broken'"):
        run(
            Tool.from_function(
                broken, output_schema={"type": "object", "properties": {"n": {"type": "integer"}}}
            ).run()
        )


def test_explicit_handlers_get_the_validated_arguments_dict_and_the_context():
    seen = []
    schema = {
        "type": "object",
        "properties": {"n": {"type": "integer"}},
        "required": ["n"],
        "additionalProperties": False,
    }

    async def double(arguments: dict[str, Any], ctx: Context) -> int:
        """Double a number."""
        seen.append(ctx)
        return int(arguments["n"]) * 2

    tool = Tool.from_function(double, input_schema=schema)
    assert tool.input_schema is schema
    assert tool.description == "Double a number."
    assert tool.output_schema is None  # explicit handlers publish none unless given
    ctx = Context()
    assert run(tool.run(b'{"n": 21}', ctx)).content == [wire.TextContent(text="42")]
    assert seen == [ctx]
    error = run(tool.run(b'{"n": "21"}'))
    assert error.is_error
    assert (
        error.content[0].text
        == 'Invalid arguments for tool \'double\' at $.n: "21" is not of type "integer"'
    )
    assert run(tool.run({"n": 2, "x": 1})).is_error


def test_sync_tools_returning_awaitables_are_awaited():
    async def inner() -> str:
        return "awaited"

    tool = Tool.from_function(lambda: inner(), name="wrapper", output_schema=False)
    assert run(tool.run()).content == [wire.TextContent(text="awaited")]


def test_tools_returning_images_have_no_output_schema():
    def snapshot() -> Image:
        return Image(b"png")

    tool = Tool.from_function(snapshot)
    assert tool.output_schema is None
    assert run(tool.run()).content[0] == wire.ImageContent(data="cG5n", mime_type="image/png")


# -- resources --------------------------------------------------------------------------------


def readme() -> str:
    """The project's readme."""
    return "# Hello"


def test_resource_metadata_and_reading():
    resource = Resource.from_function(
        readme,
        "file:///readme.md",
        mime_type="text/markdown",
        size=7,
        annotations={"audience": ["user"], "priority": 0.5},
        tags={"docs"},
    )
    assert as_json(resource.to_wire()) == {
        "uri": "file:///readme.md",
        "name": "readme",
        "description": "The project's readme.",
        "mimeType": "text/markdown",
        "size": 7,
        "annotations": {"audience": ["user"], "priority": 0.5},
        "_meta": {"fastestmcp": {"tags": ["docs"]}},
    }
    assert resource.key == "resource:file:///readme.md@"
    assert resource.identifier == "file:///readme.md"
    result = run(resource.run())
    assert result.contents == [
        wire.ResourceContents(uri="file:///readme.md", mime_type="text/markdown", text="# Hello")
    ]


def test_async_binary_resources_with_a_context():
    async def logo(ctx: Context) -> bytes:
        return b"\x89PNG"

    resource = Resource.from_function(logo, "img://logo", mime_type="image/png")
    assert run(resource.run(Context())).contents[0].blob == "iVBORw=="


@pytest.mark.parametrize(
    ("fn", "uri", "error", "message"),
    [
        (readme, "not a uri", ValueError, "not an absolute URI"),
        (readme, "mem://{x}", ValueError, "resource template"),
        (forecast, "mem://f", TypeError, "takes the arguments city, days"),
    ],
)
def test_invalid_resources_are_refused(fn, uri, error, message):
    with pytest.raises(error, match=message):
        Resource.from_function(fn, uri)


def test_resource_options_are_checked():
    with pytest.raises(ValueError, match="type/subtype"):
        Resource.from_function(readme, "mem://r", mime_type="markdown")
    with pytest.raises(ValueError, match="size"):
        Resource.from_function(readme, "mem://r", size=-1)


# -- resource templates ---------------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


def weather(
    city: str, days: int, units: Units = Units.METRIC, detailed: bool = False
) -> dict[str, Any]:
    return {"city": city, "days": days, "units": units.value, "detailed": detailed}


def test_template_captures_are_decoded_and_converted_to_the_parameter_types():
    template = ResourceTemplate.from_function(
        weather, "weather://{city}/{days}{?units,detailed}", mime_type="application/json"
    )
    assert template.key == "template:weather://{city}/{days}{?units,detailed}@"
    assert template.variables == ("city", "days", "units", "detailed")
    uri = "weather://S%C3%A3o%20Paulo/3?units=imperial&detailed=true"
    captures = template.match(uri)
    assert captures == {"city": "São Paulo", "days": "3", "units": "imperial", "detailed": "true"}
    assert template.convert_captures(captures) == {
        "city": "São Paulo",
        "days": 3,
        "units": Units.IMPERIAL,
        "detailed": True,
    }
    result = run(template.run(uri))
    assert result.contents[0].uri == uri
    assert msgspec.json.decode(result.contents[0].text) == {
        "city": "São Paulo",
        "days": 3,
        "units": "imperial",
        "detailed": True,
    }
    defaults = run(template.run("weather://oslo/1"))
    assert msgspec.json.decode(defaults.contents[0].text)["units"] == "metric"


def test_template_list_and_wildcard_captures():
    def pick(colors: list[Color], path: list[str]) -> str:
        return ",".join(c.value for c in colors) + "|" + "/".join(path)

    template = ResourceTemplate.from_function(pick, "pick://{colors}{/path*}")
    result = run(template.run("pick://red,blue/a/b%20c"))
    assert result.contents[0].text == "red,blue|a/b c"


def test_bad_captures_and_unmatched_uris_are_errors():
    template = ResourceTemplate.from_function(weather, "weather://{city}/{days}")
    with pytest.raises(CaptureConversionError, match="'days'") as info:
        run(template.run("weather://oslo/soon"))
    assert info.value.code == -32602
    with pytest.raises(ResourceNotFound):
        run(template.run("other://x"))


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("weather://{city}", "'days' is not a variable of the template"),
        ("weather://{city}/{days}/{hour}", "{hour} has no parameter"),
        ("weather://{city}{?days}", "query variable"),
        ("weather://static", "no {variables}"),
    ],
)
def test_template_variables_and_parameters_must_agree(uri, message):
    with pytest.raises((TypeError, ValueError), match=message):
        ResourceTemplate.from_function(weather, uri)


def test_templates_reject_invalid_rfc6570():
    with pytest.raises(ValueError, match="invalid URI template"):
        ResourceTemplate.from_function(weather, "weather://{city")


# -- prompts ----------------------------------------------------------------------------------


def test_prompt_arguments_come_from_typed_parameters():
    def review(code: str, language: str = "python", strictness: int = 1) -> str:
        """Review code.

        Args:
            code: The code to review.
        """
        return f"{language}:{strictness}:{code}"

    prompt = Prompt.from_function(review, title="Review")
    assert as_json(prompt.to_wire()) == {
        "name": "review",
        "title": "Review",
        "description": "Review code.",
        "arguments": [
            {"name": "code", "description": "The code to review.", "required": True},
            {"name": "language", "required": False},
            {"name": "strictness", "required": False},
        ],
    }
    result = run(prompt.run({"code": "x = 1", "strictness": "3"}))
    assert result.messages[0].content == wire.TextContent(text="python:3:x = 1")
    assert result.description == "Review code."


def test_missing_required_prompt_arguments_are_refused_before_the_handler_runs():
    calls = []

    def brief(topic: str, audience: str, tone: str = "neutral") -> str:
        calls.append(topic)
        return topic

    prompt = Prompt.from_function(brief)
    with pytest.raises(ArgumentValidationError) as info:
        run(prompt.run({"tone": "warm"}))
    assert str(info.value) == (
        "Invalid arguments for prompt 'brief' at $.topic: "
        "missing required arguments 'topic', 'audience'"
    )
    assert info.value.code == -32602
    assert calls == []


def test_prompt_string_values_are_converted_from_json_or_text():
    def plan(
        steps: list[str], point: Point, units: Units, count: int, note: str | None = None
    ) -> str:
        return f"{steps}|{point}|{units.value}|{count}|{note}"

    prompt = Prompt.from_function(plan)
    bound = prompt.bind(
        {
            "steps": '["a", "b"]',
            "point": '{"lat": 1, "lon": 2}',
            "units": "imperial",
            "count": "4",
            "note": "[1]",
        }
    )
    assert bound == {
        "steps": ["a", "b"],
        "point": Point(1, 2),
        "units": Units.IMPERIAL,
        "count": 4,
        "note": "[1]",
    }
    with pytest.raises(ArgumentValidationError, match=r"at \$\.count"):
        prompt.bind(
            {"steps": "[]", "point": '{"lat": 1, "lon": 2}', "units": "metric", "count": "many"}
        )


def test_explicit_prompts_take_declared_string_arguments():
    async def greet(arguments: dict[str, str], ctx: Context) -> list[Any]:
        return [f"Hello {arguments['name']}", Image(b"x")]

    prompt = Prompt.from_function(
        greet, arguments=["name", {"name": "style", "description": "How", "required": False}]
    )
    assert [a.name for a in prompt.arguments] == ["name", "style"]
    assert prompt.arguments[1].required is False
    result = run(prompt.run({"name": "Ada"}, Context()))
    assert len(result.messages) == 2
    with pytest.raises(ArgumentValidationError, match="'name'"):
        prompt.bind({"style": "x"})
    with pytest.raises(ValueError, match="twice"):
        Prompt.from_function(greet, arguments=["a", "a"])
