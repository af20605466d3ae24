# Content blocks (tool results, prompt messages, sampling) and resource contents.
#
# Content blocks are a tagged union on the wire's `type` member:
#   text | image | audio (2025-03-26+) | resource_link (2025-06-18+) | resource
# plus, inside sampling messages only (2025-11-25+), tool_use | tool_result.
#
# Resource contents (`resources/read`, embedded resources) have no tag: the schema's
# TextResourceContents and BlobResourceContents differ only by `text` vs `blob`. msgspec
# cannot tell untagged Structs apart, so they are one Struct, `ResourceContents`, that
# requires exactly one of the two.

"""Content blocks and resource contents."""

from __future__ import annotations

from typing import Any, TypeAlias

from .common import Annotations, Icon, Meta, WireStruct, meta_field

__all__ = (
    "AudioContent",
    "ContentBlock",
    "EmbeddedResource",
    "ImageContent",
    "ResourceContents",
    "ResourceLink",
    "SamplingContent",
    "TextContent",
    "ToolResultContent",
    "ToolUseContent",
)


class TextContent(WireStruct, frozen=True, kw_only=True, tag_field="type", tag="text"):
    """Text for the model or the user.

    Attributes:
        text: The text.
        annotations: Optional display hints.
        meta: The block's ``_meta``.
    """

    text: str
    annotations: Annotations | None = None
    meta: Meta | None = meta_field()


class ImageContent(WireStruct, frozen=True, kw_only=True, tag_field="type", tag="image"):
    """An image.

    Attributes:
        data: The base64-encoded image bytes.
        mime_type: The image's MIME type, e.g. ``"image/png"``.
        annotations: Optional display hints.
        meta: The block's ``_meta``.
    """

    data: str
    mime_type: str
    annotations: Annotations | None = None
    meta: Meta | None = meta_field()


class AudioContent(WireStruct, frozen=True, kw_only=True, tag_field="type", tag="audio"):
    """Audio (2025-03-26+).

    Attributes:
        data: The base64-encoded audio bytes.
        mime_type: The audio's MIME type, e.g. ``"audio/wav"``.
        annotations: Optional display hints.
        meta: The block's ``_meta``.
    """

    data: str
    mime_type: str
    annotations: Annotations | None = None
    meta: Meta | None = meta_field()


class ResourceContents(WireStruct, frozen=True, kw_only=True):
    """The contents of a resource: text or binary (exactly one of ``text``/``blob``).

    Attributes:
        uri: The URI of the resource.
        mime_type: The MIME type, if known.
        text: The text, for a text resource.
        blob: The base64-encoded bytes, for a binary resource.
        meta: The contents' ``_meta``.
    """

    uri: str
    mime_type: str | None = None
    text: str | None = None
    blob: str | None = None
    meta: Meta | None = meta_field()

    def __post_init__(self) -> None:
        if (self.text is None) == (self.blob is None):
            raise ValueError(
                "resource contents need exactly one of `text` (a text resource) or "
                "`blob` (base64 bytes of a binary resource)"
            )


class ResourceLink(WireStruct, frozen=True, kw_only=True, tag_field="type", tag="resource_link"):
    """A link to a resource the client may read (2025-06-18+).

    Attributes:
        uri: The resource's URI.
        name: Programmatic name.
        title: Display name (2025-06-18+).
        description: What the resource is.
        mime_type: The MIME type, if known.
        size: Size in bytes, if known.
        icons: Icons for display (2025-11-25+).
        annotations: Optional display hints.
        meta: The link's ``_meta``.
    """

    uri: str
    name: str
    title: str | None = None
    description: str | None = None
    mime_type: str | None = None
    size: int | None = None
    icons: list[Icon] | None = None
    annotations: Annotations | None = None
    meta: Meta | None = meta_field()


class EmbeddedResource(WireStruct, frozen=True, kw_only=True, tag_field="type", tag="resource"):
    """A resource embedded in a result or message.

    Attributes:
        resource: The resource's contents.
        annotations: Optional display hints.
        meta: The block's ``_meta``.
    """

    resource: ResourceContents
    annotations: Annotations | None = None
    meta: Meta | None = meta_field()


ContentBlock: TypeAlias = (
    TextContent | ImageContent | AudioContent | ResourceLink | EmbeddedResource
)
"""A block of tool results and prompt messages (tagged on ``type``)."""


class ToolUseContent(WireStruct, frozen=True, kw_only=True, tag_field="type", tag="tool_use"):
    """A model's request to call a tool, inside sampling (2025-11-25+).

    Attributes:
        id: Identifies this tool use; matched by ``ToolResultContent.tool_use_id``.
        name: The tool's name.
        input: The tool's arguments.
        meta: The block's ``_meta``.
    """

    id: str
    name: str
    input: dict[str, Any]
    meta: Meta | None = meta_field()


class ToolResultContent(WireStruct, frozen=True, kw_only=True, tag_field="type", tag="tool_result"):
    """The result of a tool use, inside sampling (2025-11-25+).

    Attributes:
        tool_use_id: The ``id`` of the matching `ToolUseContent`.
        content: The result's content blocks.
        structured_content: Optional structured result.
        is_error: Whether the tool use failed.
        meta: The block's ``_meta``.
    """

    tool_use_id: str
    content: list[ContentBlock]
    structured_content: dict[str, Any] | None = None
    is_error: bool = False
    meta: Meta | None = meta_field()


SamplingContent: TypeAlias = (
    TextContent | ImageContent | AudioContent | ToolUseContent | ToolResultContent
)
"""A block of a sampling message (tagged on ``type``)."""
