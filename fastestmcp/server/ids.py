# Session ids: 128 random bits from the operating system's CSPRNG, as 32 hex digits (what
# `secrets.token_hex(16)` gives).
#
# `os.urandom` is a system call; a server opening thousands of sessions a second reads 4 KiB at
# once and hands out 16 bytes of it per id, each byte once. A forked child drops what its
# parent read, so two processes never hand out the same bytes.

from __future__ import annotations

import os
import threading
from typing import Final

__all__ = ["new_session_id"]

#: Bytes per id (128 bits) and per read (256 ids).
ID_BYTES: Final = 16
READ_BYTES: Final = 4096


class _RandomIds:
    __slots__ = ("_at", "_buffer", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffer = b""
        self._at = 0

    def new(self) -> str:
        with self._lock:
            at = self._at
            if at + ID_BYTES > len(self._buffer):
                self._buffer = os.urandom(READ_BYTES)
                at = 0
            self._at = at + ID_BYTES
            return self._buffer[at : at + ID_BYTES].hex()

    def forget(self) -> None:
        """Drop the bytes read so far (in a forked child: its parent hands them out)."""
        self._lock = threading.Lock()  # (the parent's may have been held by another thread)
        self._buffer = b""
        self._at = 0


_ids = _RandomIds()
if hasattr(os, "register_at_fork"):  # (POSIX)
    os.register_at_fork(after_in_child=_ids.forget)


def new_session_id() -> str:
    """A new session id: 32 hex digits, 128 bits from `os.urandom`. Thread-safe."""
    return _ids.new()
