# Logging: `logging/setLevel` and `notifications/message` (capability `logging`).
# Named `logs` so it never shadows the standard library's `logging`.

"""Logging types: logging/setLevel params and notifications/message params."""

from __future__ import annotations

from typing import Any

from .common import LoggingLevel, Meta, WireStruct, meta_field

__all__ = (
    "LOGGING_LEVELS",
    "LoggingMessageNotificationParams",
    "SetLevelRequestParams",
)

LOGGING_LEVELS: tuple[LoggingLevel, ...] = (
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
)
"""Every level, least severe first: ``LOGGING_LEVELS.index(a) < LOGGING_LEVELS.index(b)``."""


class SetLevelRequestParams(WireStruct, frozen=True, kw_only=True):
    """Params of ``logging/setLevel``.

    Attributes:
        level: The least severe level the client wants to receive.
        meta: The request's ``_meta``.
    """

    level: LoggingLevel
    meta: Meta | None = meta_field()


class LoggingMessageNotificationParams(WireStruct, frozen=True, kw_only=True):
    """Params of ``notifications/message``.

    Attributes:
        level: The message's severity.
        data: Any JSON value to log (a string or an object, usually).
        logger: The name of the logger, if any.
        meta: The notification's ``_meta``.
    """

    level: LoggingLevel
    data: Any
    logger: str | None = None
    meta: Meta | None = meta_field()
