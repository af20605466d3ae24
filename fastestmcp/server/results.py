# Handler return values -> protocol results. Pure functions, no IO.
#
# Rules of this module:
#   * Explicit result types over key sniffing: a dict is data, never a disguised result
#     envelope. To control the whole result, return the protocol's `CallToolResult`,
#     `ReadResourceResult` or `GetPromptResult`, or the helpers `ToolResult`, `Message`.
#   * Binary data is base64 on the wire (`Image`, `Audio`, `File`, bytes).
#   * `structuredContent` is always a JSON object: non-object results are wrapped as
#     `{"result": value}` when the tool's output schema says so (`OutputSchema.wrapped`).
#
# Tools (`tool_result`), in this order:
#   CallToolResult                 passed through unchanged
#   ToolResult                     its content normalised; text derived from structured
#   None                           no content
#   a content item                 one block: TextContent, ImageContent, AudioContent,
#                                  ResourceLink, EmbeddedResource, ResourceContents
#                                  (embedded), Image, Audio, File
#   list/tuple with a content item one block per item (str -> text, data -> JSON text)
#   str                            one text block
#   bytes                          one embedded binary resource, as `File(data)`
#   anything else (data)           one text block of its JSON, and `structuredContent`:
#                                  objects as they are, other values wrapped when the
#                                  output schema is a wrapped one
# Exceptions (`tool_error_result`): ToolError and ArgumentValidationError -> their
# message; anything else -> "Error calling tool 'x': <exc>", or without the detail when
# the server masks error details.
#
# Resources (`resource_result`): ReadResourceResult passed through; ResourceContents
# kept; str -> text (default text/plain); bytes -> blob (default application/octet-stream,
# but text when the MIME type is textual and the bytes are UTF-8); Image/Audio/File ->
# blob with their MIME type; a non-empty list of ResourceContents, bytes, Image, Audio or
# File -> several contents; other data, including other lists -> JSON text
# (application/json).
#
# Prompts (`prompt_result`): GetPromptResult passed through; str -> one user text message;
# Message/PromptMessage kept; a content item -> one user message; a list of these -> the
# messages in order. Anything else is a TypeError (a bug in the prompt).

"""Normalise handler return values into MCP results: tools, resources, prompts, completions."""

from __future__ import annotations

import binascii
import mimetypes
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Final, Self, TypeAlias

import msgspec

from fastestmcp.protocol import types as wire
from fastestmcp.server.errors import ArgumentValidationError, OutputSchemaError, ToolError
from fastestmcp.server.jsonschema import SchemaValidator

__all__ = (
    "CONTENT_TYPES",
    "WRAP_RESULT_KEY",
    "Audio",
    "File",
    "Image",
    "Message",
    "OutputSchema",
    "ToolResult",
    "completion_result",
    "prompt_result",
    "resource_result",
    "to_content_blocks",
    "tool_error_result",
    "tool_result",
)

WRAP_RESULT_KEY: Final = "x-fastestmcp-wrap-result"
"""Marker of an output schema whose non-object result is sent as ``{"result": value}``."""

_TEXT_MIME: Final = "text/plain"
_JSON_MIME: Final = "application/json"
_BINARY_MIME: Final = "application/octet-stream"
_TEXTUAL_SUFFIXES: Final = ("+json", "+xml", "/json", "/xml", "/javascript", "/yaml", "/x-yaml")

_encode_json = msgspec.json.Encoder(enc_hook=str).encode


def _b64(data: bytes | bytearray | memoryview) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def _is_textual(mime_type: str) -> bool:
    mime = mime_type.split(";", 1)[0].strip().lower()
    return mime.startswith("text/") or mime.endswith(_TEXTUAL_SUFFIXES)


def _guess_mime(path: Path, fallback: str) -> str:
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or fallback


# --------------------------------------------------------------------------------------------
# Helpers handlers return


