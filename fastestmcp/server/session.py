# The session actor: one per MCP session (legacy era), transport-agnostic.
#
# A transport hands it complete frames (`SessionSink.frame`) and it writes frames to the
# transport's `Outbox`. It owns what a session negotiates (protocol version, client
# capabilities and info, log level, subscriptions), its in-flight requests and its pending
# server->client requests.
#
# Rules:
# - The actor itself only does quick state changes; every request runs as its own task owned
#   by the actor (cancelled when it exits), sync handlers run in the server's bounded pool. So a
#   slow tool never delays `ping` or another request of the same session.
# - `notifications/cancelled` cancels the request's task (and sets `ctx.cancelled`, which a
#   sync handler can poll); no response is sent for a cancelled request, as the spec asks.
# - Session state lives in the server's state store, not here: a session actor that crashes is
#   restarted (transient child) under the same id with its state and negotiated parameters
#   intact, and its in-flight requests are answered with an error. A session that *ends*
#   (transport closed, server stopped) deletes its state in `on_stop`, in one place.
# - Every handler sees the same pipeline (`pipeline.py`), whatever the transport.

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import secrets
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import msgspec
import structlog
from pykka import ActorDeadError

from fastestmcp.protocol import jsonrpc, modern, types, versions
from fastestmcp.protocol.capabilities import server_capabilities
from fastestmcp.protocol.errors import (
    RESOURCE_NOT_FOUND,
    InternalError,
    InvalidParams,
    InvalidRequest,
    InvalidResponse,
    McpError,
    MethodNotFound,
)
from fastestmcp.server.context import Context, RequestContext
from fastestmcp.server.modern import InputRequired, InputRound, NoStateScopeError
from fastestmcp.server.outbox import HttpRequestInfo, Outbox, RequestId
from fastestmcp.server.pipeline import HANDLERS, LEVELS, call_tool, listen
from supervisors import (
    NORMAL,
    LoopActor,
    LoopActorRef,
    LoopFuture,
    is_normal_exit,
    which_children,
)

if TYPE_CHECKING:
    import pykka

    from fastestmcp.server.definition import Server
    from fastestmcp.server.reclaim import Reclaimer
    from supervisors.threadpool import LoopThreadPool

__all__ = ["SessionActor", "SessionServices", "SessionSink"]

log = structlog.get_logger("fastestmcp.session")

_ENCODE = msgspec.json.Encoder().encode
_LIST_FIELDS = {
    "tools/list": "tools",
    "resources/list": "resources",
    "resources/templates/list": "resource_templates",
    "prompts/list": "prompts",
}
_EMPTY = types.EmptyResult()
_HANDLE_PREFIX = "handle:"
_TIMER_CONTEXT = contextvars.Context()
# `Op` name -> the interned name of its `_op_` method. CPython 3.11's type attribute cache keeps
# a strong reference to the name of every lookup, in a slot chosen by the name's *address*: a
# name built per call ("_op_" + name) stayed there, a small string in an allocator arena that
# had been filled with sessions, until another lookup took the slot: 417 of them after 5,000
# sessions had ended, out of reach of `gc`, among the blocks that kept those arenas in use.
# (The names come from `Context`'s own operations: a handful.)
_OP_ATTRS: dict[str, str] = {}
#: `Op` name -> whether its handler is a plain `def` (see `SessionActor.request_op`).
_SYNC_OPS: dict[str, bool] = {}


def _never_ran(task: asyncio.Task[Any]) -> bool:
    """Whether `task`'s coroutine has not taken its first step (a cancel then never reaches it:
    the task ends without running any of it)."""
    coro = task.get_coro()
    return inspect.iscoroutine(coro) and inspect.getcoroutinestate(coro) == inspect.CORO_CREATED


def _op_attr(name: str) -> str:
    """The interned name of the method that handles `Op` `name`."""
    return _OP_ATTRS.get(name) or _OP_ATTRS.setdefault(name, sys.intern("_op_" + name))


_LISTEN_KINDS = {
    "notifications/tools/list_changed": "toolsListChanged",
    "notifications/prompts/list_changed": "promptsListChanged",
    "notifications/resources/list_changed": "resourcesListChanged",
}


class Frame(NamedTuple):
    data: bytes
    #: The HTTP request the frame came with (HTTP transports), for the request contexts.
    http: HttpRequestInfo | None = None
    #: A reused stateless request actor's next request: first forget everything the previous
    #: request left (scope, state, visibility rules). Carried by the frame rather than sent as
    #: a message of its own when the previous request ends: one mailbox hop less per request.
    reset: bool = False
    #: `data` decoded already (an HTTP transport decodes a POST to route it): one message, not
    #: a batch. The session then skips its own decode (one decode per request, not two).
    decoded: jsonrpc.Message | None = None


class Closed(NamedTuple):
    pass


class Touch(NamedTuple):
    """The transport still holds a stream open for the client: not idle (no expiry)."""


class Broadcast(NamedTuple):
    """A server-wide event every session receives: `resources/updated` goes only to the
    sessions subscribed to `uri`; a `*/list_changed` goes to every initialized session."""

    method: str
    uri: str | None = None


class Op(NamedTuple):
    """An operation of a handler's `Context` on its session."""

    name: str
    args: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class SessionServices:
    """What every session of one running server shares (immutable)."""

    server: Server
    store: LoopActorRef[Any]
    pool: LoopThreadPool
    lifespan_context: dict[str, Any]
    #: The session supervisor (to reach every session: resources/updated, list_changed).
    sessions: pykka.ActorRef[Any] | None = None
    #: Counts sessions; gives memory back after a mass end (see `reclaim`).
    reclaimer: Reclaimer | None = None


class _Meta(msgspec.Struct, kw_only=True):
    """What a session negotiated: kept in the state store so a restart keeps it."""

    protocol_version: str | None = None
    client_capabilities: types.ClientCapabilities | None = None
    client_info: types.Implementation | None = None
    log_level: str | None = None
    initialized: bool = False
    subscriptions: list[str] = msgspec.field(default_factory=list)
    #: Per-session visibility rules, in order (True: enable); the last matching rule wins.
    visibility: list[tuple[bool, Any]] = msgspec.field(default_factory=list)


