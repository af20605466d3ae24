import base64
import doctest
import hmac

import msgspec
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fastestmcp.protocol import cursor as cursor_module
from fastestmcp.protocol.cursor import (
    CURSOR_VERSION,
    InvalidCursor,
    decode_cursor,
    encode_cursor,
    paginate,
)
from fastestmcp.protocol.errors import InvalidParams, McpError

KEY = b"k" * 32
OTHER_KEY = b"o" * 32

offsets = st.integers(min_value=0, max_value=2**63 - 1)
scopes = st.text(max_size=60)


def forge(version: int, offset: int, scope: str, key: bytes = KEY) -> str:
    # A cursor in the documented format, signed with `key`: what a later release could issue.
    body = msgspec.msgpack.encode((version, offset, scope))
    raw = body + hmac.digest(key, body, "sha256")[:8]
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_docstring_examples_run() -> None:
    assert doctest.testmod(cursor_module, raise_on_error=True).attempted > 0


# --------------------------------------------------------------------------------------------
# Round trips


@given(offsets, scopes)
def test_round_trip_with_the_process_key(offset: int, scope: str) -> None:
    assert decode_cursor(encode_cursor(offset, scope=scope), scope=scope) == offset


@given(offsets, scopes)
def test_round_trip_with_a_caller_key(offset: int, scope: str) -> None:
    cursor = encode_cursor(offset, scope=scope, key=KEY)
    assert decode_cursor(cursor, scope=scope, key=KEY) == offset


@given(offsets, scopes)
def test_cursor_is_url_safe_base64_without_padding(offset: int, scope: str) -> None:
    cursor = encode_cursor(offset, scope=scope)
    assert cursor
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_cursor_is_short() -> None:
    assert len(encode_cursor(1000, scope="resources/templates/list")) <= 60


def test_cursor_matches_the_documented_format() -> None:
    assert encode_cursor(7, scope="tools/list", key=KEY) == forge(CURSOR_VERSION, 7, "tools/list")


# --------------------------------------------------------------------------------------------
# Refusals


@given(offsets, scopes, scopes)
def test_cursor_from_one_scope_is_refused_in_another(offset: int, issued: str, used: str) -> None:
    assume(issued != used)
    cursor = encode_cursor(offset, scope=issued)
    with pytest.raises(InvalidCursor, match="belongs to"):
        decode_cursor(cursor, scope=used)


def test_tools_list_cursor_is_refused_by_prompts_list_naming_both() -> None:
    cursor = encode_cursor(50, scope="tools/list")
    with pytest.raises(InvalidCursor) as caught:
        decode_cursor(cursor, scope="prompts/list")
    message = str(caught.value)
    assert "'tools/list'" in message
    assert "'prompts/list'" in message
    assert "first page" in message


@given(st.text(max_size=600))
def test_any_string_raises_only_invalid_cursor(garbage: str) -> None:
    try:
        decode_cursor(garbage, scope="tools/list")
    except InvalidCursor:
        pass


@given(st.binary(max_size=400))
def test_any_base64_payload_raises_only_invalid_cursor(payload: bytes) -> None:
    garbage = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    try:
        decode_cursor(garbage, scope="tools/list")
    except InvalidCursor:
        pass


@given(offsets, st.data())
def test_any_changed_byte_is_detected(offset: int, data: st.DataObject) -> None:
    cursor = encode_cursor(offset, scope="tools/list", key=KEY)
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    index = data.draw(st.integers(0, len(raw) - 1))
    raw[index] ^= data.draw(st.integers(1, 255))
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(InvalidCursor, match="checksum mismatch"):
        decode_cursor(tampered, scope="tools/list", key=KEY)


def test_truncated_cursor_is_refused() -> None:
    cursor = encode_cursor(123456, scope="tools/list")
    for end in range(len(cursor)):
        with pytest.raises(InvalidCursor):
            decode_cursor(cursor[:end], scope="tools/list")


def test_cursor_signed_with_another_key_is_refused() -> None:
    cursor = encode_cursor(10, scope="tools/list", key=OTHER_KEY)
    with pytest.raises(InvalidCursor, match="another server process"):
        decode_cursor(cursor, scope="tools/list", key=KEY)
    with pytest.raises(InvalidCursor, match="checksum mismatch"):
        decode_cursor(cursor, scope="tools/list")


def test_cursor_of_another_version_is_refused_naming_the_version() -> None:
    with pytest.raises(InvalidCursor, match="cursor version 2 is not supported"):
        decode_cursor(forge(2, 0, "tools/list"), scope="tools/list", key=KEY)


def test_signed_cursor_in_another_format_is_refused() -> None:
    body = msgspec.msgpack.encode({"offset": 3})
    raw = body + hmac.digest(KEY, body, "sha256")[:8]
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    with pytest.raises(InvalidCursor, match="unreadable cursor format"):
        decode_cursor(cursor, scope="tools/list", key=KEY)