class _Media:
    """What `Image` and `Audio` share: read from a file, and the base64 wire block."""

    __slots__ = ()
    _DEFAULT_MIME: ClassVar[str]
    _WIRE: ClassVar[type[wire.ImageContent] | type[wire.AudioContent]]
    data: bytes
    mime_type: str
    annotations: wire.Annotations | None
    meta: dict[str, Any] | None

    @classmethod
    def from_file(cls, path: str | Path, mime_type: str | None = None) -> Self:
        """Read the file now (in the handler, where blocking IO belongs).

        Args:
            path: The file.
            mime_type: Its MIME type; guessed from the file name when omitted.

        Returns:
            The image or audio.
        """
        p = Path(path)
        return cls(p.read_bytes(), mime_type or _guess_mime(p, cls._DEFAULT_MIME))  # type: ignore[call-arg]

    def to_content(self) -> wire.ImageContent | wire.AudioContent:
        """Return the wire content block."""
        return self._WIRE(
            data=_b64(self.data),
            mime_type=self.mime_type,
            annotations=self.annotations,
            meta=self.meta,
        )


@dataclass(frozen=True, slots=True)
class Image(_Media):
    """An image a tool returns, or puts in a prompt message; base64 on the wire.

    Args:
        data: The image bytes.
        mime_type: Its MIME type.
        annotations: Display hints.
        meta: The block's ``_meta``.
    """

    _DEFAULT_MIME: ClassVar[str] = "image/png"
    _WIRE: ClassVar[type[wire.ImageContent]] = wire.ImageContent
    data: bytes
    mime_type: str = "image/png"
    annotations: wire.Annotations | None = None
    meta: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Audio(_Media):
    """Audio a tool returns, or puts in a prompt message; base64 on the wire.

    Args:
        data: The audio bytes.
        mime_type: Its MIME type.
        annotations: Display hints.
        meta: The block's ``_meta``.
    """

    _DEFAULT_MIME: ClassVar[str] = "audio/wav"
    _WIRE: ClassVar[type[wire.AudioContent]] = wire.AudioContent
    data: bytes
    mime_type: str = "audio/wav"
    annotations: wire.Annotations | None = None
    meta: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class File:
    """A file a tool returns as an embedded resource (or a resource returns as contents).

    The bytes travel as a base64 ``blob``, or as ``text`` when the MIME type is textual
    (``text/*``, JSON, XML, YAML, JavaScript) and the bytes are UTF-8.

    Args:
        data: The file's bytes.
        mime_type: Its MIME type.
        name: Its name; gives the default URI ``file:///<name>``.
        uri: The URI of the embedded resource; by default from ``name``.
        annotations: Display hints.
        meta: The contents' ``_meta``.
    """

    data: bytes
    mime_type: str = _BINARY_MIME
    name: str | None = None
    uri: str | None = None
    annotations: wire.Annotations | None = None
    meta: dict[str, Any] | None = None

    @classmethod
    def from_file(cls, path: str | Path, mime_type: str | None = None) -> File:
        """Read a file now (in the handler, where blocking IO belongs).

        Args:
            path: The file.
            mime_type: Its MIME type; guessed from the file name when omitted.

        Returns:
            The file, named after ``path``.
        """
        p = Path(path)
        return cls(p.read_bytes(), mime_type or _guess_mime(p, _BINARY_MIME), name=p.name)

    def resource_uri(self) -> str:
        """The URI the file is embedded under."""
        if self.uri is not None:
            return self.uri
        return f"file:///{self.name or 'data'}"

    def to_resource_contents(self, uri: str | None = None) -> wire.ResourceContents:
        """Return the file as resource contents.

        Args:
            uri: The URI to use instead of `resource_uri`.

        Returns:
            Text or blob contents, with the file's MIME type.
        """
        return _bytes_contents(self.data, uri or self.resource_uri(), self.mime_type, self.meta)

    def to_content(self) -> wire.EmbeddedResource:
        """Return the wire content block (an embedded resource)."""
        return wire.EmbeddedResource(
            resource=self.to_resource_contents(), annotations=self.annotations
        )


ContentItem: TypeAlias = (
    wire.TextContent
    | wire.ImageContent
    | wire.AudioContent
    | wire.ResourceLink
    | wire.EmbeddedResource
    | wire.ResourceContents
    | Image
    | Audio
    | File
)
"""Anything that is one content block by itself."""

