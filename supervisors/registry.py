# The name registry of one runtime: name -> the current ref of a live actor.
#
# A restarted child gets a new ref; callers that keep a *name* find the current incarnation with
# `whereis`. Names are released by the dying actor before its links and monitors hear of the
# death (see `_process.py`), so a `Down` handler that looks the name up sees either nothing or
# the new incarnation, never the dead one.

from __future__ import annotations

import threading
from typing import Any

import pykka

from supervisors._process import Process, process_of
from supervisors.exits import AlreadyRegisteredError

__all__ = ["Registry"]


def _dead(ref: pykka.ActorRef[Any], name: str) -> pykka.ActorDeadError:
    return pykka.ActorDeadError(f"{ref} is not alive; cannot register {name!r}")


def _live_process(ref: pykka.ActorRef[Any], name: str) -> Process:
    process = process_of(ref)
    if process is None or not process.sv_alive:
        raise _dead(ref, name)
    return process


class Registry:
    """Names of live actors; thread-safe. O(1) lookups (unlike pykka's `ActorRegistry`)."""

    def __init__(self) -> None:
        self._names: dict[str, pykka.ActorRef[Any]] = {}
        self._lock = threading.Lock()

    def register(self, name: str, ref: pykka.ActorRef[Any]) -> None:
        """Register `name` for `ref`; it is released automatically when the actor exits.

        Raises:
            AlreadyRegisteredError: another live actor holds the name.
            pykka.ActorDeadError: `ref` is not alive.
        """
        process = _live_process(ref, name)
        with self._lock:
            current = self._names.get(name)
            if current is not None and current is not ref and current.is_alive():
                raise AlreadyRegisteredError(f"{name!r} is already registered to {current}")
            self._names[name] = ref
        if process._sv_names is None:
            process._sv_names = []
        if name not in process._sv_names:
            process._sv_names.append(name)
        if not process.sv_alive:
            # It exited on the loop while this thread registered: its exit may have released
            # its names before this one was recorded, so release it here.
            self._release(name, ref)
            raise _dead(ref, name)

    def unregister(self, name: str) -> None:
        """Remove `name` (no error if it is not registered)."""
        with self._lock:
            ref = self._names.pop(name, None)
        if ref is not None:
            process = process_of(ref)
            if process is not None and process._sv_names and name in process._sv_names:
                process._sv_names.remove(name)

    def whereis(self, name: str) -> pykka.ActorRef[Any] | None:
        """The ref registered under `name`, or None."""
        return self._names.get(name)

    def names(self) -> dict[str, pykka.ActorRef[Any]]:
        """A snapshot of every registered name."""
        with self._lock:
            return dict(self._names)

    def _release(self, name: str, ref: pykka.ActorRef[Any]) -> None:
        with self._lock:
            if self._names.get(name) is ref:
                del self._names[name]
