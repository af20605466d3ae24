# Shared building blocks of the MCP wire types: the `WireStruct` base, aliases for
# ids, roles and levels, and the small types every area uses (annotations, icons,
# request/notification params that carry only `_meta`, empty results).
#
# Rules for every module of this package:
#   * Types only: msgspec Structs, aliases and pure helpers. No IO.
#   * One Struct per wire object of the legacy revisions (2024-11-05 ... 2025-11-25).
#     Fields added by later revisions are optional, so one type serves every revision.
#   * Python names are snake_case; the wire is camelCase (`rename="camel"`); `_meta` is
#     the field `meta`. Optional fields default to `None` and are omitted when encoding.
#   * Unknown fields are ignored when decoding (a newer peer must not break us).
#   * Tagged unions are tagged on the wire's `type` member.

"""Common MCP wire types: the `WireStruct` base, aliases and small shared Structs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeAlias

import msgspec

__all__ = (
    "Annotations",
    "Cursor",
    "EmptyResult",
    "Icon",
    "LoggingLevel",
    "Meta",
    "NotificationParams",
    "PaginatedRequestParams",
    "ProgressToken",
    "RequestParams",
    "Role",
    "WireStruct",
    "progress_token",
)

Meta: TypeAlias = dict[str, Any]
"""The free-form ``_meta`` object (keys like ``progressToken`` or reverse-DNS names)."""

ProgressToken: TypeAlias = str | int
"""The token a request's ``_meta.progressToken`` carries and progress notifications echo."""

Cursor: TypeAlias = str
"""An opaque pagination cursor."""

Role: TypeAlias = Literal["user", "assistant"]
"""The sender or recipient of a message."""

LoggingLevel: TypeAlias = Literal[
    "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"
]
"""Syslog severities (RFC 5424), from least to most severe."""

UnitInterval = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]


class WireStruct(msgspec.Struct, rename="camel", omit_defaults=True, frozen=True):
    """Base of every MCP wire type: camelCase on the wire, defaults omitted, frozen.

    Subclasses declare ``kw_only=True`` so required and optional fields can be listed
    in wire order.
    """


def meta_field() -> Any:
    """Return the field spec of an optional ``_meta`` member (Python name ``meta``)."""
    return msgspec.field(default=None, name="_meta")


class Annotations(WireStruct, frozen=True, kw_only=True):
    """Hints for clients about how to use or display an object.

    Attributes:
        audience: Who the object is meant for.
        priority: Importance from 0 (optional) to 1 (required).
        last_modified: ISO 8601 timestamp of the last change (2025-06-18+).
    """

    audience: list[Role] | None = None
    priority: UnitInterval | None = None
    last_modified: str | None = None


class Icon(WireStruct, frozen=True, kw_only=True):
    """An icon for display in user interfaces (2025-11-25+).

    Attributes:
        src: An ``https:`` or ``data:`` URI of the image.
        mime_type: Optional MIME type override.
        sizes: Sizes such as ``"48x48"`` or ``"any"``.
        theme: The background the icon is designed for.
    """

    src: str
    mime_type: str | None = None
    sizes: list[str] | None = None
    theme: Literal["light", "dark"] | None = None


class RequestParams(WireStruct, frozen=True, kw_only=True):
    """Params of requests that carry nothing but ``_meta`` (ping, roots/list).

    Attributes:
        meta: The request's ``_meta``; ``progressToken`` asks for progress.
    """

    meta: Meta | None = meta_field()


class PaginatedRequestParams(WireStruct, frozen=True, kw_only=True):
    """Params of the ``*/list`` requests.

    Attributes:
        cursor: The ``nextCursor`` of the previous page, or ``None`` for the first.
        meta: The request's ``_meta``.
    """

    cursor: Cursor | None = None
    meta: Meta | None = meta_field()


class NotificationParams(WireStruct, frozen=True, kw_only=True):
    """Params of notifications that carry nothing but ``_meta``.

    Used by ``notifications/initialized`` and the ``*/list_changed`` notifications.

    Attributes:
        meta: The notification's ``_meta``.
    """

    meta: Meta | None = meta_field()


class EmptyResult(WireStruct, frozen=True, kw_only=True):
    """A result that only acknowledges (ping, logging/setLevel, subscribe...).

    Attributes:
        meta: The result's ``_meta``.
    """

    meta: Meta | None = meta_field()


def progress_token(meta: Mapping[str, Any] | None) -> ProgressToken | None:
    """Return the progress token of a request's ``_meta``, if it asks for progress.

    Args:
        meta: The ``meta`` attribute of any request params Struct.

    Returns:
        The token (a string or an integer), or ``None`` when absent or malformed.
    """
    if not meta:
        return None
    token = meta.get("progressToken")
    if type(token) is str or type(token) is int:
        return token
    return None
