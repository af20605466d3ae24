"""Session ids: 32 hex digits, never repeated, not shared with a forked child."""

from __future__ import annotations

import os
import re
import threading
import time

import pytest

from fastestmcp.server import ids

HEX32 = re.compile(r"[0-9a-f]{32}")


def test_ids_are_32_hex_digits_and_never_repeat_across_reads():
    # Several reads of the 4 KiB buffer (256 ids each).
    made = [ids.new_session_id() for _ in range(3 * ids.READ_BYTES // ids.ID_BYTES + 7)]
    assert all(HEX32.fullmatch(sid) for sid in made)
    assert len(set(made)) == len(made)


class _SlowBytes(bytes):
    """A buffer whose length takes a moment: another thread runs between an id's read of
    the position and its write of the next (on CPython 3.11 the GIL alone would rarely
    switch there, and free-threaded builds have no GIL)."""

    def __len__(self) -> int:
        time.sleep(0.0001)
        return super().__len__()


def test_ids_from_many_threads_are_all_distinct():
    source = ids._RandomIds()
    source._buffer = _SlowBytes(os.urandom(8 * 100 * ids.ID_BYTES))  # one buffer for all
    made: list[str] = []

    def take() -> None:
        mine = [source.new() for _ in range(100)]
        made.extend(mine)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(made) == 800
    assert len(set(made)) == 800


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_does_not_hand_out_its_parents_bytes():
    ids.new_session_id()  # the parent has read a buffer and has most of it left
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, to the parent
        try:
            os.close(read)
            os.write(write, ",".join(ids.new_session_id() for _ in range(4)).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = pipe.read().split(",")
    os.waitpid(pid, 0)
    parent = [ids.new_session_id() for _ in range(4)]
    assert len(child) == 4
    assert all(HEX32.fullmatch(sid) for sid in child)
    assert not set(child) & set(parent)
