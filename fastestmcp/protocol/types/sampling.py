# Sampling: `sampling/createMessage`, a server-to-client request (client capability
# `sampling`). 2025-11-25 adds tool use (`tools`, `toolChoice`, `tool_use` and
# `tool_result` blocks) and lets `content` be a list of blocks.

"""Sampling types: sampling/createMessage params and result."""

from __future__ import annotations

from typing import Any, Literal

from .common import Meta, Role, UnitInterval, WireStruct, meta_field
from .content import SamplingContent
from .tools import Tool

__all__ = (
    "CreateMessageRequestParams",
    "CreateMessageResult",
    "ModelHint",
    "ModelPreferences",
    "SamplingMessage",
    "ToolChoice",
)


class ModelHint(WireStruct, frozen=True, kw_only=True):
    """A hint for model selection.

    Attributes:
        name: A full or partial model name, e.g. ``"claude-3-5-sonnet"`` or ``"sonnet"``.
    """

    name: str | None = None


class ModelPreferences(WireStruct, frozen=True, kw_only=True):
    """The server's preferences for model selection; the client decides.

    Attributes:
        hints: Model name hints, in order of preference.
        cost_priority: 0 to 1, how much cost matters.
        speed_priority: 0 to 1, how much latency matters.
        intelligence_priority: 0 to 1, how much capability matters.
    """

    hints: list[ModelHint] | None = None
    cost_priority: UnitInterval | None = None
    speed_priority: UnitInterval | None = None
    intelligence_priority: UnitInterval | None = None


class SamplingMessage(WireStruct, frozen=True, kw_only=True):
    """One message of a sampling conversation.

    Attributes:
        role: Who speaks.
        content: One block, or a list of blocks (2025-11-25+).
        meta: The message's ``_meta`` (2025-11-25+).
    """

    role: Role
    content: SamplingContent | list[SamplingContent]
    meta: Meta | None = meta_field()


class ToolChoice(WireStruct, frozen=True, kw_only=True):
    """How the model may use the offered tools (2025-11-25+).

    Attributes:
        mode: ``"auto"`` (default), ``"required"`` or ``"none"``.
    """

    mode: Literal["auto", "required", "none"] | None = None


class CreateMessageRequestParams(WireStruct, frozen=True, kw_only=True):
    """Params of ``sampling/createMessage``.

    Attributes:
        messages: The conversation.
        max_tokens: The most tokens to sample.
        system_prompt: An optional system prompt.
        include_context: Which MCP context to include (``thisServer``/``allServers``
            are soft-deprecated in 2025-11-25).
        temperature: Sampling temperature.
        stop_sequences: Sequences that stop sampling.
        metadata: Provider-specific metadata, passed through.
        model_preferences: Model selection preferences.
        tools: Tools the model may use (2025-11-25+; client capability
            ``sampling.tools``).
        tool_choice: How the model may use them (2025-11-25+).
        task: Task augmentation (2025-11-25, experimental), kept verbatim.
        meta: The request's ``_meta``.
    """

    messages: list[SamplingMessage]
    max_tokens: int
    system_prompt: str | None = None
    include_context: Literal["none", "thisServer", "allServers"] | None = None
    temperature: float | None = None
    stop_sequences: list[str] | None = None
    metadata: dict[str, Any] | None = None
    model_preferences: ModelPreferences | None = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    task: dict[str, Any] | None = None
    meta: Meta | None = meta_field()


class CreateMessageResult(WireStruct, frozen=True, kw_only=True):
    """Result of ``sampling/createMessage``.

    Attributes:
        role: Who spoke (normally ``"assistant"``).
        content: One block, or a list of blocks (2025-11-25+).
        model: The model that was used.
        stop_reason: Why sampling stopped, e.g. ``"endTurn"``, ``"maxTokens"``,
            ``"stopSequence"`` or ``"toolUse"``.
        meta: The result's ``_meta``.
    """

    role: Role
    content: SamplingContent | list[SamplingContent]
    model: str
    stop_reason: str | None = None
    meta: Meta | None = meta_field()
