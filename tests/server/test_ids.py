"""Session ids: 32 hex digits, never repeated, not shared with a forked child."""

from __future__ import annotations

import os
import re
import threading

import pytest

from fastestmcp.server import ids

HEX32 = re.compile(r"[0-9a-f]{32}")


def test_ids_are_32_hex_digits_and_never_repeat_across_reads():
    # Several reads of the 4 KiB buffer (256 ids each).
    made = [ids.new_session_id() for _ in range(3 * ids.READ_BYTES // ids.ID_BYTES + 7)]
    assert all(HEX32.fullmatch(sid) for sid in made)
    assert len(set(made)) == len(made)


def test_ids_from_many_threads_are_all_distinct():
    made: list[str] = []

    def take() -> None:
        mine = [ids.new_session_id() for _ in range(500)]
        made.extend(mine)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(made) == 4000
    assert len(set(made)) == 4000


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