def test_signed_negative_offset_is_refused() -> None:
    with pytest.raises(InvalidCursor, match="negative offset"):
        decode_cursor(forge(CURSOR_VERSION, -1, "tools/list"), scope="tools/list", key=KEY)


@pytest.mark.parametrize(
    ("cursor", "reason"),
    [
        ("", "empty"),
        ("a" * 513, "longer than any cursor"),
        ("abc+def/", "not URL-safe base64"),
        ("abcd==", "not URL-safe base64"),
        ("é", "not URL-safe base64"),
        ("a", "truncated base64"),
        ("AAAA", "checksum mismatch"),
    ],
)
def test_garbage_cursor_says_what_is_wrong(cursor: str, reason: str) -> None:
    with pytest.raises(InvalidCursor, match=reason):
        decode_cursor(cursor, scope="tools/list")


def test_non_string_cursor_is_refused() -> None:
    with pytest.raises(InvalidCursor, match="expected a string, got int"):
        decode_cursor(5, scope="tools/list")  # type: ignore[arg-type]


def test_invalid_cursor_is_invalid_params_with_code_32602() -> None:
    with pytest.raises(InvalidCursor) as caught:
        decode_cursor("nope", scope="tools/list")
    error = caught.value
    assert isinstance(error, InvalidParams)
    assert isinstance(error, McpError)
    assert error.code == -32602
    assert error.message.startswith("Invalid cursor: ")


# --------------------------------------------------------------------------------------------
# Arguments the server gets wrong


@pytest.mark.parametrize("offset", [-1, 2**63])
def test_encode_rejects_offsets_out_of_range(offset: int) -> None:
    with pytest.raises(ValueError, match="offset"):
        encode_cursor(offset, scope="tools/list")


def test_encode_rejects_a_scope_too_long() -> None:
    encode_cursor(0, scope="s" * 256)
    with pytest.raises(ValueError, match="at most 256 bytes"):
        encode_cursor(0, scope="é" * 129)


def test_longest_scope_gives_a_decodable_cursor() -> None:
    scope = "é" * 128
    assert decode_cursor(encode_cursor(2**63 - 1, scope=scope), scope=scope) == 2**63 - 1


def test_short_keys_are_rejected() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        encode_cursor(0, scope="tools/list", key=b"short")
    with pytest.raises(ValueError, match="at least 16 bytes"):
        decode_cursor("AAAA", scope="tools/list", key=b"short")


# --------------------------------------------------------------------------------------------
# paginate


def test_paginate_walks_every_page_once() -> None:
    items = list(range(7))
    pages: list[list[int]] = []
    cursor: str | None = None
    while True:
        page, cursor = paginate(items, cursor, page_size=3, scope="tools/list")
        pages.append(page)
        if cursor is None:
            break
    assert pages == [[0, 1, 2], [3, 4, 5], [6]]


def test_paginate_exact_multiple_ends_without_next_cursor() -> None:
    page, cursor = paginate([1, 2, 3, 4], None, page_size=2, scope="s")
    assert (page, cursor is not None) == ([1, 2], True)
    assert paginate([1, 2, 3, 4], cursor, page_size=2, scope="s") == ([3, 4], None)


def test_paginate_without_page_size_returns_everything_and_no_cursor() -> None:
    assert paginate([1, 2, 3], None, page_size=None, scope="s") == ([1, 2, 3], None)


def test_paginate_empty_list() -> None:
    assert paginate([], None, page_size=10, scope="s") == ([], None)


def test_paginate_past_the_end_of_a_shrunk_list_gives_an_empty_last_page() -> None:
    _, cursor = paginate(list(range(10)), None, page_size=5, scope="s")
    assert cursor is not None
    assert paginate([1, 2], cursor, page_size=5, scope="s") == ([], None)


def test_paginate_uses_the_key_and_scope() -> None:
    _, cursor = paginate(list(range(10)), None, page_size=5, scope="s", key=KEY)
    assert cursor is not None
    assert paginate(list(range(10)), cursor, page_size=5, scope="s", key=KEY) == (
        [5, 6, 7, 8, 9],
        None,
    )
    with pytest.raises(InvalidCursor):
        paginate(list(range(10)), cursor, page_size=5, scope="s")
    with pytest.raises(InvalidCursor):
        paginate(list(range(10)), cursor, page_size=5, scope="t", key=KEY)


@pytest.mark.parametrize("page_size", [0, -3])
def test_paginate_rejects_non_positive_page_size(page_size: int) -> None:
    with pytest.raises(ValueError, match="page_size must be a positive int"):
        paginate([1], None, page_size=page_size, scope="s")


@given(st.lists(st.integers(), max_size=40), st.integers(1, 12))
def test_paginate_pages_concatenate_to_the_list(items: list[int], page_size: int) -> None:
    seen: list[int] = []
    cursor: str | None = None
    for _ in range(len(items) + 1):
        page, cursor = paginate(items, cursor, page_size=page_size, scope="s")
        assert len(page) <= page_size
        seen.extend(page)
        if cursor is None:
            break
    assert cursor is None
    assert seen == items
