# What the 2026-07-28 era adds on the server side, in one place: MRTR rounds behind the
# `Context` API, the state-scope error, and the results only modern clients get.
#
# MRTR (SEP-2322). A modern client cannot be sent requests. When a handler asks for input
# (`ctx.elicit`, `ctx.sample`, `ctx.list_roots`: all go through `Context.request_client`), the
# request's `InputRound` answers from what the client already sent (`inputResponses`, plus the
# answers of earlier rounds carried in the sealed `requestState`), or records an input request
# and fails the handler's future with `InputRequired`. That exception is a `BaseException`, so a
# handler's `except Exception` does not swallow it; it ends the attempt, and the session answers
# with an `InputRequiredResult` naming every input recorded so far (several calls gathered with
# `asyncio.gather` are all recorded before the first await fails). The client answers and
# retries; the handler runs again from the start, and this time the answers are there.
#
# The replay rule: everything a handler does before its last `elicit`/`sample`/`list_roots` runs
# again on every round. Keep that part cheap and idempotent, or keep its results across rounds
# with `ctx.round_state` / `ctx.once(key, fn)` (sealed into `requestState`).

"""Server side of the 2026-07-28 era: MRTR rounds, scopes and modern-only results."""

from __future__ import annotations

from typing import Any, Final

from fastestmcp.protocol import types
from fastestmcp.protocol.errors import McpError
from supervisors import LoopFuture

__all__ = ["InputRequired", "InputRound", "NoStateScopeError"]

_KIND: Final = {
    "elicitation/create": "elicitation",
    "sampling/createMessage": "sampling",
    "roots/list": "roots",
}


class InputRequired(BaseException):
    """Ends an attempt of a modern request: the handler needs input from the client.

    Raised by the futures of `Context.elicit`/`sample`/`list_roots` in the 2026-07-28 era when
    the client has not answered yet. Let it propagate: the server answers the request with an
    `InputRequiredResult` and runs the handler again when the client retries with the answers.
    """

    def __init__(self, key: str) -> None:
        super().__init__(
            f"input {key!r} is needed from the client; this attempt ends with an "
            "InputRequiredResult and the handler runs again with the answer"
        )
        self.key = key


class NoStateScopeError(RuntimeError):
    """Session state was asked for on a modern request that has no state scope."""


class InputRound:
    """One attempt of a modern request that may ask the client for input (MRTR)."""

    __slots__ = ("_count", "answers", "bind", "carried", "requests", "used")

    def __init__(self, bind: str, answers: dict[str, Any], carried: dict[str, Any]) -> None:
        #: What the request is (`tools/call:name`): sealed states are bound to it.
        self.bind = bind
        #: The client's answers: this round's `inputResponses` over earlier rounds'.
        self.answers = answers
        #: `ctx.round_state`: the handler's own values, kept across rounds.
        self.carried = carried
        #: The inputs asked for in this attempt, by key (the `inputRequests` to send).
        self.requests: dict[str, dict[str, Any]] = {}
        #: The answers this attempt consumed (the ones the next round needs again).
        self.used: dict[str, Any] = {}
        self._count = 0

    def request(self, method: str, params: Any, key: str | None) -> LoopFuture[Any]:
        """Answer `method` from the client's responses, or record it as needed."""
        self._count += 1
        if key is None:
            key = f"{_KIND.get(method, 'input')}_{self._count}"
        future: LoopFuture[Any] = LoopFuture()
        answer = self.answers.get(key)
        if answer is not None:
            try:
                result = types.decode_result(method, answer)
            except McpError:
                pass  # not an answer to this request: ask again
            else:
                self.used[key] = answer
                future.set(result)
                return future
        self.requests[key] = {"method": method, "params": {} if params is None else params}
        future.set_exception(InputRequired(key))
        return future

    @property
    def needs_input(self) -> bool:
        return bool(self.requests)

    def sealed_payload(self) -> dict[str, Any]:
        """What the next round's `requestState` carries."""
        return {"answers": self.used, "state": self.carried}
