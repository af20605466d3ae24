"""LineFramer: newline-delimited framing with a size bound (sans-IO)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastestmcp.protocol import jsonrpc
from fastestmcp.protocol.errors import PARSE_ERROR
from fastestmcp.transports.stdio import LineFramer, frame_too_large_error


class Collect:
    def __init__(self, max_frame_size: int = 1024) -> None:
        self.events: list[bytes | int] = []  # a frame, or the size of a discarded line
        self.framer = LineFramer(self.events.append, self.events.append, max_frame_size)

    def feed(self, *chunks: bytes, end: bool = True) -> list[bytes | int]:
        for chunk in chunks:
            self.framer.feed(chunk)
        if end:
            self.framer.end()
        return self.events


def test_many_frames_in_one_read() -> None:
    assert Collect().feed(b'{"a":1}\n{"b":2}\n{"c":3}\n') == [b'{"a":1}', b'{"b":2}', b'{"c":3}']


def test_split_reads_byte_by_byte() -> None:
    data = b'{"a":1}\n{"bb":22}\r\n{"c":3}\n'
    c = Collect()
    c.feed(*(data[i : i + 1] for i in range(len(data))))
    assert c.events == [b'{"a":1}', b'{"bb":22}', b'{"c":3}']


def test_frame_delivered_as_soon_as_its_newline_arrives() -> None:
    c = Collect()
    c.feed(b'{"a":', end=False)
    assert c.events == []
    c.feed(b"1}\n{", end=False)
    assert c.events == [b'{"a":1}']
    assert c.framer.buffered == 1


def test_crlf_is_stripped_once() -> None:
    assert Collect().feed(b"one\r\ntwo\r\r\n") == [b"one", b"two\r"]


def test_blank_lines_are_skipped() -> None:
    assert Collect().feed(b"\n\r\n  \t\n one \n\n\ntwo\n \r\n") == [b" one ", b"two"]


def test_final_line_without_newline_is_delivered_at_eof() -> None:
    c = Collect()
    c.feed(b"one\ntwo", end=False)
    assert c.events == [b"one"]
    c.framer.end()
    assert c.events == [b"one", b"two"]
    c.framer.end()  # idempotent
    assert c.events == [b"one", b"two"]


def test_final_line_with_cr_only_at_eof() -> None:
    assert Collect().feed(b"one\r") == [b"one"]


def test_invalid_utf8_passes_through_as_bytes() -> None:
    assert Collect().feed(b"\xff\xfe{\x80}\n") == [b"\xff\xfe{\x80}"]


def test_frame_of_exactly_the_limit_is_accepted_with_lf_and_crlf() -> None:
    frame = b"x" * 16
    assert Collect(16).feed(frame + b"\n", frame + b"\r\n") == [frame, frame]
    # the same, arriving a byte at a time (the "\r" may wait one byte over the limit)
    data = frame + b"\r\n" + frame + b"\n"
    c = Collect(16)
    c.feed(*(data[i : i + 1] for i in range(len(data))))
    assert c.events == [frame, frame]


def test_oversized_line_in_one_chunk_is_reported_with_its_length() -> None:
    assert Collect(16).feed(b"a\n" + b"y" * 17 + b"\nb\n") == [b"a", 17, b"b"]


def test_oversized_line_over_many_chunks_is_discarded_unbuffered_and_reported_once() -> None:
    c = Collect(16)
    c.feed(b"a\n" + b"y" * 10, end=False)
    c.feed(b"y" * 10, end=False)
    assert c.events == [b"a", 20]
    assert c.framer.buffered == 0
    for _ in range(1000):  # a long line keeps nothing
        c.feed(b"z" * 4096, end=False)
        assert c.framer.buffered == 0
    c.feed(b"zz\r\nnext\n")
    assert c.events == [b"a", 20, b"next"]


def test_oversized_by_one_byte_not_a_cr() -> None:
    c = Collect(4)
    c.feed(b"abcde", end=False)
    assert c.events == [5]
    c.feed(b"\nok\n")
    assert c.events == [5, b"ok"]


def test_oversized_final_line_at_eof() -> None:
    assert Collect(4).feed(b"ok\n" + b"x" * 10) == [b"ok", 10]


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_frame_size"):
        LineFramer(print, print, 0)


def test_frame_too_large_error_is_a_parse_error_without_id() -> None:
    frame = frame_too_large_error(1024)
    assert b"\n" not in frame
    message = jsonrpc.decode_message(frame)
    assert isinstance(message, jsonrpc.ErrorResponse)
    assert message.id is None
    assert message.error.code == PARSE_ERROR
    assert "1024" in message.error.message


# -- property: any frames, any line endings, any cuts -----------------------------------------

_frame = st.binary(min_size=1, max_size=40).filter(
    lambda f: b"\n" not in f and not f.endswith(b"\r") and f.strip(b" \t\r") != b""
)


@settings(max_examples=300)
@given(
    frames=st.lists(_frame, max_size=20),
    endings=st.lists(st.sampled_from([b"\n", b"\r\n", b"\n\n", b"\n \r\n"]), min_size=20),
    final_newline=st.booleans(),
    data=st.data(),
)
def test_frames_survive_any_split(
    frames: list[bytes],
    endings: list[bytes],
    final_newline: bool,
    data: st.DataObject,
) -> None:
    stream = b"".join(f + e for f, e in zip(frames, endings, strict=False))
    if frames and not final_newline:
        stream = stream[: -len(endings[len(frames) - 1])]
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    c = Collect(40)
    c.feed(*chunks)
    assert c.events == frames
