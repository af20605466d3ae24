# Opaque pagination cursors for the MCP list methods (tools/list, prompts/list,
# resources/list, resources/templates/list, and any other list a server pages).
#
# A cursor is URL-safe base64, without padding, of
#
#     msgpack([version, offset, scope]) + HMAC-SHA256(key, that msgpack)[:8]
#
# - ``version`` (1) lets a later release change the format and still say clearly why an
#   old cursor is refused;
# - ``offset`` is the index of the first item of the next page;
# - ``scope`` names the list the cursor belongs to (usually the method name, optionally
#   with a session or owner), so a cursor from ``tools/list`` is refused by ``prompts/list``;
# - the 8-byte HMAC makes any edit, truncation or made-up cursor fail, and is checked
#   before anything else in the cursor is parsed.
#
# The key is the caller's, or a random one made once per process: cursors then stop working
# when the process restarts, and are not shared between worker processes (pass the same
# ``key`` everywhere to change that). Cursors are signed, not encrypted: whoever holds one can
# read its offset and scope, so a scope must not hold secrets.
#
# Rules of this module: no IO, no threads; pure functions. Every failure to read a cursor is
# an `InvalidCursor` (JSON-RPC -32602, invalid params) that says what was wrong; nothing else
# escapes `decode_cursor`, whatever string it is given.
"""Opaque, scope-bound, tamper-evident pagination cursors for MCP list methods."""

from __future__ import annotations

import binascii
import hmac
import re
import secrets
from collections.abc import Sequence
from typing import Final, TypeVar

import msgspec

from fastestmcp.protocol.errors import InvalidParams

__all__ = (
    "CURSOR_VERSION",
    "InvalidCursor",
    "decode_cursor",
    "encode_cursor",
    "paginate",
)

T = TypeVar("T")

CURSOR_VERSION: Final = 1
"""The version written into every cursor; cursors of other versions are refused."""

_MAC_SIZE: Final = 8
_MIN_KEY_SIZE: Final = 16
_MAX_SCOPE_BYTES: Final = 256
_MAX_OFFSET: Final = 2**63 - 1
# Longest cursor we can issue (256-byte scope) is about 370 characters.
_MAX_CURSOR_LENGTH: Final = 512
_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]*")
_PROCESS_KEY: Final = secrets.token_bytes(32)
_TO_URLSAFE: Final = str.maketrans({"+": "-", "/": "_", "=": None})
_FROM_URLSAFE: Final = bytes.maketrans(b"-_", b"+/")

_encode_body = msgspec.msgpack.Encoder().encode
_decode_body = msgspec.msgpack.Decoder(tuple[int, int, str]).decode


