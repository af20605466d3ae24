# Argument completion: `completion/complete` (capability `completions`, 2025-03-26+;
# the method itself exists since 2024-11-05).
#
# The reference is a tagged union on `type`: "ref/prompt" | "ref/resource".

"""Completion types: references, completion/complete params and result."""

from __future__ import annotations

from typing import Annotated, TypeAlias

import msgspec

from .common import Meta, WireStruct, meta_field

__all__ = (
    "MAX_COMPLETION_VALUES",
    "CompleteRequestParams",
    "CompleteResult",
    "Completion",
    "CompletionArgument",
    "CompletionContext",
    "CompletionReference",
    "PromptReference",
    "ResourceTemplateReference",
)

MAX_COMPLETION_VALUES = 100
"""The spec's limit on ``completion.values``."""


class PromptReference(WireStruct, frozen=True, kw_only=True, tag_field="type", tag="ref/prompt"):
    """Refers to a prompt by name.

    Attributes:
        name: The prompt's name.
        title: Display name (2025-06-18+).
    """

    name: str
    title: str | None = None


class ResourceTemplateReference(
    WireStruct, frozen=True, kw_only=True, tag_field="type", tag="ref/resource"
):
    """Refers to a resource template (or resource) by URI.

    Attributes:
        uri: The URI or URI template.
    """

    uri: str


CompletionReference: TypeAlias = PromptReference | ResourceTemplateReference
"""What is being completed (tagged on ``type``)."""


class CompletionArgument(WireStruct, frozen=True, kw_only=True):
    """The argument being completed.

    Attributes:
        name: The argument's name.
        value: What the user has typed so far.
    """

    name: str
    value: str


class CompletionContext(WireStruct, frozen=True, kw_only=True):
    """Context for a completion (2025-06-18+).

    Attributes:
        arguments: Values of arguments already resolved.
    """

    arguments: dict[str, str] | None = None


class CompleteRequestParams(WireStruct, frozen=True, kw_only=True):
    """Params of ``completion/complete``.

    Attributes:
        ref: The prompt or resource template.
        argument: The argument being completed.
        context: Already-resolved arguments (2025-06-18+).
        meta: The request's ``_meta``.
    """

    ref: CompletionReference
    argument: CompletionArgument
    context: CompletionContext | None = None
    meta: Meta | None = meta_field()


class Completion(WireStruct, frozen=True, kw_only=True):
    """Completion values.

    Attributes:
        values: At most 100 suggestions.
        total: How many suggestions exist in all, if known.
        has_more: Whether more exist than ``values`` holds.
    """

    values: Annotated[list[str], msgspec.Meta(max_length=MAX_COMPLETION_VALUES)]
    total: int | None = None
    has_more: bool | None = None


class CompleteResult(WireStruct, frozen=True, kw_only=True):
    """Result of ``completion/complete``.

    Attributes:
        completion: The suggestions.
        meta: The result's ``_meta``.
    """

    completion: Completion
    meta: Meta | None = meta_field()
