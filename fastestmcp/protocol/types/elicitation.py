# Elicitation: `elicitation/create`, a server-to-client request (client capability
# `elicitation`, 2025-06-18+), and `notifications/elicitation/complete` (2025-11-25).
#
# Two modes share one method:
#   form (2025-06-18+): `requestedSchema`, a flat object schema of primitive fields;
#         `mode` may be omitted (and is, for 2025-06-18 clients).
#   url  (2025-11-25+): `mode: "url"`, `url` and `elicitationId`; the user completes the
#         interaction out of band.
# The schema's two param types are untagged when `mode` is omitted, so they are one
# Struct here, `ElicitRequestParams`, validated on construction and on decode; build
# them with `ElicitRequestParams.form(...)` or `ElicitRequestParams.url_mode(...)`.
#
# `requestedSchema` stays a dict: its primitive schemas (string, number, boolean and
# the five enum forms of SEP-1330) are untagged JSON Schema and must reach the client
# verbatim.

"""Elicitation types: elicitation/create params and result, completion notification."""

from __future__ import annotations

from typing import Any, Literal

from .common import Meta, WireStruct, meta_field

__all__ = (
    "ElicitRequestParams",
    "ElicitResult",
    "ElicitationCompleteNotificationParams",
)

ElicitValue = str | int | float | bool | list[str]


class ElicitRequestParams(WireStruct, frozen=True, kw_only=True):
    """Params of ``elicitation/create``, in form or URL mode.

    Attributes:
        message: What the user is asked, shown to them.
        requested_schema: Form mode: an object schema of primitive fields.
        mode: ``"url"`` for URL mode; ``"form"`` or ``None`` for form mode.
        url: URL mode: the URL the user should open.
        elicitation_id: URL mode: identifies the elicitation in the completion
            notification.
        task: Task augmentation (2025-11-25, experimental), kept verbatim.
        meta: The request's ``_meta``.
    """

    message: str
    requested_schema: dict[str, Any] | None = None
    mode: Literal["form", "url"] | None = None
    url: str | None = None
    elicitation_id: str | None = None
    task: dict[str, Any] | None = None
    meta: Meta | None = meta_field()

    def __post_init__(self) -> None:
        if self.mode == "url":
            if self.url is None or self.elicitation_id is None:
                raise ValueError(
                    'URL-mode elicitation needs `url` and `elicitationId` (mode is "url")'
                )
        elif self.requested_schema is None:
            raise ValueError(
                "form-mode elicitation needs `requestedSchema` (an object schema of "
                'primitive fields); for URL mode set mode to "url"'
            )

    @property
    def is_url_mode(self) -> bool:
        """Whether this is a URL-mode elicitation."""
        return self.mode == "url"

    @classmethod
    def form(
        cls,
        message: str,
        requested_schema: dict[str, Any],
        *,
        explicit_mode: bool = False,
        meta: Meta | None = None,
    ) -> ElicitRequestParams:
        """Build form-mode params.

        Args:
            message: What the user is asked.
            requested_schema: An object schema of primitive fields.
            explicit_mode: Send ``mode: "form"`` (only 2025-11-25+ clients expect it;
                it is optional there too).
            meta: The request's ``_meta``.

        Returns:
            The params.
        """
        return cls(
            message=message,
            requested_schema=requested_schema,
            mode="form" if explicit_mode else None,
            meta=meta,
        )

    @classmethod
    def url_mode(
        cls,
        message: str,
        url: str,
        elicitation_id: str,
        *,
        meta: Meta | None = None,
    ) -> ElicitRequestParams:
        """Build URL-mode params (2025-11-25+; client capability ``elicitation.url``).

        Args:
            message: Why the user should open the URL.
            url: The URL.
            elicitation_id: Identifies this elicitation.
            meta: The request's ``_meta``.

        Returns:
            The params.
        """
        return cls(message=message, mode="url", url=url, elicitation_id=elicitation_id, meta=meta)


class ElicitResult(WireStruct, frozen=True, kw_only=True):
    """Result of ``elicitation/create``.

    Attributes:
        action: ``"accept"`` (content given), ``"decline"`` or ``"cancel"``.
        content: Form mode, on accept: the values, keyed by field name.
        meta: The result's ``_meta``.
    """

    action: Literal["accept", "decline", "cancel"]
    content: dict[str, ElicitValue] | None = None
    meta: Meta | None = meta_field()


class ElicitationCompleteNotificationParams(WireStruct, frozen=True, kw_only=True):
    """Params of ``notifications/elicitation/complete`` (2025-11-25, URL mode).

    Attributes:
        elicitation_id: The ``elicitationId`` of the finished elicitation.
        meta: The notification's ``_meta``.
    """

    elicitation_id: str
    meta: Meta | None = meta_field()
