"""Handler inspection: context parameter, argument Struct, JSON Schema, one-pass decoding."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import inspect
import uuid
from typing import Annotated, Any, Literal, Optional

import jsonschema  # type: ignore[import-untyped]
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastestmcp import Context, Image
from fastestmcp.protocol import types as wire
from fastestmcp.server import ArgumentValidationError, ExplicitHandler, ToolResult
from fastestmcp.server.results import WRAP_RESULT_KEY, tool_result
from fastestmcp.server.signature import (
    explicit_output_schema,
    infer_output_schema,
    inspect_handler,
    parse_docstring,
)

from .models import Forecast, Level, Point, Tagged, Units, Window


class MyContext(Context):
    pass


# -- the Context parameter --------------------------------------------------------------------


def test_a_context_parameter_is_found_by_annotation_under_any_name_and_left_out_of_the_schema():
    def handler(city: str, whatever: Context) -> str:
        return city

    h = inspect_handler(handler)
    assert h.context_param == "whatever"
    assert [p.name for p in h.parameters] == ["city"]
    assert set(h.input_schema["properties"]) == {"city"}


@pytest.mark.parametrize(
    "annotation",
    [Context | None, Optional[Context], Annotated[Context, "x"], MyContext],  # noqa: UP045
    ids=["union-none", "optional", "annotated", "subclass"],
)
def test_context_is_recognised_in_optional_annotated_and_subclass_forms(annotation):
    def handler(x: int, ctx=None) -> int:
        return x

    handler.__annotations__ = {"x": int, "ctx": annotation, "return": int}
    assert inspect_handler(handler).context_param == "ctx"


def test_the_context_is_passed_to_the_context_parameter_and_arguments_by_name():
    seen: dict[str, Any] = {}

    def handler(city: str, ctx: Context, days: int = 1) -> str:
        seen.update(city=city, ctx=ctx, days=days)
        return "ok"

    h = inspect_handler(handler)
    ctx = Context()
    assert h.call(h.decode(b'{"city": "Oslo"}'), ctx) == "ok"
    assert seen == {"city": "Oslo", "ctx": ctx, "days": 1}


def test_two_context_parameters_are_refused():
    def handler(a: Context, b: Context) -> None: ...

    with pytest.raises(TypeError, match="two Context parameters"):
        inspect_handler(handler)


# -- sync, async, callables -------------------------------------------------------------------


def test_sync_and_async_handlers_are_told_apart():
    def sync(x: int) -> int:
        return x

    async def asyn(x: int) -> int:
        return x

    assert inspect_handler(sync).is_async is False
    assert inspect_handler(asyn).is_async is True


def test_partials_methods_and_callable_objects_are_inspected():
    async def base(prefix: str, word: str) -> str:
        return prefix + word

    class Greeter:
        def greet(self, name: str) -> str:
            return f"hi {name}"

    class Counter:
        async def __call__(self, step: int = 1) -> int:
            return step

    part = inspect_handler(functools.partial(base, "pre-"))
    assert [p.name for p in part.parameters] == ["word"]
    assert part.is_async
    method = inspect_handler(Greeter().greet)
    assert [p.name for p in method.parameters] == ["name"]
    assert method.call({"name": "x"}) == "hi x"
    obj = inspect_handler(Counter())
    assert obj.is_async
    assert obj.input_schema["properties"]["step"]["default"] == 1


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def h(*args: int) -> None: ...", r"takes \*args"),
        ("def h(**kw: int) -> None: ...", r"takes \*\*kw"),
        ("def h(x: int, /) -> None: ...", "positional-only"),
        ("def h(x: int):\n    yield x", "generator"),
        ("async def h(x: int):\n    yield x", "generator"),
        ("def h(x: 'Missing') -> None: ...", "cannot resolve the type hints"),
        ("def h(x: object.__class__) -> None: ...", "msgspec cannot decode"),
    ],
)
def test_handlers_that_cannot_take_named_json_arguments_are_refused(source, message):
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    with pytest.raises(TypeError, match=message):
        inspect_handler(namespace["h"])


def test_a_non_callable_is_refused():
    with pytest.raises(TypeError, match="must be a function"):
        inspect_handler(42)  # type: ignore[arg-type]


# -- schema -----------------------------------------------------------------------------------


def handler_with_everything(
    city: Annotated[str, msgspec.Meta(description="City name", min_length=1)],
    days: Annotated[int, msgspec.Meta(ge=1, le=14)] = 3,
    units: Units = Units.METRIC,
    at: Point | None = None,
    window: Window | None = None,
    tagged: Tagged | None = None,
    stops: list[str] = ["a"],  # noqa: B006 - a mutable default is copied per call
    mode: Literal["fast", "slow"] = "fast",
) -> Forecast:
    """Get the forecast.

    More words.

    Args:
        city: Ignored: the Meta description wins.
        days: How many days,
            from 1 to 14.
        stops (list[str]): Where to stop.

    Returns:
        The forecast.
    """
    return Forecast(city, [1.0] * days)


def test_the_inferred_schema_is_an_inlined_object_with_defs_for_nested_types():
    schema = inspect_handler(handler_with_everything).input_schema
    assert schema["type"] == "object"
    assert "$ref" not in schema
    assert schema["required"] == ["city"]
    assert list(schema["properties"]) == [
        "city",
        "days",
        "units",
        "at",
        "window",
        "tagged",
        "stops",
        "mode",
    ]
    assert set(schema["$defs"]) == {"Units", "Point", "Window", "Tagged"}
    assert schema["properties"]["at"] == {
        "anyOf": [{"$ref": "#/$defs/Point"}, {"type": "null"}],
        "default": None,
    }
    assert schema["properties"]["days"] == {
        "description": "How many days, from 1 to 14.",
        "type": "integer",
        "minimum": 1,
        "maximum": 14,
        "default": 3,
    }
    assert schema["properties"]["stops"]["default"] == ["a"]
    assert schema["properties"]["mode"] == {"enum": ["fast", "slow"], "default": "fast"}
    jsonschema.Draft202012Validator.check_schema(schema)


def test_descriptions_come_from_meta_first_then_the_docstring():
    h = inspect_handler(handler_with_everything)
    props = h.input_schema["properties"]
    assert props["city"]["description"] == "City name"
    assert props["stops"]["description"] == "Where to stop."
    assert "description" not in props["units"]
    assert h.description == "Get the forecast.\n\nMore words."


def test_a_handler_without_parameters_has_an_empty_object_schema():
    def ping() -> str:
        return "pong"

    h = inspect_handler(ping)
    assert h.input_schema == {"type": "object", "properties": {}}
    assert h.decode(None) == {}
    assert h.decode(msgspec.Raw()) == {}


def test_parse_docstring_splits_description_and_google_style_args():
    description, args = parse_docstring(
        """Summary line.

        Details.

        Args:
            a: First.
            b (int): Second,
                continued.
            *rest: Rest.

        Raises:
            ValueError: never an argument.
        """
    )
    assert description == "Summary line.\n\nDetails."
    assert args == {"a": "First.", "b": "Second, continued.", "rest": "Rest."}
    assert parse_docstring(None) == (None, {})


# -- decoding ---------------------------------------------------------------------------------


def test_decoding_is_lenient_like_fastmcp():
    h = inspect_handler(handler_with_everything)
    kwargs = h.decode(
        b'{"city": "Paris", "days": "4", "units": "imperial", "at": {"lat": "1.5", "lon": 2}}'
    )
    assert kwargs["days"] == 4
    assert kwargs["units"] is Units.IMPERIAL
    assert kwargs["at"] == Point(1.5, 2.0)
    assert kwargs["stops"] == ["a"]


def test_strict_decoding_refuses_strings_for_numbers():
    def handler(days: int) -> int:
        return days

    with pytest.raises(ArgumentValidationError, match=r"at \$\.days: expected `int`, got `str`"):
        inspect_handler(handler, strict=True).decode(b'{"days": "4"}')


def test_mutable_defaults_are_fresh_for_every_call():
    h = inspect_handler(handler_with_everything)
    first = h.decode(b'{"city": "x"}')
    first["stops"].append("mutated")
    assert h.decode(b'{"city": "x"}')["stops"] == ["a"]


def test_unknown_arguments_are_ignored():
    def handler(city: str) -> str:
        return city

    assert inspect_handler(handler).decode(b'{"city": "x", "extra": 1}') == {"city": "x"}


@pytest.mark.parametrize(
    ("raw", "path", "detail"),
    [
        (b"{}", "$.city", "required argument is missing (expected `str`)"),
        (b'{"city": "x", "days": "soon"}', "$.days", "expected `int`, got `str`"),
        (b'{"city": "x", "days": 99}', "$.days", "expected `int` <= 14"),
        (b'{"city": ""}', "$.city", "expected `str` of length >= 1"),
        (b'{"city": "x", "at": {"lat": 1}}', "$.at.lon", "required argument is missing"),
        (b'{"city": "x", "stops": ["a", 3]}', "$.stops[1]", "expected `str`, got `int`"),
        (b'{"city": "x", "units": "kelvin"}', "$.units", "invalid enum value 'kelvin'"),
        (b'{"city": "x", "mode": "medium"}', "$.mode", "invalid enum value 'medium'"),
        (b"[1, 2]", "$", "expected `object`, got `array`"),
    ],
)
def test_argument_errors_name_the_path_and_what_was_expected(raw, path, detail):
    with pytest.raises(ArgumentValidationError) as info:
        inspect_handler(handler_with_everything).decode(raw)
    assert info.value.path == path
    assert info.value.detail == detail
    assert str(info.value) == f"Invalid arguments at {path}: {detail}"
    assert info.value.code == -32602


def test_arguments_that_are_not_json_are_an_argument_error():
    def handler(city: str) -> str:
        return city

    with pytest.raises(ArgumentValidationError, match="not valid JSON"):
        inspect_handler(handler).decode(b'{"city": ')


def test_convert_accepts_python_values_for_in_process_callers():
    h = inspect_handler(handler_with_everything)
    kwargs = h.convert({"city": "x", "at": Point(1, 2), "units": Units.IMPERIAL, "days": "2"})
    assert kwargs["at"] == Point(1, 2)
    assert kwargs["units"] is Units.IMPERIAL
    assert kwargs["days"] == 2
    with pytest.raises(ArgumentValidationError, match=r"\$\.city"):
        h.convert({})
    assert inspect_handler(lambda: None).convert(None) == {}


# -- output schemas ---------------------------------------------------------------------------


def test_object_return_types_give_their_schema_as_is():
    output = infer_output_schema(Forecast)
    assert output is not None
    assert not output.wrapped
    assert output.schema["type"] == "object"
    assert output.schema["properties"]["at"]["anyOf"][0] == {"$ref": "#/$defs/Point"}
    assert set(output.schema["$defs"]) == {"Point"}
    assert infer_output_schema(dict[str, int]) is not None
    assert infer_output_schema(dict[str, Any]) is not None  # Any inside a container is data
    assert infer_output_schema(list[Any]) is not None
    assert infer_output_schema(Tagged) is not None
    assert not infer_output_schema(Window).wrapped  # type: ignore[union-attr]


@pytest.mark.parametrize("annotation", [int, str, list[Point], Point | None, Units, bool])
def test_non_object_return_types_are_wrapped_under_result_with_the_marker(annotation):
    output = infer_output_schema(annotation)
    assert output is not None
    assert output.wrapped
    assert output.schema["type"] == "object"
    assert output.schema["required"] == ["result"]
    assert output.schema[WRAP_RESULT_KEY] is True
    jsonschema.Draft202012Validator.check_schema(output.schema)


@pytest.mark.parametrize(
    "annotation",
    [
        inspect.Signature.empty,
        None,
        type(None),
        Any,
        bytes,
        Image,
        list[Image],
        Image | str,
        wire.TextContent,
        wire.CallToolResult,
        ToolResult,
        object.__class__,
    ],
)
def test_no_output_schema_for_none_any_bytes_content_results_and_unschemable_types(annotation):
    assert infer_output_schema(annotation) is None


def test_explicit_output_schemas_are_verbatim_when_objects_and_wrapped_otherwise():
    obj = {"type": "object", "properties": {"n": {"type": "integer"}}, "x-custom": 1}
    assert explicit_output_schema(obj).schema is obj
    arr = {"type": "array", "items": {"$ref": "#/$defs/N"}, "$defs": {"N": {"type": "integer"}}}
    wrapped = explicit_output_schema(arr)
    assert wrapped.wrapped
    assert wrapped.schema["properties"]["result"] == {
        "type": "array",
        "items": {"$ref": "#/$defs/N"},
    }
    assert wrapped.schema["$defs"] == {"N": {"type": "integer"}}
    assert wrapped.validator is not None
    assert wrapped.validator.is_valid({"result": [1, 2]})
    assert not wrapped.validator.is_valid({"result": ["x"]})


# -- round trip property ------------------------------------------------------------------------

_UTC = dt.UTC
_CASES: list[tuple[Any, st.SearchStrategy[Any]]] = [
    (int, st.integers(-(2**63), 2**63 - 1)),
    (float, st.floats(allow_nan=False, allow_infinity=False)),
    (str, st.text()),
    (bool, st.booleans()),
    (int | None, st.none() | st.integers(-1000, 1000)),
    (list[int], st.lists(st.integers(-1000, 1000))),
    (dict[str, int], st.dictionaries(st.text(), st.integers(-1000, 1000))),
    (tuple[int, str], st.tuples(st.integers(-1000, 1000), st.text())),
    (Literal["a", "b"], st.sampled_from(["a", "b"])),
    (Units, st.sampled_from(Units)),
    (Level, st.sampled_from(Level)),
    (Annotated[int, msgspec.Meta(ge=0, le=100)], st.integers(0, 100)),
    (Annotated[str, msgspec.Meta(max_length=5)], st.text(max_size=5)),
    (Point, st.builds(Point, st.floats(-90, 90), st.floats(-180, 180))),
    (list[Point], st.lists(st.builds(Point, st.floats(-90, 90), st.floats(-180, 180)), max_size=3)),
    (Window, st.builds(Window, st.integers(0, 9), st.integers(10, 20))),
    (Tagged, st.fixed_dictionaries({"label": st.text(), "weight": st.integers(-5, 5)})),
    (uuid.UUID, st.uuids()),
    (dt.datetime, st.datetimes(timezones=st.sampled_from([_UTC]))),
    (dt.date, st.dates()),
    (Forecast, st.builds(Forecast, st.text(), st.lists(st.floats(-50, 50)), st.none())),
]


@functools.cache
def _handler_for(index: int) -> Any:
    annotation = _CASES[index][0]

    def handler(value):
        return value

    handler.__annotations__ = {"value": annotation, "return": annotation}
    return inspect_handler(handler)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(_CASES) - 1).flatmap(lambda i: st.tuples(st.just(i), _CASES[i][1])))
def test_any_value_of_a_supported_type_round_trips_and_fits_the_inferred_schemas(case):
    index, value = case
    h = _handler_for(index)
    decoded = h.decode(msgspec.json.encode({"value": value}))
    assert decoded == {"value": value}
    as_json = msgspec.json.decode(msgspec.json.encode({"value": value}))
    jsonschema.Draft202012Validator(h.input_schema).validate(as_json)
    output = infer_output_schema(h.return_annotation)
    assert output is not None
    result = tool_result(h.call(decoded), output)
    assert result.structured_content is not None
    structured = msgspec.json.decode(msgspec.json.encode(result.structured_content))
    jsonschema.Draft202012Validator(output.schema).validate(structured)


# -- explicit handlers --------------------------------------------------------------------------


def test_explicit_handlers_are_called_with_zero_one_or_two_arguments():
    schema = {"type": "object"}
    ctx = Context()

    def none() -> str:
        return "none"

    def one(arguments):
        return arguments

    def two(arguments, ctx):
        return arguments, ctx

    assert ExplicitHandler(none, input_schema=schema, validator=None).call({}, ctx) == "none"
    assert ExplicitHandler(one, input_schema=schema, validator=None).call({"a": 1}, ctx) == {"a": 1}
    two_handler = ExplicitHandler(two, input_schema=schema, validator=None)
    assert two_handler.takes_context
    assert two_handler.call({"a": 1}, ctx) == ({"a": 1}, ctx)


def test_explicit_handlers_with_too_many_parameters_are_refused():
    def three(a, b, c):
        return a

    def keyword(a, *, b):
        return a

    with pytest.raises(TypeError, match="3 required parameters"):
        ExplicitHandler(three, input_schema={}, validator=None)
    with pytest.raises(TypeError, match="keyword-only"):
        ExplicitHandler(keyword, input_schema={}, validator=None)


def test_explicit_convert_reduces_python_values_to_json():
    h = ExplicitHandler(lambda a: a, input_schema={}, validator=None)
    converted = h.convert({"u": Units.METRIC, "p": Point(1, 2), "t": (1, 2)})
    assert converted["u"] == "metric"
    assert converted["p"] == {"lat": 1.0, "lon": 2.0}
    assert msgspec.json.encode(converted["t"]) == b"[1,2]"
    with pytest.raises(ArgumentValidationError, match="not a JSON value"):
        h.convert({"x": object()})
    with pytest.raises(ArgumentValidationError, match="must be a JSON object"):
        h.decode(b"[1]")


def test_dataclass_parameters_decode_from_objects():
    @dataclasses.dataclass
    class Local:
        a: int

    h = inspect_handler(lambda w: w)
    assert h.decode(b'{"w": 1}') == {"w": 1}  # untyped parameters accept any JSON value
    assert inspect_handler(handler_with_everything).decode(
        b'{"city": "x", "window": {"start": 1}}'
    )["window"] == Window(1, 10)
