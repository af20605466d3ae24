"""Types used by handlers in the server tests (module level, so type hints resolve)."""

from __future__ import annotations

import dataclasses
import enum
from typing import TypedDict

import msgspec


class Units(enum.Enum):
    METRIC = "metric"
    IMPERIAL = "imperial"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Point(msgspec.Struct):
    """A point on Earth."""

    lat: float
    lon: float


@dataclasses.dataclass
class Window:
    start: int
    end: int = 10


class Tagged(TypedDict):
    label: str
    weight: int


class Forecast(msgspec.Struct):
    city: str
    temperatures: list[float]
    at: Point | None = None
