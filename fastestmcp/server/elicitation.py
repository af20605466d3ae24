# Elicitation on the server side: a Python type -> the flat object schema MCP allows
# (`requestedSchema`: an object of primitive properties), and the client's answer -> a value
# of that type.
#
# Scalars (str, int, float, bool), enums and Literals are wrapped in an object with one
# property, `value`, and unwrapped on the way back. Structs, dataclasses and TypedDicts map
# their fields to properties; fields must be primitives (MCP forbids nesting in elicitation).

from __future__ import annotations

import enum
import typing
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

import msgspec
import msgspec.inspect

__all__ = [
    "AcceptedElicitation",
    "CancelledElicitation",
    "DeclinedElicitation",
    "ElicitationResult",
    "elicitation_schema",
    "parse_elicitation",
]

T = TypeVar("T")

_SCALARS = (str, int, float, bool)


@dataclass(frozen=True, slots=True)
class AcceptedElicitation(Generic[T]):
    """The user accepted and answered; `data` is of the requested type."""

    data: T
    action: Literal["accept"] = "accept"


@dataclass(frozen=True, slots=True)
class DeclinedElicitation:
    action: Literal["decline"] = "decline"


@dataclass(frozen=True, slots=True)
class CancelledElicitation:
    action: Literal["cancel"] = "cancel"


ElicitationResult = AcceptedElicitation[T] | DeclinedElicitation | CancelledElicitation


def _wrapped(response_type: Any) -> bool:
    origin = typing.get_origin(response_type)
    if origin is Literal:
        return True
    if isinstance(response_type, type):
        return issubclass(response_type, _SCALARS) or issubclass(response_type, enum.Enum)
    return False


def _choices(tp: Any) -> list[Any] | None:
    """The values of an Enum or Literal type in declaration order, else None.

    msgspec's schemas sort them; a form should offer them in the order they were written.
    """
    if typing.get_origin(tp) is Literal:
        return list(typing.get_args(tp))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return [member.value for member in tp]
    return None


def _enum_property(choices: list[Any], schema: dict[str, Any]) -> dict[str, Any]:
    # MCP's enum schema is {"type": "string", "enum": [...]}: `type` is required.
    prop = {k: v for k, v in schema.items() if k in ("title", "description", "default")}
    if all(isinstance(choice, str) for choice in choices):
        prop["type"] = "string"
    prop["enum"] = choices
    return prop


def elicitation_schema(response_type: Any) -> dict[str, Any]:
    """The `requestedSchema` for `response_type` (an object of primitive properties).

    Raises:
        TypeError: the type has a nested (non-primitive) field, which MCP does not allow.
    """
    if _wrapped(response_type):
        choices = _choices(response_type)
        if choices is not None:
            (ref,), components = msgspec.json.schema_components([response_type])
            definition = components.get(ref.get("$ref", "").rsplit("/", 1)[-1], ref)
            inner = _enum_property(choices, definition)
        else:
            inner = msgspec.json.schema(response_type)
        return {"type": "object", "properties": {"value": inner}, "required": ["value"]}
    (ref,), components = msgspec.json.schema_components([response_type])
    name = ref["$ref"].rsplit("/", 1)[-1]
    schema = dict(components[name])
    hints = typing.get_type_hints(response_type)
    wire_names = {
        getattr(f, "encode_name", f.name): f.name
        for f in getattr(msgspec.inspect.type_info(response_type), "fields", ())
    }
    properties: dict[str, Any] = {}
    for field, prop in schema.get("properties", {}).items():
        choices = _choices(hints.get(wire_names.get(field, field)))
        if choices is not None:  # inline an enum's definition, keep the field's default
            definition = components[prop["$ref"].rsplit("/", 1)[-1]] if "$ref" in prop else {}
            prop = _enum_property(choices, {**definition, **prop})
        elif prop.get("type") in ("object", "array") or "$ref" in prop or "anyOf" in prop:
            raise TypeError(
                f"elicitation field {field!r} of {name} is not a primitive; MCP elicitation "
                "allows only string, number, integer, boolean and enum fields"
            )
        properties[field] = prop
    if "properties" in schema:
        schema["properties"] = properties
    schema["type"] = "object"
    return schema


def parse_elicitation(response_type: Any, result: Any) -> ElicitationResult[Any]:
    """Turn the client's `ElicitResult` into an `AcceptedElicitation` of the requested type.

    Raises:
        msgspec.ValidationError: the accepted content does not match the requested type.
    """
    action = result.action
    if action == "decline":
        return DeclinedElicitation()
    if action == "cancel":
        return CancelledElicitation()
    content = result.content or {}
    if _wrapped(response_type):
        return AcceptedElicitation(msgspec.convert(content.get("value"), response_type))
    return AcceptedElicitation(msgspec.convert(content, response_type, strict=False))
