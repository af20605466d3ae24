# Utility notifications sent by either side: cancellation and progress.
# Notifications that carry only `_meta` (initialized, */list_changed) use
# `common.NotificationParams`; area-specific ones live with their area
# (resources/updated, message, elicitation/complete).

"""Cancellation and progress notification params."""

from __future__ import annotations

from .common import Meta, ProgressToken, WireStruct, meta_field

__all__ = ("CancelledNotificationParams", "ProgressNotificationParams")


class CancelledNotificationParams(WireStruct, frozen=True, kw_only=True):
    """Params of ``notifications/cancelled``.

    Attributes:
        request_id: The id of the request to cancel. Required before 2025-11-25;
            optional there (task cancellation uses ``tasks/cancel`` instead).
        reason: Why, for logs.
        meta: The notification's ``_meta``.
    """

    request_id: str | int | None = None
    reason: str | None = None
    meta: Meta | None = meta_field()


class ProgressNotificationParams(WireStruct, frozen=True, kw_only=True):
    """Params of ``notifications/progress``.

    Attributes:
        progress_token: The token from the request's ``_meta.progressToken``.
        progress: Progress so far; must increase with every notification.
        total: The total, if known.
        message: A human-readable status (2025-03-26+).
        meta: The notification's ``_meta``.
    """

    progress_token: ProgressToken
    progress: float
    total: float | None = None
    message: str | None = None
    meta: Meta | None = meta_field()
