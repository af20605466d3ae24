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


def elicitation_schema(response_type: Any) -> dict[str, Any]:
    """The `requestedSchema` for `response_type` (an object of primitive properties).

    Raises:
        TypeError: the type has a nested (non-primitive) field, which MCP does not allow.
    """
    if _wrapped(response_type):
        inner = msgspec.json.schema(response_type)
        inner.pop("$defs", None)
        if "$ref" in inner:  # an enum: inline it
            (definition,) = msgspec.json.schema_components([response_type])[1].values()
            inner = {k: v for k, v in definition.items() if k in ("type", "enum", "title")}
        return {"type": "object", "properties": {"value": inner}, "required": ["value"]}
    (ref,), components = msgspec.json.schema_components([response_type])
    name = ref["$ref"].rsplit("/", 1)[-1]
    schema = dict(components[name])
    for field, prop in schema.get("properties", {}).items():
        if prop.get("type") in ("object", "array") or "$ref" in prop or "anyOf" in prop:
            raise TypeError(
                f"elicitation field {field!r} of {name} is not a primitive; MCP elicitation "
                "allows only string, number, integer, boolean and enum fields"
            )
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