class _Collected:
    """The responses of one JSON-RPC batch, until every request of it is answered."""

    __slots__ = ("parts", "started", "waiting")

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.started: set[RequestId] = set()
        self.waiting: set[RequestId] = set()


class _ModernView(msgspec.Struct):
    """What the era checks of a modern request read of its params (the rest is skipped)."""

    meta: dict[str, Any] | None = msgspec.field(default=None, name="_meta")
    name: Any = None
    uri: Any = None
    notifications: Any = None


_MODERN_VIEW = msgspec.json.Decoder(_ModernView)
_NO_PARAMS = _ModernView()


def _modern_view(params: Any) -> _ModernView:
    if not params:
        return _NO_PARAMS
    try:
        if isinstance(params, msgspec.Raw):
            return _MODERN_VIEW.decode(params)
        return msgspec.convert(msgspec.to_builtins(params), _ModernView)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return _NO_PARAMS  # the params decode names what is wrong


@functools.lru_cache(maxsize=64)  # every initialize asks; the answers are few and immutable
def _capabilities(
    tools: bool, resources: bool, prompts: bool, completions: bool, version: str
) -> types.ServerCapabilities:
    return server_capabilities(
        tools=tools,
        tools_list_changed=tools,
        resources=resources,
        resources_subscribe=resources,
        resources_list_changed=resources,
        prompts=prompts,
        prompts_list_changed=prompts,
        logging=True,
        completions=completions,
        protocol_version=version,
    )


class FreshStart:
    """Given to the first start of a session whose id was just minted (nothing can be stored
    under it yet): that start skips loading its state from the store, an ask that would make
    every session's start asynchronous. The token is in the session's child spec, so a restart
    after a crash finds it used and loads what the session had saved."""

    __slots__ = ("used",)

    def __init__(self) -> None:
        self.used = False

    def take(self) -> bool:
        """True the first time (the first start), False ever after."""
        first, self.used = not self.used, True
        return first


