"""Elicitation schemas: Python types -> MCP's flat `requestedSchema`, and answers -> values."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal, TypedDict

import msgspec
import pytest

from fastestmcp.server.elicitation import (
    AcceptedElicitation,
    elicitation_schema,
    parse_elicitation,
)


class Size(enum.Enum):
    SMALL = "small"
    LARGE = "large"


class Level(enum.IntEnum):
    HIGH = 3
    LOW = 1


@dataclass
class Drink:
    kind: Literal["tea", "coffee", "cocoa"]
    size: Size = Size.LARGE
    sugar: int = 0


class Order(msgspec.Struct, rename="camel"):
    cup_size: Size
    level: Level = Level.LOW


class Pick(TypedDict):
    size: Size


@dataclass
class Nested:
    items: list[int]


class _Answer:
    def __init__(self, content: dict[str, object]) -> None:
        self.action = "accept"
        self.content = content


def test_string_enums_carry_type_string_and_keep_declaration_order() -> None:
    # MCP's enum schema is {"type": "string", "enum": [...]}; msgspec alone sorts the
    # values and leaves `type` out.
    assert elicitation_schema(Size)["properties"]["value"] == {
        "title": "Size",
        "type": "string",
        "enum": ["small", "large"],
    }
    assert elicitation_schema(Literal["b", "a"])["properties"]["value"] == {
        "type": "string",
        "enum": ["b", "a"],
    }


def test_enum_and_literal_fields_are_inlined_with_their_defaults() -> None:
    schema = elicitation_schema(Drink)
    assert schema["type"] == "object"
    assert schema["required"] == ["kind"]
    assert schema["properties"] == {
        "kind": {"type": "string", "enum": ["tea", "coffee", "cocoa"]},
        "size": {"title": "Size", "type": "string", "enum": ["small", "large"], "default": "large"},
        "sugar": {"type": "integer", "default": 0},
    }


def test_renamed_struct_fields_and_typed_dicts() -> None:
    order = elicitation_schema(Order)["properties"]
    assert order["cupSize"]["enum"] == ["small", "large"]
    assert order["level"] == {"title": "Level", "enum": [3, 1], "default": 1}  # no int enums
    assert elicitation_schema(Pick)["properties"]["size"]["type"] == "string"

    answer = parse_elicitation(Order, _Answer({"cupSize": "large", "level": 3}))
    assert answer == AcceptedElicitation(Order(cup_size=Size.LARGE, level=Level.HIGH))


def test_nested_fields_are_refused() -> None:
    with pytest.raises(TypeError, match="field 'items' of Nested is not a primitive"):
        elicitation_schema(Nested)
