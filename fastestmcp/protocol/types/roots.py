# Roots: `roots/list`, a server-to-client request (client capability `roots`).
# Its params are `common.RequestParams`; the change notification carries
# `common.NotificationParams`.

"""Root types: Root and the roots/list result."""

from __future__ import annotations

from .common import Meta, WireStruct, meta_field

__all__ = ("ListRootsResult", "Root")


class Root(WireStruct, frozen=True, kw_only=True):
    """A directory or file the server may operate on.

    Attributes:
        uri: The root's URI (``file://`` in current revisions).
        name: Display name.
        meta: The root's ``_meta``.
    """

    uri: str
    name: str | None = None
    meta: Meta | None = meta_field()


class ListRootsResult(WireStruct, frozen=True, kw_only=True):
    """Result of ``roots/list``.

    Attributes:
        roots: The client's roots.
        meta: The result's ``_meta``.
    """

    roots: list[Root]
    meta: Meta | None = meta_field()