class SessionActor(LoopActor):
    """One MCP session; see the module comment.

    `stateless=True`: the actor of one 2026-07-28 HTTP request (or `subscriptions/listen`
    stream); it serves modern requests only, keeps nothing when it ends, and has session
    state only under `state_id` (a principal's or a state handle's scope), if any.
    """

    # Slots: an instance dict of ~40 keys is over CPython's key-sharing limit (30) and costs
    # about 1.5 KB per session; with the session's own attributes in slots, the rest (the
    # actor runtime's) stays small and shares its keys.
    __slots__ = (
        "_batch_of",
        "_collecting",
        "_ended",
        "_fresh",
        "_http",
        "_idle_timer",
        "_last_activity",
        "_listeners",
        "_next_out_id",
        "_outgoing",
        "_pending",
        "_requests",
        "cursor_scope",
        "meta",
        "outbox",
        "principal",
        "server",
        "services",
        "session_id",
        "state",
        "state_id",
        "stateless",
        "transport",
    )

    def __init__(
        self,
        services: SessionServices,
        session_id: str,
        outbox: Outbox,
        transport: str,
        stateless: bool = False,
        state_id: str | None = None,
        principal: Any = None,
        fresh: FreshStart | None = None,
    ) -> None:
        super().__init__()
        #: Who is calling (the transport's principal hook), for `ctx.principal`.
        self.principal = principal
        self.services = services
        self.server = services.server
        self.session_id = session_id
        self.outbox = outbox
        self.transport = transport
        self.stateless = stateless
        #: Where this session's state lives in the store (None: a request without a scope).
        self.state_id = state_id if stateless else session_id
        #: Cursors are bound to the list and this scope (one scope for every modern request).
        self.cursor_scope = "modern" if stateless else session_id
        self.meta = _Meta()
        self.state: dict[str, Any] = {}
        #: Open `subscriptions/listen` streams: listen request id -> what they asked for.
        self._listeners: dict[RequestId, dict[str, Any]] = {}
        #: Requests in flight: their task (None while the first step runs, see `_start`).
        self._requests: dict[RequestId, tuple[asyncio.Task[None] | None, Context]] = {}
        self._pending: dict[RequestId, LoopFuture[Any]] = {}
        #: The requests to the client each request in flight made (see `_withdraw`).
        self._outgoing: dict[RequestId, list[RequestId]] = {}
        self._next_out_id = 0
        self._batch_of: dict[RequestId, _Collected] = {}
        self._ended = False
        #: The HTTP request of the frame being handled (None outside HTTP).
        self._http: HttpRequestInfo | None = None
        self._collecting: _Collected | None = None
        self._idle_timer: asyncio.TimerHandle | None = None
        self._last_activity = 0.0
        self._fresh = fresh

    # -- lifecycle ---------------------------------------------------------------------------

    def on_start(self) -> Coroutine[Any, Any, None] | None:  # type: ignore[override]
        # Sync unless there is state to load: a stateless request actor starts in the same
        # loop iteration (an async hook would cost a task).
        self._last_activity = self._loop.time()
        self._arm_idle_timer()
        reclaimer = self.services.reclaimer
        if reclaimer is not None and not self.stateless:
            reclaimer.started()
        fresh = self._fresh  # (a restart gets the same token, used by then)
        if self.state_id is not None and not (fresh is not None and fresh.take()):
            return self._load_state(self.state_id)
        return None

    async def _load_state(self, state_id: str) -> None:
        await self._load(state_id)

    async def _load(self, state_id: str) -> bool:
        saved = await self.services.store.ask_async(("load", state_id), timeout=10)
        if saved is None:
            return False
        meta, state = saved
        if meta is not None:
            self.meta = meta
        self.state = state
        return True

    # -- idle expiry ---------------------------------------------------------------------------

    def _arm_idle_timer(self) -> None:
        timeout = self.server.session_idle_timeout
        if timeout is None or self.transport == "stdio" or self.stateless:
            return  # a stdio process is its session; a stateless one ends with its request
        # In a context of its own: a cancelled timer keeps its context (asyncio drops only the
        # callback), and the actor's context refers to the actor, which would stay in memory
        # until the timer's time came (session_idle_timeout after the session ended).
        self._idle_timer = self._loop.call_at(
            self._last_activity + timeout, self._idle_check, context=_TIMER_CONTEXT
        )

    def _idle_check(self) -> None:
        if self._dead:
            return
        timeout = self.server.session_idle_timeout
        assert timeout is not None
        working = self._working()
        if working or self._loop.time() < self._last_activity + timeout:
            if working:
                self._last_activity = self._loop.time()
            self._arm_idle_timer()
            return
        log.info("session expired after being idle", session_id=self.session_id, idle_s=timeout)
        self.actor_ref.tell(Closed())

    def _working(self) -> bool:
        """Is a request in flight that does not just wait for the client? One that does (its
        sampling, elicitation or roots request unanswered) keeps the session only while the
        client is heard from (a frame, or an open stream's touch): a client that went away
        for good would otherwise keep the session, and the request, forever."""
        pending, outgoing = self._pending, self._outgoing
        for request_id in self._requests:
            if not any(asked in pending for asked in outgoing.get(request_id, ())):
                return True
        return False

    def on_stop(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        # The session ends: its requests end with it, its state is deleted, its transport closed.
        # (A stateless actor's scope outlives it: a principal's or a handle's state stays.)
        self._ended = True
        self._count_end()
        self._fail_inflight("the session ended")
        if not self.stateless:
            self.services.store.tell_now(("delete", self.session_id))
        self.outbox.close()

    def _count_end(self) -> None:
        reclaimer = self.services.reclaimer
        if reclaimer is not None and not self.stateless:
            reclaimer.ended(self._loop)

    def on_failure(self, *_exc_info: object) -> None:
        # A crash: the supervisor restarts this session with the same id and stored state;
        # requests in flight cannot survive it.
        self._count_end()  # its restart counts it again
        self._fail_inflight("the session restarted after an internal error; retry the request")

    def _fail_inflight(self, why: str) -> None:
        for request_id, (task, ctx) in list(self._requests.items()):
            ctx._cancelled = True
            if task is not None:
                task.cancel()
            self._send_error(InternalError(why), request_id)
        self._requests.clear()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError(f"session {self.session_id}: {why}"))
        self._pending.clear()
        self._outgoing.clear()

    def _reset(self) -> None:
        if not self.stateless:  # only request actors are reused
            return
        self.state_id = None
        self.state = {}
        self.meta = _Meta()
        self._next_out_id = 0

    def _save_meta(self) -> None:
        # A session's negotiated parameters stay under its own id (even when a state handle
        # became its state scope); a stateless actor keeps its visibility rules in its scope.
        # (Every write to the store is a `tell_now`: the store is idle nearly always, and a
        # write handled on the spot saves a loop callback; the order of writes is the same.)
        meta_id = self.state_id if self.stateless else self.session_id
        if meta_id is not None:
            self.services.store.tell_now(("meta", meta_id, self.meta))

    def _state_id(self) -> str:
        """Where state goes; a modern request without a scope gets a clear error."""
        if self.state_id is None:
            raise NoStateScopeError(
                "this 2026-07-28 request has no state scope, so there is no session state to "
                "read or write (the stateless era has no sessions). Get a scope: mint a state "
                "handle with `await ctx.new_state_handle()`, return it to the client and have "
                "it send the handle in "
                f"_meta[{modern.META_STATE_HANDLE!r}] (or pass it to ctx.use_state_handle); "
                "serve authenticated clients with principal_state=True; or use stdio, where "
                "the process is one scope. Values for this request only: "
                "ctx.set_state(key, value, serializable=False)"
            )
        return self.state_id

    # -- messages ----------------------------------------------------------------------------

    def on_receive(self, message: Any) -> Any:
        kind = type(message)
        if kind is Frame:
            if message.reset:
                self._reset()
            self._http = message.http
            try:
                decoded = message.decoded
                if decoded is None:
                    self._on_frame(message.data)
                else:
                    self._last_activity = self._loop.time()
                    self._on_message(decoded)
            finally:
                self._http = None
            return None
        if kind is Op:
            return getattr(self, _op_attr(message.name))(*message.args)
        if kind is Closed:
            self.exit(NORMAL)
            return None
        if kind is Touch:
            self._last_activity = self._loop.time()
            return None
        if kind is Broadcast:
            self._on_broadcast(message)
            return None
        return super().on_receive(message)

    def request_op(self, name: str, *args: Any) -> LoopFuture[Any]:
        """Send a `Context` operation to this session (thread-safe; see `Context`).

        From one of this session's own request tasks, while the session is idle (nothing
        queued, no handler running), a sync operation is handled at once: the same handler the
        message would reach, in the same order (there is nothing before it), without the two
        loop iterations of an ask (`await ctx.get_state(...)` in an async tool). An exception
        is the caller's answer either way.
        """
        if self._idle_here() and LoopActor.current() is self:
            method = self._sync_op(name)
            if method is not None:
                done: LoopFuture[Any] = LoopFuture()
                try:
                    done.set(method(*args))
                except Exception as exc:
                    done.set_exception(exc)
                return done
        future: LoopFuture[Any] = self.actor_ref.ask(Op(name, args), block=False)
        return future

    def _sync_op(self, name: str) -> Callable[..., Any] | None:
        """The bound handler of operation `name` when it is a plain `def` (else None)."""
        sync = _SYNC_OPS.get(name)
        if sync is None:
            found = getattr(type(self), _op_attr(name), None)
            sync = _SYNC_OPS[name] = found is not None and not inspect.iscoroutinefunction(found)
        return cast("Callable[..., Any]", getattr(self, _op_attr(name))) if sync else None

    def _on_frame(self, data: bytes) -> None:
        self._last_activity = self._loop.time()
        version = self.meta.protocol_version
        batching = version is not None and versions.features(version).batching
        try:
            decoded = jsonrpc.decode(data, allow_batch=batching)
        except McpError as exc:
            self._on_undecodable(exc)
            return
        if isinstance(decoded, jsonrpc.Batch):
            self._on_batch(decoded)
            return
        self._on_message(decoded)

    def _on_undecodable(self, exc: McpError) -> None:
        """A message that is not valid JSON-RPC: answer it with the error; but a malformed
        response answers a request of ours, which fails with it (its handler is waiting), and
        its id is ours, not one of the client's requests: an error sent back has no id."""
        if type(exc) is not InvalidResponse:
            self._send_error(exc, exc.request_id)
            return
        request_id = exc.request_id
        future = self._pending.pop(request_id, None) if request_id is not None else None
        if future is not None:
            future.set_exception(exc)
            return
        log.warning("malformed response", session_id=self.session_id, request_id=request_id)
        exc.request_id = None
        self._send_error(exc, None)

    # -- batches (2025-03-26): the responses to one batch go back as one JSON array -----------

    def _on_batch(self, batch: jsonrpc.Batch) -> None:
        collected = _Collected()
        self._collecting = collected
        try:
            for item in batch.items:
                if isinstance(item, McpError):
                    self._on_undecodable(item)
                else:
                    self._on_message(item)
        finally:
            self._collecting = None
        for request_id in self._requests:
            if request_id in collected.started:
                self._batch_of[request_id] = collected
                collected.waiting.add(request_id)
        self._flush_if_complete(collected)

    def _emit(self, frame: bytes, request_id: RequestId | None) -> None:
        """Send a response, or hold it for the batch it belongs to."""
        collecting = self._collecting
        if collecting is not None:
            collecting.parts.append(frame)
            return
        collected = self._batch_of.pop(request_id, None) if request_id is not None else None
        if collected is None:
            self.outbox.send(frame, request_id)
            return
        collected.parts.append(frame)
        collected.waiting.discard(request_id)
        self._flush_if_complete(collected)

    def _no_response(self, request_id: RequestId) -> None:
        """A request ends without a response (cancelled). In a batch: stop waiting for it.
        Then, when nothing at all will answer what it came in, tell an outbox that carries
        each request on a stream of its own (streamable HTTP), so that the stream ends."""
        collected = self._batch_of.pop(request_id, None)
        if collected is not None:
            collected.waiting.discard(request_id)
            if collected.waiting or collected.parts:
                self._flush_if_complete(collected)
                return
        unanswered = getattr(self.outbox, "no_response", None)
        if unanswered is not None:
            unanswered(request_id)

    def _flush_if_complete(self, collected: _Collected) -> None:
        if collected.waiting or not collected.parts:
            return
        frame = b"[" + b",".join(collected.parts) + b"]"
        collected.parts = []
        self.outbox.send(frame, None)

    def _on_message(self, message: jsonrpc.Message) -> None:
        try:
            self._dispatch(message)
        except Exception:
            # A bug in the session's own handling: answer the request (never leave a client
            # waiting), then let it crash; the restarted session keeps state and parameters.
            if isinstance(message, jsonrpc.Request):
                self._send_error(InternalError("internal error in the session"), message.id)
            raise

    def _dispatch(self, message: jsonrpc.Message) -> None:
        kind = type(message)
        if kind is jsonrpc.Request:
            assert isinstance(message, jsonrpc.Request)
            self._on_request(message)
        elif kind is jsonrpc.Notification:
            assert isinstance(message, jsonrpc.Notification)
            self._on_notification(message)
        else:
            assert isinstance(message, jsonrpc.Response | jsonrpc.ErrorResponse)
            self._on_response(message)

    # -- requests from the client ------------------------------------------------------------

    def _on_request(self, request: jsonrpc.Request) -> None:
        request_id, method = request.id, request.method
        if self.stateless or (
            self.meta.protocol_version is None  # (in a legacy session: legacy, no decode)
            and versions.era_of_request(method, request.params) is versions.Era.MODERN
        ):
            self._on_modern_request(request)
            return
        if self._id_in_use(request_id):
            return
        if method == "initialize":
            self._initialize(request)
            return
        if method == "ping":
            self._send_result(request_id, _EMPTY)
            return
        handler = HANDLERS.get(method)
        if handler is None and method != "logging/setLevel":
            # Unknown whatever the state (a 2026-07-28 client probing with server/discover
            # learns at once that this session speaks the legacy era).
            self._send_error(MethodNotFound.for_method(method), request_id)
            return
        if self.meta.protocol_version is None:
            self._send_error(
                InvalidRequest(f"{method!r} before initialize: send initialize first"),
                request_id,
            )
            return
        if handler is None:
            self._set_level(request)
            return
        params = self._params(request)
        if params is None:
            return
        meta = getattr(params, "meta", None) or {}
        ctx = self._new_context(
            request_id, meta, self.meta.client_capabilities, self.meta.client_info
        )
        self._start(request_id, handler, params, ctx)

    def _new_context(
        self,
        request_id: RequestId,
        meta: Any,
        capabilities: Any,
        client_info: Any,
        **modern: Any,
    ) -> Context:
        """The `Context` of one request of this session (`modern`: the 2026-07-28 extras)."""
        return Context(
            session=self,
            server=self.server,
            request_context=self._request_context(request_id, meta),
            session_id=self.session_id,
            capabilities=capabilities,
            client_info=client_info,
            lifespan_context=self.services.lifespan_context,
            progress_token=types.progress_token(meta),
            principal=self.principal,
            **modern,
        )

    def _id_in_use(self, request_id: RequestId) -> bool:
        """True (and the client told) when a request in flight already has this id."""
        if request_id not in self._requests:
            return False
        self._send_error(
            InvalidRequest(
                f"request id {request_id!r} is already in use by a request in flight; use a new id"
            ),
            request_id,
        )
        return True

    def _start(
        self,
        request_id: RequestId,
        handler: Callable[[SessionActor, Any, Context], Any],
        params: Any,
        ctx: Context,
        method: str | None = None,
    ) -> None:
        run = self._run(request_id, handler, params, ctx, method)
        # Eagerly when the call completes without suspending: no task and no loop iteration,
        # its answer sent before this returns. It is in `_requests` (without a task) meanwhile.
        eager = self._completes_at_once(handler, params)
        task = None if eager else self.start_task(run)
        self._requests[request_id] = (task, ctx)
        if self._collecting is not None:
            self._collecting.started.add(request_id)
        if eager:
            task = self.start_task_eagerly(run)
            if task is not None and request_id in self._requests:  # it suspended after all
                self._requests[request_id] = (task, ctx)

    def _completes_at_once(self, handler: Any, params: Any) -> bool:
        """A `tools/call` of a quick sync tool that runs on the loop (`components._invoke`),
        with no timeout: nothing in it awaits. Only such a call runs outside a task: a first
        step that is not in a task cannot use `asyncio.timeout` or anything else that needs
        `asyncio.current_task()` (Python 3.12's eager tasks can; 3.11 has none)."""
        if handler is not call_tool:
            return False
        tool = self.server.get_tool(params.name, visible=self.visibility)
        return tool is not None and tool.timeout is None and getattr(tool.handler, "inline", False)

    # -- 2026-07-28 requests (stateless: everything the request needs is in its _meta) --------

    def _on_modern_request(self, request: jsonrpc.Request) -> None:
        request_id, method = request.id, request.method
        if self._id_in_use(request_id):
            return
        view = _modern_view(request.params)
        http = self._http
        headers = http.headers if http is not None else None
        try:
            meta = modern.request_meta(
                view.meta,
                header_version=None if headers is None else headers.get("mcp-protocol-version"),
            )
            if headers is not None:
                modern.check_standard_headers(method, {"name": view.name, "uri": view.uri}, headers)
        except McpError as exc:
            self._send_error(exc, request_id)
            return
        if method == "server/discover":
            self._send_modern(request_id, self._discover(meta.protocol_version))
            return
        if method == "subscriptions/listen":
            params: Any = view.notifications if isinstance(view.notifications, dict) else {}
            handler: Any = listen
        else:
            handler = HANDLERS.get(method)
            if handler is None or method in modern.REMOVED_METHODS:
                self._send_error(MethodNotFound.for_method(method), request_id)
                return
            params = self._params(request)
            if params is None:
                return
        input_round = None
        if method in modern.INPUT_METHODS:
            input_round = self._input_round(method, params, request_id)
            if input_round is None:
                return
        raw_meta = view.meta or {}
        ctx = self._new_context(
            request_id,
            raw_meta,
            meta.client_capabilities,
            meta.client_info,
            modern=True,
            log_level=meta.log_level,
            input_round=input_round,
        )
        if meta.state_handle is not None and self.stateless:
            self.start_task(
                self._modern_with_handle(request_id, handler, params, ctx, method, meta)
            )
            return
        self._start(request_id, handler, params, ctx, method)

    async def _modern_with_handle(
        self,
        request_id: RequestId,
        handler: Any,
        params: Any,
        ctx: Context,
        method: str,
        meta: modern.ModernMeta,
    ) -> None:
        assert meta.state_handle is not None
        try:
            await self._op_use_handle(meta.state_handle)
        except NoStateScopeError as exc:
            self._send_error(InvalidParams(str(exc), {"field": "_meta"}), request_id)
            return
        self._start(request_id, handler, params, ctx, method)

    def _input_round(self, method: str, params: Any, request_id: RequestId) -> InputRound | None:
        """The MRTR state of this attempt, from `inputResponses` and the sealed state."""
        bind = f"{method}:{getattr(params, 'name', None) or getattr(params, 'uri', '')}"
        answers: dict[str, Any] = {}
        carried: dict[str, Any] = {}
        token = params.request_state
        if token is None and not params.input_responses:  # a first round (most requests)
            return InputRound(bind, answers, carried)
        if token is not None:
            try:
                opened = self.server.state_sealer.unseal(token, bind)
            except McpError as exc:
                self._send_error(exc, request_id)
                return None
            if isinstance(opened, dict):
                answers.update(opened.get("answers") or {})
                carried.update(opened.get("state") or {})
        for key, value in (params.input_responses or {}).items():
            if isinstance(value, dict):
                answers[key] = value
        return InputRound(bind, answers, carried)

    def _discover(self, version: str) -> Any:
        server = self.server
        return {
            "supportedVersions": list(versions.SUPPORTED_VERSIONS),
            "capabilities": self.capabilities(version),
            **({"instructions": server.instructions} if server.instructions else {}),
        }

    def _send_modern(
        self,
        request_id: RequestId,
        result: Any,
        method: str | None = "server/discover",
        result_type: str = "complete",
    ) -> None:
        """Answer a modern request: the result with `resultType`, serverInfo, caching hints."""
        server = self.server
        cache = server.cache_hint_for(method, result) if method in modern.CACHEABLE else None
        if method == "server/discover":
            cache = server.list_cache
        own_meta = getattr(result, "meta", None)
        if own_meta is not None:
            result = msgspec.structs.replace(result, meta=None)
        stamped = server.result_stamp.stamp(_ENCODE(result), result_type, cache, own_meta)
        self._emit(
            jsonrpc.encode(jsonrpc.Response(id=request_id, result=msgspec.Raw(stamped))),
            request_id,
        )

    def _send_input_required(self, request_id: RequestId, ctx: Context) -> None:
        input_round = ctx._round
        assert input_round is not None
        try:
            state = self.server.state_sealer.seal(input_round.sealed_payload(), input_round.bind)
        except (TypeError, ValueError, OverflowError, msgspec.EncodeError) as exc:
            # A handler kept a value that is not JSON in `ctx.round_state` (or `ctx.once`):
            # answer the request (raising here would crash the session, unanswered).
            log.error("round state not sealable", session_id=self.session_id, error=str(exc))
            failed = InternalError(
                "internal error: the values this request keeps across rounds "
                f"(ctx.round_state, ctx.once) must be JSON values ({exc})"
            )
            self._send_error(failed, request_id)
            return
        result = {"inputRequests": input_round.requests, "requestState": state}
        self._send_modern(request_id, result, None, "input_required")

    def _request_context(self, request_id: RequestId, meta: Any) -> RequestContext:
        http = self._http
        if http is None:
            return RequestContext(request_id, self.transport, meta=meta)
        return RequestContext(
            request_id,
            self.transport,
            path=http.path,
            query_params=http.query_params,
            headers=http.headers,
            meta=meta,
        )

    async def _run(
        self,
        request_id: RequestId,
        handler: Callable[[SessionActor, Any, Context], Any],
        params: Any,
        ctx: Context,
        method: str | None = None,
    ) -> None:
        ctx._enter()
        stack = ctx._stack = contextlib.AsyncExitStack()
        reply: Callable[[], None] | None = None
        try:
            result = await handler(self, params, ctx)
            if not ctx.modern:
                reply = functools.partial(self._send_result, request_id, result)
            elif ctx._round is not None and ctx._round.needs_input:
                # The handler caught InputRequired and went on: the input is still needed.
                reply = functools.partial(self._send_input_required, request_id, ctx)
            else:
                reply = functools.partial(self._send_modern, request_id, result, method)
        except InputRequired:
            reply = functools.partial(self._send_input_required, request_id, ctx)
        except asyncio.CancelledError:
            # Cancelled by the client, or by `_fail_inflight` (which answered): no response.
            # Otherwise the actor was killed and no hook ran: answer, or the client waits forever.
            if not ctx._cancelled:
                ctx._cancelled = True  # a sync handler still running in the pool can see it
                killed = InternalError(
                    "the session was killed while handling this request; retry it"
                )
                reply = functools.partial(self._send_error, killed, request_id)
            else:
                reply = functools.partial(self._no_response, request_id)
        except McpError as exc:
            if ctx.modern and exc.code == RESOURCE_NOT_FOUND:  # -32602 + data.uri since 2026
                exc = InvalidParams(exc.message, exc.data)
            reply = functools.partial(self._send_error, exc, request_id)
        except BaseException as exc:
            # Also SystemExit & co. from a handler (sys.exit() in a tool): escaping this task it
            # would crash the session unanswered, and asyncio re-raises SystemExit out of the
            # loop, stopping the whole runtime.
            if isinstance(exc, KeyboardInterrupt):
                raise
            log.exception("request failed", session_id=self.session_id, request_id=request_id)
            failed = InternalError(f"internal error: {type(exc).__name__}")
            reply = functools.partial(self._send_error, failed, request_id)
        finally:
            ctx._exit()
            # The request's dependencies are cleaned up before its answer goes out, so a
            # client that has the answer sees their cleanups done. Only `ctx.dependency()`
            # fills the stack: with none resolved, skip the shielded close (a task and two
            # loop iterations on every request).
            if ctx._dependencies:
                await _close_dependencies(stack, self.session_id, request_id)
            if self._outgoing:
                self._withdraw(request_id)
            self._requests.pop(request_id, None)
            if reply is not None:
                reply()

    def on_loop(self, make: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run `make()` as a task of this session, from the loop or from a pool thread."""
        self._sv_runtime.call_on_loop(lambda: self.start_task(make()))

    def nested(self, method: str, params: Any, ctx: Context) -> LoopFuture[Any]:
        """Run `method` through the pipeline for a handler of this session (thread-safe).

        List methods return every page concatenated.
        """
        future: LoopFuture[Any] = LoopFuture()
        handler = HANDLERS[method]

        async def run() -> None:
            try:
                if params is None:  # a list: walk the pages
                    items: list[Any] = []
                    cursor = None
                    while True:
                        page = await handler(self, types.PaginatedRequestParams(cursor=cursor), ctx)
                        items.extend(getattr(page, _LIST_FIELDS[method]))
                        cursor = page.next_cursor
                        if cursor is None:
                            break
                    future.set(items)
                else:
                    future.set(await handler(self, params, ctx))
            except BaseException as exc:
                future.set_exception(exc)

        self.on_loop(run)
        return future

    def run_sync(self, fn: Callable[[], Any]) -> asyncio.Future[Any]:
        """Run a sync handler in the server's bounded pool, with the caller's contextvars."""
        return self.services.pool.run(fn)

    def _params(self, request: jsonrpc.Request) -> Any:
        """The request's params decoded into its method's Struct, or None once an error
        (-32602 naming the bad field) has been sent."""
        try:
            return types.decode_request_params(
                request.method, request.params, request_id=request.id
            )
        except McpError as exc:
            self._send_error(exc, request.id)
            return None

    def _initialize(self, request: jsonrpc.Request) -> None:
        params = self._params(request)
        if params is None:
            return
        assert isinstance(params, types.InitializeRequestParams)
        if self.meta.protocol_version is not None:
            self._send_error(InvalidRequest("this session is already initialized"), request.id)
            return
        version = versions.negotiate(params.protocol_version)
        self.meta.protocol_version = version
        self.meta.client_capabilities = params.capabilities
        self.meta.client_info = params.client_info
        self._save_meta()
        server = self.server
        result = types.InitializeResult(
            protocol_version=version,
            capabilities=self.capabilities(version),
            server_info=server.server_info(),
            instructions=server.instructions,
        )
        self._send_result(request.id, result)

    def capabilities(self, version: str) -> types.ServerCapabilities:
        """What this server offers, advertising only what exists."""
        server = self.server
        return _capabilities(
            bool(server.tools),
            bool(server.resources or server.resource_templates),
            bool(server.prompts),
            server.has_completions,
            version,
        )

    # -- subscriptions/listen (2026-07-28) --------------------------------------------------

    def add_listener(self, request_id: RequestId, wanted: dict[str, Any]) -> dict[str, Any]:
        """Register a `subscriptions/listen` stream; returns the filter honoured."""
        honoured: dict[str, Any] = {}
        for kind in ("toolsListChanged", "promptsListChanged", "resourcesListChanged"):
            if wanted.get(kind) is True:
                honoured[kind] = True
        uris = wanted.get("resourceSubscriptions")
        if isinstance(uris, list) and all(isinstance(u, str) for u in uris):
            honoured["resourceSubscriptions"] = list(uris)
        self._listeners[request_id] = honoured
        self._notify(
            "notifications/subscriptions/acknowledged",
            {"notifications": honoured, "_meta": {versions.META_SUBSCRIPTION_ID: request_id}},
            request_id,
        )
        return honoured

    def remove_listener(self, request_id: RequestId) -> None:
        self._listeners.pop(request_id, None)

    def _notify_listeners(self, event: Broadcast) -> None:
        kind = _LISTEN_KINDS.get(event.method)
        for listen_id, wanted in self._listeners.items():
            tag = {versions.META_SUBSCRIPTION_ID: listen_id}
            if kind is not None and wanted.get(kind):
                self._notify(event.method, {"_meta": tag}, listen_id)
            elif event.method == "notifications/resources/updated" and event.uri in wanted.get(
                "resourceSubscriptions", ()
            ):
                self._notify(event.method, {"uri": event.uri, "_meta": tag}, listen_id)

    def _set_level(self, request: jsonrpc.Request) -> None:
        params = self._params(request)
        if params is None:
            return
        assert isinstance(params, types.SetLevelRequestParams)
        self.meta.log_level = params.level
        self._save_meta()
        self._send_result(request.id, _EMPTY)

    # -- notifications from the client -------------------------------------------------------

    def _on_notification(self, notification: jsonrpc.Notification) -> None:
        method = notification.method
        if method == "notifications/initialized":
            self.meta.initialized = True
            self._save_meta()
        elif method == "notifications/cancelled":
            try:
                params = types.decode_notification_params(method, notification.params)
            except McpError:
                return  # a notification gets no error response
            assert isinstance(params, types.CancelledNotificationParams)
            request_id = params.request_id  # 0 is a valid id: test against None
            entry = self._requests.pop(request_id, None) if request_id is not None else None
            if entry is not None and request_id is not None:
                task, ctx = entry
                ctx._cancelled = True
                if task is not None:
                    task.cancel()
                    if _never_ran(task):
                        # Cancelled before its first step, `_run` never starts: nor does its
                        # `finally`, which tells the request's batch not to wait for it.
                        self._no_response(request_id)
        # Other notifications (progress, roots/list_changed...) need no action here yet.

    # -- responses from the client (to our requests) -----------------------------------------

    def _on_response(self, message: jsonrpc.Response | jsonrpc.ErrorResponse) -> None:
        request_id = message.id
        future = self._pending.pop(request_id, None) if request_id is not None else None
        if future is None:
            log.warning(
                "response to no pending request", session_id=self.session_id, request_id=request_id
            )
            return
        if isinstance(message, jsonrpc.ErrorResponse):
            future.set_exception(message.error.to_exception(request_id))
        else:
            future.set(message.result)

    # -- Context operations (run inside the actor) -------------------------------------------

    def _op_get_state(self, key: str, default: Any) -> Any:
        self._state_id()
        return self.state.get(key, default)

    def _op_set_state(self, key: str, value: Any) -> None:
        state_id = self._state_id()
        self.state[key] = value
        self.services.store.tell_now(("set", state_id, key, value))

    def _op_delete_state(self, key: str) -> None:
        state_id = self._state_id()
        if key in self.state:  # a stored None is a value too: delete it in the store as well
            del self.state[key]
            self.services.store.tell_now(("del", state_id, key))

    def _op_new_handle(self) -> str:
        """Mint a state handle; a stateless request actor takes it as its scope (empty).

        A session (legacy, or a stdio/in-memory connection: one scope) keeps its own scope:
        switching would silently hide the state it has for the rest of the session.
        """
        handle = "h_" + secrets.token_urlsafe(24)
        scope = _HANDLE_PREFIX + handle
        self.services.store.tell_now(("meta", scope, None))
        if self.stateless:
            self.state_id = scope
            self.state = {}
        return handle

    async def _op_use_handle(self, handle: str) -> None:
        """Make the state stored under `handle` this actor's scope."""
        if not isinstance(handle, str) or not handle.startswith("h_"):
            raise NoStateScopeError(f"{handle!r} is not a state handle (ctx.new_state_handle())")
        own_meta = self.meta
        if not await self._load(_HANDLE_PREFIX + handle):
            raise NoStateScopeError(
                f"unknown or expired state handle {handle!r}: mint a new one with "
                "ctx.new_state_handle()"
            )
        if not self.stateless:  # a session keeps its own parameters (version, capabilities)
            self.meta = own_meta
        self.state_id = _HANDLE_PREFIX + handle

    def _op_log(
        self, level: str, data: Any, logger_name: str | None, related: RequestId | None
    ) -> bool:
        if LEVELS.get(level) is None:
            raise ValueError(f"unknown log level {level!r}; one of {sorted(LEVELS)}")
        threshold = self.meta.log_level
        entry = self._requests.get(related) if related is not None else None
        if entry is not None and entry[1].modern:
            threshold = entry[1].log_level
            if threshold is None:  # 2026-07-28: no logLevel in _meta, no log messages
                return False
        if threshold is not None and LEVELS[level] < LEVELS[threshold]:
            return False
        params = types.LoggingMessageNotificationParams(
            level=cast(types.LoggingLevel, level), data=data, logger=logger_name
        )
        self._notify("notifications/message", params, related)
        return True

    def _op_progress(
        self,
        token: str | int,
        progress: float,
        total: float | None,
        message: str | None,
        related: RequestId | None,
    ) -> bool:
        params = types.ProgressNotificationParams(
            progress_token=token, progress=progress, total=total, message=message
        )
        self._notify("notifications/progress", params, related)
        return True

    def visible(self, component: Any) -> bool:
        """Whether this session sees `component` (its `enabled` flag, then the rules)."""
        shown = bool(component.enabled)
        for enable, selector in self.meta.visibility:
            if selector.matches(component):
                shown = enable
        return shown

    @property
    def visibility(self) -> Callable[[Any], bool] | None:
        """The predicate for lookups and lists: None (the server's default) without rules."""
        return self.visible if self.meta.visibility else None

    def _visible_keys(self) -> dict[str, set[str]]:
        server, check = self.server, self.visibility
        return {
            "tools": {c.key for c in server.visible_tools(check)},
            "resources": {c.key for c in server.visible_resources(check)}
            | {c.key for c in server.visible_resource_templates(check)},
            "prompts": {c.key for c in server.visible_prompts(check)},
        }

    def _op_visibility(self, action: str, selector: Any, related: RequestId | None) -> bool:
        """Enable/disable what `selector` selects (or reset); notify list changes only."""
        before = self._visible_keys()
        if action == "reset":
            self.meta.visibility = []
        else:
            self.meta.visibility.append((action == "enable", selector))
        self._save_meta()
        after = self._visible_keys()
        changed = False
        for kind, keys in after.items():
            if keys != before[kind]:
                changed = True
                self._notify(f"notifications/{kind}/list_changed", None, related)
        return changed

    def _op_broadcast(self, method: str, uri: str | None) -> None:
        """Tell every session of this server (this one included) about a server-wide event."""
        sessions = self.services.sessions
        if sessions is None:
            self._on_broadcast(Broadcast(method, uri))
            return
        event = Broadcast(method, uri)

        def each(rows_f: LoopFuture[Any]) -> None:
            for row in rows_f.result() if rows_f.exception() is None else ():
                if row.ref is not None:
                    try:
                        row.ref.tell(event)
                    except Exception:  # a session that just ended
                        pass

        which_children(sessions).add_done_callback(each)

    def _on_broadcast(self, event: Broadcast) -> None:
        if self._listeners:
            self._notify_listeners(event)
        if self.meta.protocol_version is None:
            return
        if event.method == "notifications/resources/updated":
            if event.uri in self.meta.subscriptions:
                self._notify(event.method, {"uri": event.uri}, None)
        else:
            self._notify(event.method, None, None)

    def _op_notify(self, method: str, params: Any, related: RequestId | None) -> None:
        self._notify(method, params, related)

    def _op_close_stream(self, related: RequestId | None) -> bool:
        """Ask the transport to end the connection of this request's stream (optional)."""
        close_stream = getattr(self.outbox, "close_stream", None)
        if related is None or close_stream is None:
            return False
        return bool(close_stream(related))

    def _op_request(self, method: str, params: Any, related: RequestId | None) -> LoopFuture[Any]:
        """Send a request to the client; the returned future gets the raw result."""
        self._next_out_id += 1
        request_id = f"s{self._next_out_id}"
        future: LoopFuture[Any] = LoopFuture()
        self._pending[request_id] = future
        if related is not None:
            self._outgoing.setdefault(related, []).append(request_id)
        self._send(jsonrpc.Request(id=request_id, method=method, params=params), related)
        return future

    def _withdraw(self, related: RequestId) -> None:
        """Request `related` ended: stop waiting for the answers to its requests to the client
        and tell the client so (nobody would read them, and a client that dropped them would
        keep their entries here for good)."""
        for request_id in self._outgoing.pop(related, ()):
            future = self._pending.pop(request_id, None)
            if future is None:  # answered
                continue
            self._notify(
                "notifications/cancelled",
                {"requestId": request_id, "reason": "the request that needed it has ended"},
                related,
            )
            if not future.done():  # (a sync handler may still be blocked on it)
                future.set_exception(
                    asyncio.CancelledError(f"request {related!r} ended before the client answered")
                )

    def warn_no_progress_token(self, request_id: RequestId | None) -> None:
        log.warning(
            "report_progress: the client sent no progressToken with this request, so "
            "progress is not sent (the client did not ask for it)",
            session_id=self.session_id,
            request_id=request_id,
        )

    # -- output ------------------------------------------------------------------------------

    def _send(self, message: jsonrpc.Message, related: RequestId | None) -> None:
        if self._ended and not isinstance(message, jsonrpc.Response | jsonrpc.ErrorResponse):
            return
        self.outbox.send(jsonrpc.encode(message), related)

    def _notify(self, method: str, params: Any, related: RequestId | None) -> None:
        self._send(jsonrpc.Notification(method=method, params=params), related)

    def _send_result(self, request_id: RequestId, result: Any) -> None:
        self._emit(jsonrpc.encode(jsonrpc.Response(id=request_id, result=result)), request_id)

    def _send_error(self, exc: McpError, request_id: RequestId | None) -> None:
        self._emit(jsonrpc.encode(jsonrpc.error_response(exc, request_id)), request_id)


async def _close_dependencies(
    stack: contextlib.AsyncExitStack, session_id: str, request_id: RequestId
) -> None:
    """Run a request's dependency cleanups (LIFO), even when the request was cancelled."""
    try:
        await asyncio.shield(stack.aclose())
    except asyncio.CancelledError:
        pass
    except Exception:
        log.exception("a dependency cleanup failed", session_id=session_id, request_id=request_id)


class SessionSink:
    """The `FrameSink` a transport feeds: delivers to the current incarnation of a session.

    A restarted session has a new ref; the sink finds it again by its registered name. A
    request that arrives after the session ended is answered with an error on `outbox`, so
    no client waits for a reply that cannot come.
    """

    def __init__(
        self, runtime: Any, name: str, ref: pykka.ActorRef[Any], outbox: Outbox | None = None
    ) -> None:
        self._runtime = runtime
        self._name = name
        self._ref = ref
        self._outbox = outbox

    def _deliver(self, message: Any, attempt: int = 0, now: bool = False) -> None:
        ref = self._ref
        try:
            if now and type(ref) is LoopActorRef:
                ref.tell_now(message)
            else:
                ref.tell(message)
            return
        except ActorDeadError:
            pass
        current = self._runtime.whereis(self._name)
        if current is not None and current is not self._ref:
            self._ref = current
            self._deliver(message, attempt)
        elif self._ended_for_good():
            self._refuse(message)
        elif attempt < 50:  # crashed: its supervisor is bringing it back
            self._runtime.loop.call_later(
                0.01, functools.partial(self._deliver, message, attempt + 1)
            )
        else:
            self._refuse(message)

    def _ended_for_good(self) -> bool:
        """The session exited normally (transient: it will not be restarted)."""
        actor = self._ref._actor_weakref()
        reason = getattr(actor, "_sv_exit_reason", None)
        return isinstance(reason, str | tuple) and is_normal_exit(reason)

    def _refuse(self, message: Any) -> None:
        if type(message) is not Frame or self._outbox is None:
            return
        try:
            decoded = jsonrpc.decode(message.data)
        except McpError:
            return
        if isinstance(decoded, jsonrpc.Request):
            error = InvalidRequest(
                "this session has ended (closed, expired or its server stopped); "
                "start a new session with initialize"
            )
            self._outbox.send(jsonrpc.encode(jsonrpc.error_response(error, decoded.id)), decoded.id)
        else:
            log.warning("frame for an ended session dropped", session=self._name)

    def frame(
        self,
        data: bytes,
        http: HttpRequestInfo | None = None,
        reset: bool = False,
        decoded: jsonrpc.Message | None = None,
        now: bool = False,
    ) -> None:
        """Deliver one frame; `reset`: a reused request actor's next request; `decoded`: the
        frame's one message, decoded already (see `Frame`); `now`: handle it before returning
        when the session is idle (`LoopActorRef.tell_now`: the caller, on the loop, only
        waits for the answer next)."""
        self._deliver(Frame(data, http, reset, decoded), now=now)

    def closed(self) -> None:
        self._deliver(Closed())

    def touch(self) -> None:
        """The client is still there (an open stream): keep the session from idle expiry."""
        self._deliver(Touch())

    @property
    def alive(self) -> bool:
        """Whether the actor behind this sink still runs (a request actor is not restarted)."""
        return bool(self._ref.is_alive())
