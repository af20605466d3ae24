# Resources: listing, templates, reading, subscriptions and the update notification.

"""Resource types: Resource, ResourceTemplate and the resources/* params and results."""

from __future__ import annotations

from typing import Any

from .common import Annotations, Cursor, Icon, Meta, WireStruct, meta_field
from .content import ResourceContents

__all__ = (
    "ListResourceTemplatesResult",
    "ListResourcesResult",
    "ReadResourceRequestParams",
    "ReadResourceResult",
    "Resource",
    "ResourceTemplate",
    "ResourceUpdatedNotificationParams",
    "SubscribeRequestParams",
    "UnsubscribeRequestParams",
)


class Resource(WireStruct, frozen=True, kw_only=True):
    """A resource the server can read.

    Attributes:
        uri: The resource's URI.
        name: Programmatic name.
        title: Display name (2025-06-18+).
        description: What the resource is, for the model.
        mime_type: The MIME type, if known.
        size: Size in bytes, if known.
        annotations: Display hints.
        icons: Icons for display (2025-11-25+).
        meta: The resource's ``_meta``.
    """

    uri: str
    name: str
    title: str | None = None
    description: str | None = None
    mime_type: str | None = None
    size: int | None = None
    annotations: Annotations | None = None
    icons: list[Icon] | None = None
    meta: Meta | None = meta_field()


class ResourceTemplate(WireStruct, frozen=True, kw_only=True):
    """A family of resources described by an RFC 6570 URI template.

    Attributes:
        uri_template: The URI template, e.g. ``"file:///{path}"``.
        name: Programmatic name.
        title: Display name (2025-06-18+).
        description: What the resources are, for the model.
        mime_type: The MIME type of every matching resource, if they share one.
        annotations: Display hints.
        icons: Icons for display (2025-11-25+).
        meta: The template's ``_meta``.
    """

    uri_template: str
    name: str
    title: str | None = None
    description: str | None = None
    mime_type: str | None = None
    annotations: Annotations | None = None
    icons: list[Icon] | None = None
    meta: Meta | None = meta_field()


class ListResourcesResult(WireStruct, frozen=True, kw_only=True):
    """Result of ``resources/list``.

    Attributes:
        resources: One page of resources.
        next_cursor: Cursor of the next page, or ``None`` on the last page.
        meta: The result's ``_meta``.
    """

    resources: list[Resource]
    next_cursor: Cursor | None = None
    meta: Meta | None = meta_field()


class ListResourceTemplatesResult(WireStruct, frozen=True, kw_only=True):
    """Result of ``resources/templates/list``.

    Attributes:
        resource_templates: One page of templates.
        next_cursor: Cursor of the next page, or ``None`` on the last page.
        meta: The result's ``_meta``.
    """

    resource_templates: list[ResourceTemplate]
    next_cursor: Cursor | None = None
    meta: Meta | None = meta_field()


class ReadResourceRequestParams(WireStruct, frozen=True, kw_only=True):
    """Params of ``resources/read``.

    Attributes:
        uri: The URI to read.
        input_responses: MRTR (2026-07-28): the client's answers to the last
            ``InputRequiredResult``, by key.
        request_state: MRTR (2026-07-28): the sealed state of the last
            ``InputRequiredResult``, echoed verbatim.
        meta: The request's ``_meta``.
    """

    uri: str
    input_responses: dict[str, Any] | None = None
    request_state: str | None = None
    meta: Meta | None = meta_field()


class ReadResourceResult(WireStruct, frozen=True, kw_only=True):
    """Result of ``resources/read``.

    Attributes:
        contents: The contents (a template may yield several).
        meta: The result's ``_meta``.
    """

    contents: list[ResourceContents]
    meta: Meta | None = meta_field()


class SubscribeRequestParams(WireStruct, frozen=True, kw_only=True):
    """Params of ``resources/subscribe``.

    Attributes:
        uri: The URI to watch.
        meta: The request's ``_meta``.
    """

    uri: str
    meta: Meta | None = meta_field()


class UnsubscribeRequestParams(WireStruct, frozen=True, kw_only=True):
    """Params of ``resources/unsubscribe``.

    Attributes:
        uri: The URI to stop watching.
        meta: The request's ``_meta``.
    """

    uri: str
    meta: Meta | None = meta_field()


class ResourceUpdatedNotificationParams(WireStruct, frozen=True, kw_only=True):
    """Params of ``notifications/resources/updated``.

    Attributes:
        uri: The URI that changed (may be a sub-resource of the subscribed one).
        meta: The notification's ``_meta``.
    """

    uri: str
    meta: Meta | None = meta_field()
