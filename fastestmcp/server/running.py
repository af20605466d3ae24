# A running server: the supervision tree of DESIGN.md, and the handle `start()` returns.
#
#   ServerSupervisor            rest_for_one
#   ├── ServerActor             permanent: lifespan (entered on start, exited in reverse on stop)
#   ├── SessionStateStore       permanent: session state and negotiated parameters
#   ├── ToolPool                permanent: the bounded thread pool for sync handlers
#   ├── SessionSupervisor       dynamic, max_children = max_sessions; SessionActor (transient)
#   └── TaskSupervisor          dynamic, max_children = max_background_tasks (tasks issue)
#
# rest_for_one: if the server actor or the store dies, everything started after it restarts
# (sessions cannot outlive their store); a session crash only restarts that session.

from __future__ import annotations

import contextlib
import functools
import itertools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import structlog

from fastestmcp.protocol import types
from fastestmcp.server.dependencies import enter_lifespans
from fastestmcp.server.ids import new_session_id
from fastestmcp.server.outbox import Outbox
from fastestmcp.server.reclaim import Reclaimer
from fastestmcp.server.session import FreshStart, SessionActor, SessionServices, SessionSink
from supervisors import (
    ChildSpec,
    DynamicSupervisor,
    LoopActor,
    LoopActorRef,
    LoopFuture,
    Runtime,
    Supervisor,
    start_child,
    terminate_child,
)
from supervisors.threadpool import LoopThreadPool

if TYPE_CHECKING:
    import pykka

    from fastestmcp.server.definition import Server

__all__ = ["DEFAULT_POOL_SIZE", "ServerHandle", "SessionStateStore", "start", "start_async"]

#: Threads sync handlers may use at once (started on demand, so an idle server has none).
#: Sync handlers usually block on I/O: 64 lets 64 sessions each wait on one at a time.
DEFAULT_POOL_SIZE = 64

log = structlog.get_logger("fastestmcp.server")


class ServerActor(LoopActor):
    """Owns the server's lifespan: entered once on start, exited in reverse on stop."""

    def __init__(self, server: Server) -> None:
        super().__init__()
        self.server = server
        self.lifespan_context: dict[str, Any] = {}
        self._stack = contextlib.AsyncExitStack()

    async def on_start(self) -> None:  # type: ignore[override]
        try:
            self.lifespan_context = await enter_lifespans(
                self.server.lifespans, self.server, self._stack
            )
        except BaseException:
            await self._stack.aclose()  # unwind what was entered
            raise

    async def on_stop(self) -> None:  # type: ignore[override]
        await self._stack.aclose()

    def on_receive(self, message: Any) -> Any:
        if message == "lifespan_context":
            return self.lifespan_context
        return super().on_receive(message)