class InvalidCursor(InvalidParams):
    """A cursor that this server did not issue for this list, or can no longer read.

    It is an `InvalidParams` (JSON-RPC -32602): the server answers the list request with it.
    The message says what was wrong and that the client should start again from the first
    page, without a cursor.

    Args:
        reason: What is wrong with the cursor.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"Invalid cursor: {reason}. Request the first page again without a cursor."
        )


def _check_key(key: bytes | None) -> bytes:
    if key is None:
        return _PROCESS_KEY
    if len(key) < _MIN_KEY_SIZE:
        raise ValueError(
            f"cursor key must be at least {_MIN_KEY_SIZE} bytes, got {len(key)}; "
            "use secrets.token_bytes(32)"
        )
    return key


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.digest(key, body, "sha256")[:_MAC_SIZE]


def encode_cursor(offset: int, *, scope: str, key: bytes | None = None) -> str:
    """Make the opaque cursor for the page starting at ``offset`` of the list ``scope``.

    Example:
        >>> cursor = encode_cursor(50, scope="tools/list")
        >>> decode_cursor(cursor, scope="tools/list")
        50

    Args:
        offset: Index of the first item of the next page (0 or more).
        scope: The list the cursor belongs to, usually the method name such as
            ``"tools/list"``; add a session or owner to bind the cursor to it. At most 256
            bytes in UTF-8; readable by the client, so no secrets.
        key: HMAC key of 16 bytes or more; by default a random key made once per process.

    Returns:
        URL-safe base64 text without padding.

    Raises:
        ValueError: ``offset`` is negative or above 2**63 - 1, ``scope`` is too long, or
            ``key`` is shorter than 16 bytes.
    """
    if not 0 <= offset <= _MAX_OFFSET:
        raise ValueError(f"cursor offset must be from 0 to 2**63 - 1, got {offset}")
    if len(scope.encode()) > _MAX_SCOPE_BYTES:
        raise ValueError(f"cursor scope must be at most {_MAX_SCOPE_BYTES} bytes in UTF-8")
    body = _encode_body((CURSOR_VERSION, offset, scope))
    raw = body + _mac(_check_key(key), body)
    return binascii.b2a_base64(raw, newline=False).decode("ascii").translate(_TO_URLSAFE)


def decode_cursor(cursor: str, *, scope: str, key: bytes | None = None) -> int:
    """Read a cursor made by `encode_cursor` for the same ``scope`` and ``key``.

    Checks, in order: the cursor is a string of at most 512 URL-safe base64 characters (without
    padding); it decodes; its HMAC matches (else it was altered, truncated, made up, or issued
    by another process or with another key); its version is `CURSOR_VERSION`; it was issued
    for ``scope``.

    Args:
        cursor: The ``cursor`` param of a list request, as received.
        scope: The list being read, as given to `encode_cursor`.
        key: The HMAC key given to `encode_cursor`; by default the per-process key.

    Returns:
        The offset of the first item of the requested page.

    Raises:
        InvalidCursor: The cursor cannot be used here; the message says why. This is the only
            exception raised for any value of ``cursor``.
        ValueError: ``key`` is shorter than 16 bytes (a server bug, not the client's).
    """
    secret = _check_key(key)
    received: object = cursor  # params decoded without a schema may hold anything
    if not isinstance(received, str):
        raise InvalidCursor(f"expected a string, got {type(received).__name__}")
    if not cursor:
        raise InvalidCursor("the cursor is empty; omit it to get the first page")
    if len(cursor) > _MAX_CURSOR_LENGTH:
        raise InvalidCursor(
            f"{len(cursor)} characters is longer than any cursor this server issues"
        )
    if not _BASE64URL.fullmatch(cursor):
        raise InvalidCursor("not URL-safe base64 (cursors are opaque: send them back unchanged)")
    encoded = cursor.encode("ascii").translate(_FROM_URLSAFE)
    try:
        raw = binascii.a2b_base64(encoded + b"=" * (-len(encoded) % 4), strict_mode=True)
    except binascii.Error:
        raise InvalidCursor(
            "truncated base64 (cursors are opaque: send them back unchanged)"
        ) from None
    body, mac = raw[:-_MAC_SIZE], raw[-_MAC_SIZE:]
    if not body or not hmac.compare_digest(mac, _mac(secret, body)):
        raise InvalidCursor(
            "checksum mismatch: the cursor was altered or truncated, or was issued by another "
            "server process (cursors do not survive a restart unless the server sets a key)"
        )
    try:
        version, offset, issued_scope = _decode_body(body)
    except msgspec.MsgspecError:
        # A valid HMAC over an unreadable body: issued with our key by another format.
        raise InvalidCursor("unreadable cursor format") from None
    if version != CURSOR_VERSION:
        raise InvalidCursor(
            f"cursor version {version} is not supported (this server issues version "
            f"{CURSOR_VERSION}); it comes from another release of the server"
        )
    if issued_scope != scope:
        raise InvalidCursor(f"this cursor belongs to {issued_scope!r}, not to {scope!r}")
    if offset < 0:
        raise InvalidCursor(f"negative offset {offset}")
    return offset


def paginate(
    items: Sequence[T],
    cursor: str | None,
    *,
    page_size: int | None,
    scope: str,
    key: bytes | None = None,
) -> tuple[list[T], str | None]:
    """Cut the page a list request asks for, and the cursor of the page after it.

    Pages are slices by position: if the list changes between two requests (a component is
    added or removed), a client paging through it may see an item twice or miss one, as with
    any offset cursor; a cursor past the end of a list that shrank gives an empty last page.

    Example:
        >>> page, next_cursor = paginate(range(5), None, page_size=2, scope="tools/list")
        >>> page
        [0, 1]
        >>> paginate(range(5), next_cursor, page_size=2, scope="tools/list")[0]
        [2, 3]

    Args:
        items: The whole list, in a stable order.
        cursor: The request's ``cursor`` param, or ``None`` for the first page.
        page_size: Items per page, or ``None`` for everything (then no ``nextCursor``).
        scope: The list being paged (see `encode_cursor`).
        key: HMAC key (see `encode_cursor`).

    Returns:
        The page's items, and the ``nextCursor`` to send, or ``None`` on the last page.

    Raises:
        InvalidCursor: ``cursor`` is not a cursor for this scope and key.
        ValueError: ``page_size`` is not positive (server misconfiguration).
    """
    if page_size is not None and page_size <= 0:
        raise ValueError(f"page_size must be a positive int or None, got {page_size}")
    start = 0 if cursor is None else decode_cursor(cursor, scope=scope, key=key)
    if page_size is None:
        return list(items[start:]), None
    end = start + page_size
    next_cursor = encode_cursor(end, scope=scope, key=key) if end < len(items) else None
    return list(items[start:end]), next_cursor
