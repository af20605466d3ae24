# Helpers for mixing loop actors with plain pykka actors.

from __future__ import annotations

from typing import Any

import pykka
from pykka._envelope import Envelope

from supervisors._future import LoopFuture

__all__ = ["ask"]


async def ask(ref: pykka.ActorRef[Any], message: Any, *, timeout: float | None = None) -> Any:
    """Ask any pykka actor from a coroutine without blocking the loop.

    For a plain `pykka.ThreadingActor` the reply comes back through a `LoopFuture` carried in
    the envelope, so no executor thread is held while waiting. Raises `pykka.ActorDeadError`
    if the actor is dead, `pykka.Timeout` after `timeout` seconds.
    """
    future: LoopFuture[Any] = LoopFuture()
    if not ref.is_alive():
        raise pykka.ActorDeadError(f"{ref} not found")
    ref.actor_inbox.put(Envelope(message, reply_to=future))
    if timeout is None:
        return await future
    return await future.wait(timeout)
