# Tools: `tools/list` and `tools/call`.
#
# Schemas (`inputSchema`, `outputSchema`) are plain dicts kept verbatim: JSON Schema
# 2020-12 keywords (`$schema`, `$defs`, `$ref`, `additionalProperties`, ...) must
# survive into `tools/list` untouched.
#
# `CallToolRequestParams.arguments` stays `msgspec.Raw`: the tool component decodes it
# straight into its own argument type with a decoder compiled once at registration,
# so a `tools/call` is one msgspec pass per level (envelope, params, arguments). A bad
# argument is a tool execution error (`isError: true`, SEP-1303), not a protocol error,
# so that decode belongs to the tool layer; this module only checks that `arguments`
# is a JSON object.

"""Tool types: Tool, tools/list and tools/call params and results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

import msgspec

from .common import Cursor, Icon, Meta, WireStruct, meta_field
from .content import ContentBlock

__all__ = (
    "NO_ARGUMENTS",
    "CallToolRequestParams",
    "CallToolResult",
    "ListToolsResult",
    "Tool",
    "ToolAnnotations",
    "ToolExecution",
)

_ARGS_DECODER = msgspec.json.Decoder(dict[str, Any])
_ARGS_ENCODER = msgspec.json.Encoder()
_OPEN_BRACE = ord("{")
_NULL = msgspec.Raw(b"null")

NO_ARGUMENTS: Final[msgspec.Raw] = msgspec.Raw()
"""`CallToolRequestParams.arguments` when the request has none (empty and falsy)."""


class ToolAnnotations(WireStruct, frozen=True, kw_only=True):
    """Hints about a tool's behaviour (2025-03-26+); never trust them for security.

    Attributes:
        title: Display name.
        read_only_hint: The tool does not modify its environment.
        destructive_hint: The tool may perform destructive updates.
        idempotent_hint: Repeating a call with the same arguments has no extra effect.
        open_world_hint: The tool interacts with an open world of external entities.
    """

    title: str | None = None
    read_only_hint: bool | None = None
    destructive_hint: bool | None = None
    idempotent_hint: bool | None = None
    open_world_hint: bool | None = None


class ToolExecution(WireStruct, frozen=True, kw_only=True):
    """Execution properties of a tool (2025-11-25, experimental tasks).

    Attributes:
        task_support: Whether the tool may be run as a task.
    """

    task_support: Literal["forbidden", "optional", "required"] | None = None


class Tool(WireStruct, frozen=True, kw_only=True):
    """A tool the client can call.

    Attributes:
        name: Programmatic name (keep it to 64 characters of ``[A-Za-z0-9_.-]``).
        input_schema: JSON Schema of the arguments (an object schema), verbatim.
        title: Display name (2025-06-18+).
        description: What the tool does, for the model.
        output_schema: JSON Schema of ``structuredContent`` (2025-06-18+).
        annotations: Behaviour hints (2025-03-26+).
        icons: Icons for display (2025-11-25+).
        execution: Task support (2025-11-25, experimental).
        meta: The tool's ``_meta``.
    """

    name: str
    input_schema: dict[str, Any]
    title: str | None = None
    description: str | None = None
    output_schema: dict[str, Any] | None = None
    annotations: ToolAnnotations | None = None
    icons: list[Icon] | None = None
    execution: ToolExecution | None = None
    meta: Meta | None = meta_field()


class ListToolsResult(WireStruct, frozen=True, kw_only=True):
    """Result of ``tools/list``.

    Attributes:
        tools: One page of tools.
        next_cursor: Cursor of the next page, or ``None`` on the last page.
        meta: The result's ``_meta``.
    """

    tools: list[Tool]
    next_cursor: Cursor | None = None
    meta: Meta | None = meta_field()


class CallToolRequestParams(WireStruct, frozen=True, kw_only=True):
    """Params of ``tools/call``.

    Attributes:
        name: The tool to call.
        arguments: The arguments as raw JSON text of an object; `NO_ARGUMENTS` (an
            empty, falsy ``Raw``) when absent or null. Decode them with the tool's own
            decoder, or with `arguments_dict`.
        task: Task augmentation (2025-11-25, experimental), kept verbatim.
        input_responses: MRTR (2026-07-28): the client's answers to the last
            ``InputRequiredResult``, by key.
        request_state: MRTR (2026-07-28): the sealed state of the last
            ``InputRequiredResult``, echoed verbatim.
        meta: The request's ``_meta``; ``progressToken`` asks for progress.
    """

    name: str
    arguments: msgspec.Raw = NO_ARGUMENTS
    task: dict[str, Any] | None = None
    input_responses: dict[str, Any] | None = None
    request_state: str | None = None
    meta: Meta | None = meta_field()

    def __post_init__(self) -> None:
        args = self.arguments
        if args is NO_ARGUMENTS:
            return
        if not args or args == _NULL:
            # Absent, empty or null: normalise to the default so it is omitted on encode.
            msgspec.structs.force_setattr(self, "arguments", NO_ARGUMENTS)
        elif memoryview(args)[0] != _OPEN_BRACE:
            raise ValueError("`arguments` must be a JSON object of argument names to values")

    @classmethod
    def create(
        cls,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        meta: Meta | None = None,
    ) -> CallToolRequestParams:
        """Build params from Python arguments (client side).

        Args:
            name: The tool to call.
            arguments: The arguments; encoded to JSON once, here.
            meta: The request's ``_meta``.

        Returns:
            The params, ready to put in a `jsonrpc.Request`.
        """
        raw = NO_ARGUMENTS
        if arguments is not None:
            plain = arguments if isinstance(arguments, dict) else dict(arguments)
            raw = msgspec.Raw(_ARGS_ENCODER.encode(plain))
        return cls(name=name, arguments=raw, meta=meta)

    def arguments_dict(self) -> dict[str, Any]:
        """Decode the arguments into a dict (``{}`` when absent).

        Returns:
            The arguments as Python values.
        """
        if not self.arguments:
            return {}
        return _ARGS_DECODER.decode(self.arguments)


class CallToolResult(WireStruct, frozen=True, kw_only=True):
    """Result of ``tools/call``.

    A tool that fails reports ``is_error=True`` with the error in ``content``; that
    is a result, not a JSON-RPC error.

    Attributes:
        content: Unstructured result blocks.
        structured_content: Structured result matching the tool's ``outputSchema``
            (2025-06-18+); also send it serialized as text for older clients.
        is_error: Whether the call failed.
        meta: The result's ``_meta``.
    """

    content: list[ContentBlock]
    structured_content: dict[str, Any] | None = None
    is_error: bool = False
    meta: Meta | None = meta_field()