class SessionStateStore(LoopActor):
    """Session state and negotiated parameters, by session id (in memory).

    Subclass and override the five operations to keep state elsewhere; they are called one
    at a time, in arrival order.

    Scopes of 2026-07-28 requests (ids `handle:...` and `principal:...`) have no session
    that ends them: they are deleted after `scope_idle_timeout` seconds without a request
    (checked every `sweep_interval` seconds; None: kept until the server stops). A running
    server sets `scope_idle_timeout` to its `session_idle_timeout`.
    """

    sweep_interval = 60.0
    scope_idle_timeout: float | None = None

    def __init__(self) -> None:
        super().__init__()
        self._sessions: dict[str, tuple[Any, dict[str, Any]]] = {}
        self._used: dict[str, float] = {}
        self._sweeper: Any = None

    def on_start(self) -> None:
        if self.scope_idle_timeout is not None:
            self._sweeper = self._loop.call_later(self.sweep_interval, self._sweep)

    def on_stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()

    def _sweep(self) -> None:
        timeout = self.scope_idle_timeout
        assert timeout is not None
        deadline = self._loop.time() - timeout
        for scope, used in list(self._used.items()):
            if used < deadline:
                del self._used[scope]
                self.delete(scope)
        self._sweeper = self._loop.call_later(self.sweep_interval, self._sweep)

    def _touch(self, session_id: str) -> None:
        if session_id.startswith(("handle:", "principal:")):
            self._used[session_id] = self._loop.time()

    def load(self, session_id: str) -> tuple[Any, dict[str, Any]] | None:
        saved = self._sessions.get(session_id)
        return None if saved is None else (saved[0], dict(saved[1]))

    def save_meta(self, session_id: str, meta: Any) -> None:
        _, state = self._sessions.get(session_id, (None, {}))
        self._sessions[session_id] = (meta, state)

    def set(self, session_id: str, key: str, value: Any) -> None:
        self._sessions.setdefault(session_id, (None, {}))[1][key] = value

    def delete_key(self, session_id: str, key: str) -> None:
        saved = self._sessions.get(session_id)
        if saved is not None:
            saved[1].pop(key, None)

    def delete(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    def __len__(self) -> int:
        return len(self._sessions)

    def on_receive(self, message: Any) -> Any:
        op = message[0]
        if op != "count":
            self._touch(message[1])
        if op == "load":
            return self.load(message[1])
        if op == "meta":
            return self.save_meta(message[1], message[2])
        if op == "set":
            return self.set(message[1], message[2], message[3])
        if op == "del":
            return self.delete_key(message[1], message[2])
        if op == "delete":
            return self.delete(message[1])
        if op == "count":
            return len(self)
        return super().on_receive(message)


class ToolPool(LoopActor):
    """The bounded thread pool sync handlers run in."""

    def __init__(self, max_workers: int) -> None:
        super().__init__()
        self.executor = LoopThreadPool(max_workers, thread_name_prefix="fastestmcp-tool")

    def on_stop(self) -> None:
        self.executor.shutdown()

    def on_receive(self, message: Any) -> Any:
        if message == "executor":
            return self.executor
        return super().on_receive(message)


class ServerHandle:
    """A running server: its actor refs, sessions to open, and direct calls for tests."""

    def __init__(self, server: Server, runtime: Runtime, supervisor: pykka.ActorRef[Any]) -> None:
        self.server = server
        self.runtime = runtime
        self.supervisor = supervisor
        names = _names(server)
        self.server_actor = self._whereis(names["server"])
        self.store = self._whereis(names["store"])
        self.pool = self._whereis(names["pool"])
        self.sessions = self._whereis(names["sessions"])
        self.tasks = self._whereis(names["tasks"])
        self._owns_runtime = False
        self._direct_connection: Any = None
        self._services_cache: SessionServices | None = None
        self._request_ids = itertools.count(1)
        #: Counts sessions and gives memory back after a mass end.
        self.reclaimer = Reclaimer()

    def _whereis(self, name: str) -> LoopActorRef[Any]:
        ref = self.runtime.whereis(name)
        if ref is None:  # pragma: no cover - the tree registers every name at start
            raise RuntimeError(f"{name} is not running")
        return cast(LoopActorRef[Any], ref)  # every actor of the tree is a loop actor

    def _services(self) -> LoopFuture[SessionServices]:
        """Collect the services a session needs (current refs: the tree may have restarted)."""
        cached = self._services_cache
        if cached is not None and cached.sessions is not None and cached.sessions.is_alive():
            # rest_for_one: a restart of anything sessions use restarts their supervisor too
            ready: LoopFuture[SessionServices] = LoopFuture()
            ready.set(cached)
            return ready
        names = _names(self.server)
        store = self._whereis(names["store"])
        pool = self._whereis(names["pool"])
        server_actor = self._whereis(names["server"])
        executor_f: LoopFuture[Any] = pool.ask("executor", block=False)
        lifespan_f: LoopFuture[Any] = server_actor.ask("lifespan_context", block=False)
        out: LoopFuture[SessionServices] = LoopFuture()

        def done(_: Any) -> None:
            try:
                executor, lifespan = executor_f.result(), lifespan_f.result()
                sessions = self._whereis(names["sessions"])
                services = SessionServices(
                    self.server, store, executor, lifespan, sessions, self.reclaimer
                )
                self._services_cache = services
                out.set(services)
            except BaseException as exc:
                out.set_exception(exc)

        executor_f.join(lifespan_f).add_done_callback(done)
        return out

    def open_session(
        self,
        outbox: Outbox,
        *,
        transport: str,
        session_id: str | None = None,
        stateless: bool = False,
        state_id: str | None = None,
        principal: Any = None,
        fresh: bool = False,
    ) -> LoopFuture[tuple[str, SessionSink]]:
        """Start a session actor writing to `outbox`; resolves to (session id, its sink).

        Thread-safe. The sink is what the transport feeds frames (and `closed()`) to.
        `stateless=True` starts the actor of one 2026-07-28 request (temporary: it is not
        restarted, and keeps nothing when it ends); its session state is the scope
        `state_id` (a principal's), if any. `fresh=True`: `session_id` was just minted, so
        nothing is stored under it and the first start does not look (a session id made here
        is fresh too).
        """
        # A stateless request actor's id is never shown to a client: a counter will do.
        sid = session_id or (f"r{next(self._request_ids)}" if stateless else new_session_id())
        name = f"{self.server.name}:session:{sid}"
        out: LoopFuture[tuple[str, SessionSink]] = LoopFuture()

        def with_services(services_f: LoopFuture[SessionServices]) -> None:
            try:
                services = services_f.result()
            except BaseException as exc:
                out.set_exception(exc)
                return
            # (A request actor's state is a shared scope's, never fresh.)
            first = FreshStart() if not stateless and (fresh or session_id is None) else None
            spec = ChildSpec(
                id=name,
                start=SessionActor,
                args=(services, sid, outbox, transport, stateless, state_id, principal, first),
                restart="temporary" if stateless else "transient",
                name=name,
                type="worker",
            )

            def started(ref_f: LoopFuture[Any]) -> None:
                try:
                    ref = ref_f.result()
                except BaseException as exc:
                    out.set_exception(exc)
                    return
                out.set((sid, SessionSink(self.runtime, name, ref, outbox)))

            # `now`: on the loop (an HTTP handler opening a session) the session is up, and
            # `out` set, before this returns, unless the supervisor is busy; the caller's
            # await then does not wait.
            sessions = services.sessions  # (set by `_services`, which checked it is alive)
            assert sessions is not None
            start_child(sessions, spec, now=True).add_done_callback(started)

        self._services().add_done_callback(with_services)
        return out

    def end_session(self, session_id: str) -> LoopFuture[None]:
        """End a session as if its transport closed (its state is deleted)."""
        ref = self.runtime.whereis(f"{self.server.name}:session:{session_id}")
        if ref is None:
            done: LoopFuture[None] = LoopFuture()
            done.set(None)
            return done
        return terminate_child(self.sessions, ref)

    # -- direct calls (tests, scripts): one in-memory session of the handle's own --------------

    def _direct(self) -> Any:
        connection = self._direct_connection
        if connection is None:
            # The in-memory transport sits above this layer; imported here, when first used.
            from fastestmcp.transports.memory import MemoryConnection

            connection = self._direct_connection = MemoryConnection.open(self)
        return connection

    def _call(self, method: str, params: Any) -> LoopFuture[Any]:
        future: LoopFuture[Any] = self._direct().request_future(method, params)
        return future.map(lambda result: types.decode_result(method, result))

    def call_tool(
        self, name: str, arguments: Mapping[str, Any] | None = None
    ) -> LoopFuture[types.CallToolResult]:
        """Call a tool through the whole pipeline, from any thread but a loop's.

        `handle.call_tool("add", {"a": 1, "b": 2}).get(timeout=5)`; the calls share one
        session of the handle's own, so session state carries over between them.
        """
        return self._call("tools/call", {"name": name, "arguments": dict(arguments or {})})

    def read_resource(self, uri: str) -> LoopFuture[types.ReadResourceResult]:
        """Read a resource through the pipeline (see `call_tool`)."""
        return self._call("resources/read", {"uri": uri})

    def get_prompt(
        self, name: str, arguments: Mapping[str, str] | None = None
    ) -> LoopFuture[types.GetPromptResult]:
        """Render a prompt through the pipeline (see `call_tool`)."""
        return self._call("prompts/get", {"name": name, "arguments": dict(arguments or {})})

    def list_tools(self) -> LoopFuture[types.ListToolsResult]:
        """The first page of tools/list (see `call_tool`)."""
        return self._call("tools/list", None)

    def stop(self) -> None:
        """Stop the server's tree (sessions first, lifespan last); and its runtime if owned."""
        if self._owns_runtime:
            self.runtime.stop()
            return
        from supervisors import delete_child
        from supervisors import terminate_child as _terminate

        root = _names(self.server)["root"]
        with contextlib.suppress(Exception):
            _terminate(self.runtime.root, root).get(timeout=30)
        # Forget the spec too, so the server can be started on this runtime again.
        with contextlib.suppress(Exception):
            delete_child(self.runtime.root, root).get(timeout=30)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@functools.lru_cache(maxsize=256)
def _names_of(prefix: str) -> dict[str, str]:
    return {
        "root": f"{prefix}:tree",
        "server": f"{prefix}:server",
        "store": f"{prefix}:store",
        "pool": f"{prefix}:pool",
        "sessions": f"{prefix}:sessions",
        "tasks": f"{prefix}:tasks",
    }


def _names(server: Server) -> dict[str, str]:
    return _names_of(server.name)


def tree_spec(
    server: Server,
    *,
    pool_size: int = DEFAULT_POOL_SIZE,
    state_store: type[SessionStateStore] | None = None,
) -> ChildSpec:
    """The child spec of a server's whole tree (to embed it in a supervisor of your own).

    `state_store`: a `SessionStateStore` subclass keeping session state elsewhere (its
    five operations overridden); the in-memory store by default.
    """
    store_class = state_store or SessionStateStore
    if not (isinstance(store_class, type) and issubclass(store_class, SessionStateStore)):
        raise TypeError(f"state_store must be a SessionStateStore subclass, not {store_class!r}")
    names = _names(server)
    # The store expires 2026-07-28 scopes like sessions (same idle timeout).
    store_class = type(
        store_class.__name__,
        (store_class,),
        {"scope_idle_timeout": server.session_idle_timeout, "__module__": store_class.__module__},
    )
    children = [
        ChildSpec("server", ServerActor, args=(server,), name=names["server"]),
        ChildSpec("store", store_class, name=names["store"]),
        ChildSpec("pool", ToolPool, args=(pool_size,), name=names["pool"]),
        ChildSpec(
            "sessions",
            DynamicSupervisor,
            kwargs={"max_children": server.max_sessions, "max_restarts": 10, "max_seconds": 10},
            name=names["sessions"],
        ),
        ChildSpec("tasks", DynamicSupervisor, name=names["tasks"]),
    ]
    return Supervisor.child_spec(names["root"], children, strategy="rest_for_one")


def start(
    server: Server,
    *,
    runtime: Runtime | None = None,
    pool_size: int = DEFAULT_POOL_SIZE,
    state_store: type[SessionStateStore] | None = None,
) -> ServerHandle:
    """Start `server`'s supervision tree and return its handle (blocking; any thread but a loop).

    Without `runtime`, a new runtime is started in a thread of its own and stopped with the
    handle.
    """
    owns = runtime is None
    rt = runtime if runtime is not None else Runtime(f"fastestmcp:{server.name}").start()
    try:
        spec = tree_spec(server, pool_size=pool_size, state_store=state_store)
        sup = start_child(rt.root, spec).get(timeout=60)
    except BaseException:
        if owns:
            rt.stop()
        raise
    handle = ServerHandle(server, rt, sup)
    handle._owns_runtime = owns
    return handle


async def start_async(
    server: Server,
    runtime: Runtime,
    *,
    pool_size: int = DEFAULT_POOL_SIZE,
    state_store: type[SessionStateStore] | None = None,
) -> ServerHandle:
    """Start `server`'s tree on a runtime attached to the running loop."""
    spec = tree_spec(server, pool_size=pool_size, state_store=state_store)
    sup = await start_child(runtime.root, spec)
    return ServerHandle(server, runtime, sup)