_BLOCK_TYPES: Final = (
    wire.TextContent,
    wire.ImageContent,
    wire.AudioContent,
    wire.ResourceLink,
    wire.EmbeddedResource,
)
_HELPER_TYPES: Final = (Image, Audio, File)
_ITEM_TYPES: Final = (*_BLOCK_TYPES, wire.ResourceContents, *_HELPER_TYPES)


@dataclass(frozen=True, slots=True)
class ToolResult:
    """A tool result spelled out: content, structured content and ``_meta``.

    Args:
        content: What `tool_result` accepts as unstructured content (str, a content item,
            a list of them...). When ``None``, the text is the JSON of ``structured_content``.
        structured_content: The structured result (a JSON object).
        meta: The result's ``_meta``.
        is_error: Whether the call failed.
    """

    content: Any = None
    structured_content: Mapping[str, Any] | None = None
    meta: Mapping[str, Any] | None = None
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a rendered prompt.

    Args:
        content: A str (text) or a content item (`Image`, `Audio`, `File`, a wire block).
        role: ``"user"`` or ``"assistant"``.
    """

    content: str | ContentItem
    role: wire.Role = "user"

    def to_wire(self) -> wire.PromptMessage:
        """Return the wire prompt message."""
        content = self.content
        block = wire.TextContent(text=content) if isinstance(content, str) else _block(content)
        return wire.PromptMessage(role=self.role, content=block)


CONTENT_TYPES: Final[tuple[type, ...]] = (
    *_ITEM_TYPES,
    ToolResult,
    Message,
    wire.CallToolResult,
    wire.PromptMessage,
    wire.ReadResourceResult,
    wire.GetPromptResult,
)
"""Types that are results or content themselves: a return annotation that involves one of
them gets no inferred output schema."""


# --------------------------------------------------------------------------------------------
# Tools


@dataclass(frozen=True, slots=True)
class OutputSchema:
    """A tool's output schema, as published, and how results are fitted to it.

    Args:
        schema: The schema published as ``outputSchema`` (a JSON object schema).
        wrapped: Whether results are sent as ``{"result": value}`` (the schema carries the
            ``x-fastestmcp-wrap-result`` marker).
        validator: The compiled schema, when results are validated against it (explicit
            schemas); ``None`` when the schema was inferred from the return annotation.
    """

    schema: dict[str, Any]
    wrapped: bool = False
    validator: SchemaValidator | None = None


def _block(item: ContentItem) -> wire.ContentBlock:
    if isinstance(item, _BLOCK_TYPES):
        return item
    if isinstance(item, wire.ResourceContents):
        return wire.EmbeddedResource(resource=item)
    return item.to_content()


def _data_text(value: Any) -> tuple[Any, str]:
    builtins = msgspec.to_builtins(value, enc_hook=str, str_keys=True)
    return builtins, _encode_json(builtins).decode()


def _item_blocks(value: Any) -> list[wire.ContentBlock]:
    if isinstance(value, _ITEM_TYPES):
        return [_block(value)]
    if isinstance(value, str):
        return [wire.TextContent(text=value)]
    if isinstance(value, bytes | bytearray | memoryview):
        return [File(bytes(value)).to_content()]
    if value is None:
        return []
    return [wire.TextContent(text=_data_text(value)[1])]


def _has_item(value: list[Any] | tuple[Any, ...]) -> bool:
    return any(isinstance(item, _ITEM_TYPES) for item in value)


def to_content_blocks(value: Any) -> list[wire.ContentBlock]:
    """Turn a value into content blocks (the unstructured part of a tool result).

    Args:
        value: None, str, bytes, a content item, a list mixing them, or JSON data.

    Returns:
        The blocks: none for None; one per item of a list that holds a content item;
        otherwise one.
    """
    if isinstance(value, list | tuple) and _has_item(value):
        blocks: list[wire.ContentBlock] = []
        for item in value:
            blocks.extend(_item_blocks(item))
        return blocks
    return _item_blocks(value)


def tool_result(value: Any, output: OutputSchema | None = None) -> wire.CallToolResult:
    """Normalise what a tool returned into a ``CallToolResult`` (rules at the top of this module).

    Args:
        value: The handler's return value.
        output: The tool's output schema, if it has one.

    Returns:
        The result.

    Raises:
        OutputSchemaError: The tool has an explicit output schema and the structured
            content is missing or does not validate.
    """
    structured: dict[str, Any] | None
    if isinstance(value, str):  # the most common return first (no other branch takes a str)
        structured = {"result": value} if output and output.wrapped else None
        result = wire.CallToolResult(
            content=[wire.TextContent(text=value)], structured_content=structured
        )
    elif isinstance(value, wire.CallToolResult):
        result = value
    elif isinstance(value, ToolResult):
        result = _explicit_tool_result(value)
    elif value is None:
        result = wire.CallToolResult(
            content=[],
            structured_content={"result": None} if output and output.wrapped else None,
        )
    elif isinstance(value, _ITEM_TYPES) or (isinstance(value, list | tuple) and _has_item(value)):
        result = wire.CallToolResult(content=to_content_blocks(value))
    elif isinstance(value, bytes | bytearray | memoryview):
        result = wire.CallToolResult(content=[File(bytes(value)).to_content()])
    else:
        builtins, text = _data_text(value)
        if output is not None and output.wrapped:
            structured = {"result": builtins}
        elif isinstance(builtins, dict):
            structured = builtins
        else:
            structured = None
        result = wire.CallToolResult(
            content=[wire.TextContent(text=text)], structured_content=structured
        )
    if output is not None and output.validator is not None and not result.is_error:
        _check_output(result, output.validator)
    return result


def _explicit_tool_result(value: ToolResult) -> wire.CallToolResult:
    structured = None
    if value.structured_content is not None:
        structured = msgspec.to_builtins(value.structured_content, enc_hook=str, str_keys=True)
        if not isinstance(structured, dict):
            raise TypeError(
                "ToolResult.structured_content must be a JSON object (a mapping), got "
                f"{type(value.structured_content).__name__}"
            )
    if value.content is None and structured is not None:
        content: list[wire.ContentBlock] = [
            wire.TextContent(text=_encode_json(structured).decode())
        ]
    else:
        content = to_content_blocks(value.content)
    return wire.CallToolResult(
        content=content,
        structured_content=structured,
        is_error=value.is_error,
        meta=dict(value.meta) if value.meta is not None else None,
    )


def _check_output(result: wire.CallToolResult, validator: SchemaValidator) -> None:
    if result.structured_content is None:
        raise OutputSchemaError(
            "the tool declares an output schema but returned no structured content; "
            "return a value matching the schema (or a ToolResult with structured_content)"
        )
    try:
        validator.validate(result.structured_content)
    except ArgumentValidationError as exc:
        raise OutputSchemaError(
            "the tool returned structured content that does not match its output schema "
            f"at {exc.path}: {exc.detail}"
        ) from None


def tool_error_result(
    exc: BaseException, *, tool: str, mask_error_details: bool = False
) -> wire.CallToolResult:
    """Turn an exception raised by a tool (or its argument binding) into an error result.

    Args:
        exc: The exception.
        tool: The tool's name, for the message.
        mask_error_details: Hide the text of unexpected exceptions (`ToolError` and
            argument validation errors are always shown: they are meant for the client).

    Returns:
        A ``CallToolResult`` with ``isError`` true and one text block.
    """
    if isinstance(exc, ToolError | ArgumentValidationError):
        text = str(exc)
    elif mask_error_details:
        text = f"Error calling tool {tool!r}"
    else:
        text = f"Error calling tool {tool!r}: {exc}"
    return wire.CallToolResult(content=[wire.TextContent(text=text)], is_error=True)


# --------------------------------------------------------------------------------------------
# Resources


def _bytes_contents(
    data: bytes | bytearray | memoryview,
    uri: str,
    mime_type: str | None,
    meta: dict[str, Any] | None = None,
) -> wire.ResourceContents:
    mime = mime_type or _BINARY_MIME
    if _is_textual(mime):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return wire.ResourceContents(uri=uri, mime_type=mime, text=text, meta=meta)
    return wire.ResourceContents(uri=uri, mime_type=mime, blob=_b64(data), meta=meta)


def _resource_item(value: Any, uri: str, mime_type: str | None) -> wire.ResourceContents:
    if isinstance(value, wire.ResourceContents):
        return value
    if isinstance(value, str):
        return wire.ResourceContents(uri=uri, mime_type=mime_type or _TEXT_MIME, text=value)
    if isinstance(value, bytes | bytearray | memoryview):
        return _bytes_contents(value, uri, mime_type)
    if isinstance(value, File):
        return value.to_resource_contents(uri if value.uri is None else None)
    if isinstance(value, Image | Audio):
        return _bytes_contents(value.data, uri, value.mime_type, value.meta)
    return wire.ResourceContents(
        uri=uri, mime_type=mime_type or _JSON_MIME, text=_data_text(value)[1]
    )


_RESOURCE_ITEMS: Final = (wire.ResourceContents, File, Image, Audio, bytes, bytearray, memoryview)


def resource_result(
    value: Any, *, uri: str, mime_type: str | None = None
) -> wire.ReadResourceResult:
    """Normalise what a resource handler returned into a ``ReadResourceResult``.

    Args:
        value: The handler's return value (rules at the top of this module).
        uri: The URI that was read (of the resource, or the one matched by a template).
        mime_type: The component's declared MIME type, the default for its contents.

    Returns:
        The result.
    """
    if isinstance(value, wire.ReadResourceResult):
        return value
    if (
        isinstance(value, list | tuple)
        and value
        and all(isinstance(item, _RESOURCE_ITEMS) for item in value)
    ):
        return wire.ReadResourceResult(
            contents=[_resource_item(item, uri, mime_type) for item in value]
        )
    return wire.ReadResourceResult(contents=[_resource_item(value, uri, mime_type)])


# --------------------------------------------------------------------------------------------
# Prompts


def _prompt_message(item: Any) -> wire.PromptMessage:
    if isinstance(item, wire.PromptMessage):
        return item
    if isinstance(item, Message):
        return item.to_wire()
    if isinstance(item, str):
        return wire.PromptMessage(role="user", content=wire.TextContent(text=item))
    if isinstance(item, _ITEM_TYPES):
        return wire.PromptMessage(role="user", content=_block(item))
    raise TypeError(
        f"a prompt returned a {type(item).__name__}; return a str, a Message, a "
        "PromptMessage, a content item (Image, Audio, File...), a list of these, or a "
        "GetPromptResult"
    )


def prompt_result(value: Any, *, description: str | None = None) -> wire.GetPromptResult:
    """Normalise what a prompt handler returned into a ``GetPromptResult``.

    Args:
        value: The handler's return value (rules at the top of this module).
        description: The prompt's description, sent with the result.

    Returns:
        The result.

    Raises:
        TypeError: The value is not something a prompt can return.
    """
    if isinstance(value, wire.GetPromptResult):
        return value
    if isinstance(value, list | tuple):
        messages = [_prompt_message(item) for item in value]
    else:
        messages = [_prompt_message(value)]
    return wire.GetPromptResult(messages=messages, description=description)


# --------------------------------------------------------------------------------------------
# Completions


def completion_result(values: wire.Completion | Iterable[str]) -> wire.Completion:
    """Normalise suggestions into a ``Completion`` (at most 100 values, with total/hasMore).

    Args:
        values: A ``Completion`` (passed through) or the suggestions, best first.

    Returns:
        The completion: the first 100 values, the total count, and whether more exist.

    Raises:
        TypeError: A suggestion is not a str.
    """
    if isinstance(values, wire.Completion):
        return values
    if isinstance(values, str):
        raise TypeError("completion suggestions must be an iterable of str, not one str")
    everything = list(values)
    for item in everything:
        if not isinstance(item, str):
            raise TypeError(f"completion suggestions must be str, got {type(item).__name__}")
    limit = wire.MAX_COMPLETION_VALUES
    return wire.Completion(
        values=everything[:limit], total=len(everything), has_more=len(everything) > limit
    )
