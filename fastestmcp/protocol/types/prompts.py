# Prompts: `prompts/list` and `prompts/get`.

"""Prompt types: Prompt, PromptArgument, PromptMessage and the prompts/* params and results."""

from __future__ import annotations

from typing import Any

from .common import Cursor, Icon, Meta, Role, WireStruct, meta_field
from .content import ContentBlock

__all__ = (
    "GetPromptRequestParams",
    "GetPromptResult",
    "ListPromptsResult",
    "Prompt",
    "PromptArgument",
    "PromptMessage",
)


class PromptArgument(WireStruct, frozen=True, kw_only=True):
    """An argument a prompt accepts.

    Attributes:
        name: Programmatic name.
        title: Display name (2025-06-18+).
        description: What the argument is.
        required: Whether it must be given.
    """

    name: str
    title: str | None = None
    description: str | None = None
    required: bool | None = None


class Prompt(WireStruct, frozen=True, kw_only=True):
    """A prompt or prompt template the server offers.

    Attributes:
        name: Programmatic name.
        title: Display name (2025-06-18+).
        description: What the prompt provides.
        arguments: The arguments it accepts.
        icons: Icons for display (2025-11-25+).
        meta: The prompt's ``_meta``.
    """

    name: str
    title: str | None = None
    description: str | None = None
    arguments: list[PromptArgument] | None = None
    icons: list[Icon] | None = None
    meta: Meta | None = meta_field()


class ListPromptsResult(WireStruct, frozen=True, kw_only=True):
    """Result of ``prompts/list``.

    Attributes:
        prompts: One page of prompts.
        next_cursor: Cursor of the next page, or ``None`` on the last page.
        meta: The result's ``_meta``.
    """

    prompts: list[Prompt]
    next_cursor: Cursor | None = None
    meta: Meta | None = meta_field()


class GetPromptRequestParams(WireStruct, frozen=True, kw_only=True):
    """Params of ``prompts/get``.

    Attributes:
        name: The prompt to render.
        arguments: String values of the prompt's arguments.
        input_responses: MRTR (2026-07-28): the client's answers to the last
            ``InputRequiredResult``, by key.
        request_state: MRTR (2026-07-28): the sealed state of the last
            ``InputRequiredResult``, echoed verbatim.
        meta: The request's ``_meta``.
    """

    name: str
    arguments: dict[str, str] | None = None
    input_responses: dict[str, Any] | None = None
    request_state: str | None = None
    meta: Meta | None = meta_field()


class PromptMessage(WireStruct, frozen=True, kw_only=True):
    """One message of a rendered prompt.

    Attributes:
        role: Who speaks.
        content: The message's content block.
    """

    role: Role
    content: ContentBlock


class GetPromptResult(WireStruct, frozen=True, kw_only=True):
    """Result of ``prompts/get``.

    Attributes:
        messages: The rendered messages.
        description: A description of the prompt.
        meta: The result's ``_meta``.
    """

    messages: list[PromptMessage]
    description: str | None = None
    meta: Meta | None = meta_field()
