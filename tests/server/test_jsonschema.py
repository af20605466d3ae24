"""Explicit JSON Schemas: compiled once, validated with paths, published verbatim."""

from __future__ import annotations

import copy
import time
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastestmcp
from fastestmcp.protocol import types as wire
from fastestmcp.server import ArgumentValidationError, InvalidSchemaError, compile_schema
from fastestmcp.server.jsonschema import format_path

SCHEMA_2020_12: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://example.com/schemas/route",
    "title": "Route",
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "pattern": "^[a-z]+$"},
        "stops": {"type": "array", "items": {"$ref": "#/$defs/Stop"}, "maxItems": 3},
        "mode": {"enum": ["walk", "bike"]},
        "pair": {
            "type": "array",
            "prefixItems": [{"type": "string"}, {"type": "integer"}],
            "items": False,
        },
        "note": {"type": ["string", "null"]},
        "level": {"type": "integer", "minimum": 0, "exclusiveMaximum": 5},
    },
    "required": ["name", "stops"],
    "additionalProperties": False,
    "dependentRequired": {"pair": ["mode"]},
    "$defs": {
        "Stop": {
            "type": "object",
            "properties": {
                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                "lon": {"type": "number", "minimum": -180, "maximum": 180},
            },
            "required": ["lat", "lon"],
            "additionalProperties": False,
        }
    },
    "x-vendor": {"kept": True},
}


def test_an_explicit_2020_12_schema_survives_verbatim_into_tools_list():
    original = copy.deepcopy(SCHEMA_2020_12)
    app = fastestmcp.server("routes")

    @app.tool(input_schema=SCHEMA_2020_12)
    def plan(arguments):
        return arguments["name"]

    listed = msgspec.json.decode(msgspec.json.encode(app.list_tools()))
    assert listed["tools"][0]["inputSchema"] == original
    assert list(listed["tools"][0]["inputSchema"]) == list(original)  # key order too
    assert original == SCHEMA_2020_12  # never modified
    decoded = msgspec.json.decode(msgspec.json.encode(app.list_tools()), type=wire.ListToolsResult)
    assert decoded.tools[0].input_schema == original


def test_an_explicit_output_schema_survives_verbatim_into_tools_list():
    output = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"total": {"$ref": "#/$defs/Amount"}},
        "$defs": {"Amount": {"type": "number"}},
        "additionalProperties": False,
    }
    app = fastestmcp.server("s")
    app.add_tool(lambda: {"total": 1.5}, name="total", output_schema=output)
    listed = msgspec.json.decode(msgspec.json.encode(app.list_tools()))
    assert listed["tools"][0]["outputSchema"] == output


VALID = {
    "name": "route",
    "stops": [{"lat": 1, "lon": 2.5}],
    "mode": "walk",
    "pair": ["a", 1],
    "note": None,
    "level": 4,
}


@pytest.mark.parametrize(
    ("change", "path", "fragment"),
    [
        ({"name": "Route"}, "$.name", "does not match"),
        ({"stops": [{"lat": 100, "lon": 0}]}, "$.stops[0].lat", "greater than the maximum"),
        ({"stops": [{"lat": 1}]}, "$.stops[0].lon", "required property is missing"),
        ({"mode": "car"}, "$.mode", "is not one of"),
        ({"pair": ["a", "b"]}, "$.pair[1]", "is not of type"),
        ({"pair": ["a", 1, 2]}, "$.pair[2]", "False schema"),
        ({"level": 5}, "$.level", "maximum"),
        ({"extra": 1}, "$", "Additional properties are not allowed"),
    ],
)
def test_validation_errors_name_the_path_of_the_bad_value(change, path, fragment):
    validator = compile_schema(SCHEMA_2020_12)
    validator.validate(VALID)
    with pytest.raises(ArgumentValidationError) as info:
        validator.validate({**VALID, **change})
    assert info.value.path == path
    assert fragment in info.value.detail


def test_missing_required_properties_point_at_the_property():
    validator = compile_schema(SCHEMA_2020_12)
    with pytest.raises(ArgumentValidationError) as info:
        validator.validate({"stops": []})
    assert info.value.path == "$.name"
    assert str(info.value) == "Invalid arguments at $.name: required property is missing"


def test_2020_12_keywords_are_enforced():
    validator = compile_schema(SCHEMA_2020_12)
    assert validator.is_valid(VALID)
    assert not validator.is_valid({**VALID, "pair": ["a", 1, 2]})  # prefixItems + items: false
    without_mode = {k: v for k, v in VALID.items() if k != "mode"}
    assert not validator.is_valid(without_mode)  # dependentRequired: pair needs mode


def test_invalid_schemas_are_refused_at_compile_time():
    with pytest.raises(InvalidSchemaError, match="invalid JSON Schema"):
        compile_schema({"type": 12})
    with pytest.raises(InvalidSchemaError, match="JSON object"):
        compile_schema([])  # type: ignore[arg-type]
    with pytest.raises(InvalidSchemaError):
        compile_schema({"$ref": "#/$defs/Missing"})


def test_remote_refs_are_never_fetched():
    started = time.monotonic()
    with pytest.raises(InvalidSchemaError, match="remote documents are not fetched"):
        compile_schema({"$ref": "https://example.invalid/schema.json"})
    assert time.monotonic() - started < 1.0


def test_other_drafts_named_by_schema_work():
    draft7 = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {"a": {"type": "integer"}},
        "definitions": {"x": {"type": "string"}},
    }
    assert compile_schema(draft7).is_valid({"a": 1})
    assert not compile_schema(draft7).is_valid({"a": "1"})


def test_format_path_quotes_names_that_are_not_identifiers():
    assert format_path([]) == "$"
    assert format_path(["a", 0, "b c", 'q"']) == '$.a[0]["b c"]["q\\""]'


# -- differential model: the compiled validator agrees with the reference implementation --

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10),
    st.floats(-200, 200, allow_nan=False),
    st.sampled_from(["walk", "bike", "car", "route", "Route", "", "a"]),
)
_STOP = st.fixed_dictionaries({}, optional={"lat": _SCALARS, "lon": _SCALARS, "zz": _SCALARS})
_INSTANCE = st.fixed_dictionaries(
    {},
    optional={
        "name": _SCALARS,
        "stops": st.lists(_STOP | _SCALARS, max_size=4),
        "mode": _SCALARS,
        "pair": st.lists(_SCALARS, max_size=3),
        "note": _SCALARS,
        "level": _SCALARS,
        "extra": _SCALARS,
    },
)


@settings(max_examples=400, deadline=None)
@given(_INSTANCE)
def test_the_compiled_validator_agrees_with_the_jsonschema_package(instance):
    ours = compile_schema(SCHEMA_2020_12)
    reference = jsonschema.Draft202012Validator(SCHEMA_2020_12)
    assert ours.is_valid(instance) == reference.is_valid(instance)
