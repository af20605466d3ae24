# The `Context`: the explicit handle a handler receives.
#
# Identity and request metadata are plain attributes, read without a message. Everything that
# talks to an actor (session state, logging, progress, notifications, requests to the client)
# sends a message to the session actor and returns a `LoopFuture`: `await` it in an async
# handler, `.get(timeout=...)` it in a sync one (sync handlers run on pool threads), or ignore
# it for fire-and-forget notifications. Request state lives in the context itself (one
# operation) and its futures are already done.
#
# The signature inspector (`signature.py`) recognises a handler parameter annotated `Context`
# (or `Context | None`), under any name, and passes the context there.

"""The explicit handle every handler can ask for by annotating a parameter `Context`."""

from __future__ import annotations

import contextlib
import contextvars
import inspect
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from fastestmcp.protocol import types
from fastestmcp.protocol.errors import McpError, MissingRequiredClientCapability
from fastestmcp.server.elicitation import elicitation_schema, parse_elicitation
from fastestmcp.server.modern import InputRound
from fastestmcp.server.visibility import Selector
from supervisors import LoopFuture

if TYPE_CHECKING:
    from fastestmcp.server.definition import Server
    from fastestmcp.server.session import SessionActor

__all__ = (
    "ClientRequestError",
    "Context",
    "DetachedContextError",
    "LogLevel",
    "MissingClientCapabilityError",
    "NoContextError",
    "Progress",
    "RequestContext",
)

LogLevel = Literal["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]

_current: contextvars.ContextVar[Context | None] = contextvars.ContextVar(
    "fastestmcp_context", default=None
)


class NoContextError(LookupError):
    """`Context.current_required()` outside a request handler."""


class DetachedContextError(RuntimeError):
    """A session operation on a `Context` that belongs to no session."""


class ClientRequestError(RuntimeError):
    """The client answered a request of the server (sampling, elicitation, roots...) with an
    error; `code`, `message` and `data` are the client's."""

    def __init__(self, method: str, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"the client answered {method} with error {code}: {message}")
        self.method = method
        self.code = code
        self.message = message
        self.data = data


class MissingClientCapabilityError(RuntimeError):
    """The operation needs a capability the client did not declare."""


class RequestContext(msgspec.Struct, frozen=True):
    """What arrived with the request: id, transport, HTTP details (if any), client `_meta`.

    Immutable (a frozen `msgspec.Struct`: one is made per request, at an eighth of a frozen
    dataclass's cost)."""

    request_id: str | int | None
    transport: str
    path: str | None = None
    query_params: Mapping[str, str] = msgspec.field(default_factory=dict)
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)
    meta: Mapping[str, Any] = msgspec.field(default_factory=dict)


class Progress:
    """Progress of one request, reported on every change (see `Context.progress`)."""

    __slots__ = ("_ctx", "current", "message", "total")

    def __init__(self, ctx: Context, total: float | None = None) -> None:
        self._ctx = ctx
        self.current = 0.0
        self.total = total
        self.message: str | None = None

    def set_total(self, total: float | None) -> LoopFuture[bool]:
        self.total = total
        return self._report()

    def set_message(self, message: str | None) -> LoopFuture[bool]:
        self.message = message
        return self._report()

    def increment(self, amount: float = 1.0) -> LoopFuture[bool]:
        self.current += amount
        return self._report()

    def _report(self) -> LoopFuture[bool]:
        return self._ctx.report_progress(self.current, self.total, self.message)


def _done(value: Any = None) -> LoopFuture[Any]:
    future: LoopFuture[Any] = LoopFuture()
    future.set(value)
    return future


class Context:
    """The explicit handle a handler receives to reach its request, session and server.

    Ask for it by annotating a parameter of a tool, resource, resource template or prompt
    handler with ``Context`` (any parameter name; ``Context | None`` also works). That
    parameter is not part of the component's arguments or JSON Schema.

    ``Context()`` with no session is a *detached* context, for calling handlers directly in
    unit tests: its attributes are empty and its session operations fail with
    `DetachedContextError`.
    """

    __slots__ = (
        "_cancelled",
        "_dependencies",
        "_progress_warned",
        "_request_state",
        "_round",
        "_session",
        "_stack",
        "_token",
        "auth",
        "capabilities",
        "client_info",
        "lifespan_context",
        "log_level",
        "modern",
        "origin_request_id",
        "principal",
        "progress_token",
        "request_context",
        "server",
        "session_id",
        "task_id",
    )

    def __init__(
        self,
        *,
        session: SessionActor | None = None,
        server: Server | None = None,
        request_context: RequestContext | None = None,
        session_id: str = "",
        capabilities: Any = None,
        client_info: Any = None,
        lifespan_context: Mapping[str, Any] | None = None,
        progress_token: str | int | None = None,
        principal: Any = None,
        auth: Mapping[str, Any] | None = None,
        modern: bool = False,
        log_level: str | None = None,
        input_round: InputRound | None = None,
    ) -> None:
        self._session = session
        self.server = server
        self.request_context = request_context or RequestContext(None, "none")
        self.session_id = session_id
        self.capabilities = capabilities
        self.client_info = client_info
        self.lifespan_context: Mapping[str, Any] = lifespan_context or {}
        self.progress_token = progress_token
        self.principal = principal
        self.auth: Mapping[str, Any] = auth or {}
        self._request_state: dict[str, Any] = {}
        self._progress_warned = False
        self._cancelled = False
        #: Set when this context runs a background task (the tasks feature).
        self.task_id: str | None = None
        self.origin_request_id: str | int | None = None
        self._dependencies: dict[str, LoopFuture[Any]] = {}
        self._stack: contextlib.AsyncExitStack | None = None
        self._token: contextvars.Token[Context | None] | None = None
        #: True for a 2026-07-28 request (stateless: capabilities and log level per request).
        self.modern = modern
        #: The log level this request asked for (modern era; None: send no log messages).
        self.log_level = log_level
        self._round = input_round

    def __repr__(self) -> str:
        return f"<Context session={self.session_id} request={self.request_id!r}>"

    # -- identity ----------------------------------------------------------------------------

    @property
    def request_id(self) -> str | int | None:
        """The JSON-RPC id of the request being handled."""
        return self.request_context.request_id

    @property
    def transport(self) -> str:
        """`"stdio"`, `"memory"`, `"streamable-http"`, ..."""
        return self.request_context.transport

    # -- HTTP snapshot (None / empty outside HTTP transports) --------------------------------

    @property
    def http_request(self) -> RequestContext | None:
        """The HTTP request this call came with (method-less snapshot), None over stdio."""
        rc = self.request_context
        return rc if rc.path is not None else None

    def http_headers(self, *, include_all: bool = False) -> dict[str, str]:
        """The request's HTTP headers, lower-cased; transport framing headers are dropped
        unless `include_all`. Empty outside HTTP."""
        skip = () if include_all else ("accept", "content-length", "content-type", "host")
        return {
            k.lower(): v for k, v in self.request_context.headers.items() if k.lower() not in skip
        }

    @property
    def access_token(self) -> str | None:
        """The bearer token of the request (live `Authorization` header first, then auth)."""
        header = self.http_headers(include_all=True).get("authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip() or None
        token = self.auth.get("token")
        return token if isinstance(token, str) else None

    # -- background tasks (the tasks feature sets these; a request is not a task) -----------

    @property
    def is_background_task(self) -> bool:
        return self.task_id is not None

    @property
    def cancelled(self) -> bool:
        """True once the client cancelled this request (a sync handler can poll it)."""
        return self._cancelled

    @property
    def client_id(self) -> str | None:
        """Who is calling: auth's client id, else the principal's, else clientInfo.name."""
        for source in (self.auth, self.principal if isinstance(self.principal, Mapping) else {}):
            for key in ("client_id", "clientId", "sub"):
                value = source.get(key)
                if isinstance(value, str):
                    return value
        name = getattr(self.client_info, "name", None)
        return name if isinstance(name, str) else None

    # -- the current context (for helper code deep in a call) ---------------------------------

    @staticmethod
    def current() -> Context | None:
        """The context of the handler running in this task or thread, or None."""
        return _current.get()

    @staticmethod
    def current_required() -> Context:
        """Like `current`, but raises `NoContextError` outside a handler."""
        ctx = _current.get()
        if ctx is None:
            raise NoContextError("no fastestmcp request is being handled here")
        return ctx

    def _op(self, name: str, *args: Any) -> LoopFuture[Any]:
        session = self._session
        if session is None:
            failed: LoopFuture[Any] = LoopFuture()
            failed.set_exception(
                DetachedContextError(
                    f"Context.{name}: this context belongs to no session (it was made with "
                    "Context() for a direct call); run the handler through a server"
                )
            )
            return failed
        return session.request_op(name, *args)

    def _enter(self) -> None:
        self._token = _current.set(self)

    def _exit(self) -> None:
        if self._token is not None:
            _current.reset(self._token)
            self._token = None

    # -- session state (message passing) -----------------------------------------------------

    def get_state(self, key: str, default: Any = None) -> LoopFuture[Any]:
        """The session's value for `key` (request-scoped values shadow it), or `default`."""
        if key in self._request_state:
            return _done(self._request_state[key])
        return self._op("get_state", key, default)

    def set_state(self, key: str, value: Any, *, serializable: bool = True) -> LoopFuture[None]:
        """Store `value` for the rest of the session (`serializable=False`: this request only)."""
        if not serializable:
            self._request_state[key] = value
            return _done()
        self._request_state.pop(key, None)
        return self._op("set_state", key, value)

    def delete_state(self, key: str) -> LoopFuture[None]:
        """Forget `key` in the session and in this request."""
        self._request_state.pop(key, None)
        return self._op("delete_state", key)

    # -- request state (this operation only) -------------------------------------------------

    def get_request_state(self, key: str, default: Any = None) -> Any:
        return self._request_state.get(key, default)

    def put_request_state(self, key: str, value: Any) -> None:
        self._request_state[key] = value

    def delete_request_state(self, key: str) -> None:
        self._request_state.pop(key, None)

    # -- logging and progress ----------------------------------------------------------------

    def log(
        self, message: Any, level: LogLevel = "info", *, logger_name: str | None = None
    ) -> LoopFuture[bool]:
        """Send `notifications/message` to the client if `level` passes its `logging/setLevel`.

        Resolves to True if it was sent.
        """
        return self._op("log", level, message, logger_name, self.request_context.request_id)

    def debug(self, message: Any, *, logger_name: str | None = None) -> LoopFuture[bool]:
        return self.log(message, "debug", logger_name=logger_name)

    def info(self, message: Any, *, logger_name: str | None = None) -> LoopFuture[bool]:
        return self.log(message, "info", logger_name=logger_name)

    def notice(self, message: Any, *, logger_name: str | None = None) -> LoopFuture[bool]:
        return self.log(message, "notice", logger_name=logger_name)

    def warning(self, message: Any, *, logger_name: str | None = None) -> LoopFuture[bool]:
        return self.log(message, "warning", logger_name=logger_name)

    def error(self, message: Any, *, logger_name: str | None = None) -> LoopFuture[bool]:
        return self.log(message, "error", logger_name=logger_name)

    def critical(self, message: Any, *, logger_name: str | None = None) -> LoopFuture[bool]:
        return self.log(message, "critical", logger_name=logger_name)

    def alert(self, message: Any, *, logger_name: str | None = None) -> LoopFuture[bool]:
        return self.log(message, "alert", logger_name=logger_name)

    def emergency(self, message: Any, *, logger_name: str | None = None) -> LoopFuture[bool]:
        return self.log(message, "emergency", logger_name=logger_name)

    def progress(self, total: float | None = None) -> Progress:
        """A progress helper for this request: `set_total`, `increment`, `set_message`."""
        return Progress(self, total)

    def report_progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> LoopFuture[bool]:
        """Send `notifications/progress` for this request.

        Resolves to False (and logs once, server-side) when the client sent no progress
        token: it did not ask for progress, so there is nowhere to send it.
        """
        if self.progress_token is None:
            if not self._progress_warned:
                self._progress_warned = True
                if self._session is not None:
                    self._session.warn_no_progress_token(self.request_context.request_id)
            return _done(False)
        return self._op(
            "progress",
            self.progress_token,
            progress,
            total,
            message,
            self.request_context.request_id,
        )

    # -- requests to the client (sampling, elicitation, roots) --------------------------------

    def request_client(
        self, method: str, params: Any = None, *, key: str | None = None
    ) -> LoopFuture[Any]:
        """Ask this request's client for something; resolves to its decoded result.

        Legacy era: a request to the client, correlated by its own id (several may be in
        flight at once). 2026-07-28 era (MRTR): answered from the client's `inputResponses`,
        or the attempt ends with an `InputRequiredResult` (the future fails with
        `InputRequired`; let it propagate) and the handler runs again when the client retries
        with the answer. `key` names the input in `inputRequests` (default: by call order).
        """
        if self._round is not None:
            return self._round.request(method, params, key)
        out: LoopFuture[Any] = LoopFuture()

        def answered(inner: LoopFuture[Any]) -> None:
            exc = inner.exception()
            if isinstance(exc, McpError):
                # The client's own JSON-RPC error: a failure of this handler's request to
                # the client, not of the client's request to us (a tool reports it as
                # isError, it does not become the tools/call's error code).
                out.set_exception(ClientRequestError(method, exc.code, exc.message, exc.data))
                return
            if exc is not None:
                out.set_exception(exc)
                return
            try:
                out.set(types.decode_result(method, inner.result()))
            except BaseException as error:
                out.set_exception(error)

        def sent(ask: LoopFuture[Any]) -> None:
            exc = ask.exception()
            if exc is not None:
                out.set_exception(exc)
            else:
                ask.result().add_done_callback(answered)

        self._op("request", method, params, self.request_context.request_id).add_done_callback(sent)
        return out

    def _require(self, capability: str) -> LoopFuture[Any] | None:
        caps = self.capabilities
        if caps is not None and getattr(caps, capability, None) is not None:
            return None
        failed: LoopFuture[Any] = LoopFuture()
        if self.modern:  # the request itself fails: -32021 names what to declare
            failed.set_exception(MissingRequiredClientCapability.for_capabilities({capability: {}}))
            return failed
        failed.set_exception(
            MissingClientCapabilityError(
                f"the client did not declare the {capability!r} capability in initialize, "
                f"so the server cannot ask it for {capability}"
            )
        )
        return failed

    def sample(
        self,
        messages: str | Sequence[str | types.SamplingMessage | Mapping[str, Any]],
        *,
        system_prompt: str | None = None,
        temperature: float | None = None,
        max_tokens: int = 512,
        model_preferences: types.ModelPreferences | Mapping[str, Any] | None = None,
        stop_sequences: Sequence[str] | None = None,
        include_context: Literal["none", "thisServer", "allServers"] | None = None,
        key: str | None = None,
    ) -> LoopFuture[types.CreateMessageResult]:
        """Ask the client's model to complete `messages` (`sampling/createMessage`)."""
        missing = self._require("sampling")
        if missing is not None:
            return missing
        items = [messages] if isinstance(messages, str) else list(messages)
        wire_messages = [
            types.SamplingMessage(role="user", content=types.TextContent(text=m))
            if isinstance(m, str)
            else m
            for m in items
        ]
        params: dict[str, Any] = {
            "messages": wire_messages,
            "maxTokens": max_tokens,
            "systemPrompt": system_prompt,
            "temperature": temperature,
            "modelPreferences": model_preferences,
            "stopSequences": list(stop_sequences) if stop_sequences is not None else None,
            "includeContext": include_context,
        }
        return self.request_client(
            "sampling/createMessage", {k: v for k, v in params.items() if v is not None}, key=key
        )

    def elicit(
        self, message: str, response_type: Any = str, *, key: str | None = None
    ) -> LoopFuture[Any]:
        """Ask the user for input of `response_type` (`elicitation/create`, form mode).

        Resolves to `AcceptedElicitation(data)`, `DeclinedElicitation()` or
        `CancelledElicitation()`.
        """
        missing = self._require("elicitation")
        if missing is not None:
            return missing
        schema = elicitation_schema(response_type)
        return self.request_client(
            "elicitation/create", {"message": message, "requestedSchema": schema}, key=key
        ).map(lambda result: parse_elicitation(response_type, result))

    def list_roots(self, *, key: str | None = None) -> LoopFuture[list[types.Root]]:
        """The client's roots (`roots/list`)."""
        missing = self._require("roots")
        if missing is not None:
            return missing
        return self.request_client("roots/list", key=key).map(lambda result: list(result.roots))

    # -- values kept across MRTR rounds (2026-07-28) ------------------------------------------

    @property
    def round_state(self) -> dict[str, Any]:
        """Values kept across the rounds of one modern request (JSON-able values).

        2026-07-28: sealed into `requestState` when the request ends with an
        `InputRequiredResult`, and back here when the client retries. Legacy era: a dict for
        this request (a legacy request has one round).
        """
        if self._round is not None:
            return self._round.carried
        return self._request_state.setdefault("__round_state__", {})  # type: ignore[no-any-return]

    def once(self, key: str, fn: Any) -> LoopFuture[Any]:
        """Run `fn()` once per request, even when MRTR rounds replay the handler.

        The first round runs `fn` (sync, or returning an awaitable) and keeps its JSON-able
        result in `round_state[key]`; later rounds get the kept value without running it.
        """
        state = self.round_state
        if key in state:
            return _done(state[key])
        value = fn()
        if not inspect.isawaitable(value):
            state[key] = value
            return _done(value)
        future: LoopFuture[Any] = LoopFuture()
        session = self._session

        async def wait() -> None:
            try:
                result = await value
            except BaseException as exc:
                future.set_exception(exc)
            else:
                state[key] = result
                future.set(result)

        if session is None:
            raise DetachedContextError("Context.once with an awaitable needs a running server")
        session.on_loop(wait)
        return future

    # -- state handles (a state scope for stateless requests) ---------------------------------

    def new_state_handle(self) -> LoopFuture[str]:
        """Mint a state handle and make it this request's state scope.

        For 2026-07-28 requests without a scope: return the handle to the client (e.g. in
        the tool's result); later requests that carry it (in
        `_meta["dev.fastestmcp/stateHandle"]`, or by calling `use_state_handle`) share the
        session state stored under it. Handles expire after the server's
        `session_idle_timeout` without use. A session that is a scope already (legacy, a
        stdio process) keeps its own state; the handle it mints starts empty.
        """
        return self._op("new_handle")

    def use_state_handle(self, handle: str) -> LoopFuture[None]:
        """Make the state stored under `handle` (from `new_state_handle`) this request's
        state scope. Fails with `NoStateScopeError` for an unknown or expired handle."""
        return self._op("use_handle", handle)

    # -- dependencies ------------------------------------------------------------------------

    def dependency(self, name: str) -> LoopFuture[Any]:
        """The value of the server's dependency `name`, resolved once per request.

        Its cleanup (a generator's code after `yield`, a context manager's exit) runs when
        the request ends, in reverse order of resolution, also on error, cancellation and
        timeout.
        """
        cached = self._dependencies.get(name)
        if cached is not None:
            return cached
        session = self._session
        if session is None or self._stack is None:
            return self._op("dependency")  # fails with DetachedContextError
        server = session.server
        dependency = server.dependencies.get(name)
        future: LoopFuture[Any] = LoopFuture()
        if dependency is None:
            future.set_exception(
                KeyError(f"no dependency {name!r}; registered: {sorted(server.dependencies)}")
            )
            return future
        self._dependencies[name] = future
        stack = self._stack

        async def resolve() -> None:
            try:
                value = await dependency.resolve(self, stack, run_sync=session.run_sync)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set(value)

        session.on_loop(resolve)
        return future

    # -- nested operations (the full pipeline, this session and request) ---------------------

    def _nested(self, method: str, params: Any) -> LoopFuture[Any]:
        session = self._session
        if session is None:
            return self._op(method)  # fails with DetachedContextError
        return session.nested(method, params, self)

    def list_resources(self) -> LoopFuture[list[types.Resource]]:
        """Every resource this session sees (all pages)."""
        return self._nested("resources/list", None)

    def read_resource(self, uri: str) -> LoopFuture[types.ReadResourceResult]:
        """Read `uri` through the pipeline, as the client would."""
        return self._nested("resources/read", types.ReadResourceRequestParams(uri=uri))

    def list_prompts(self) -> LoopFuture[list[types.Prompt]]:
        """Every prompt this session sees (all pages)."""
        return self._nested("prompts/list", None)

    def render_prompt(
        self, name: str, arguments: Mapping[str, str] | None = None
    ) -> LoopFuture[types.GetPromptResult]:
        """Render prompt `name` through the pipeline, as the client would."""
        params = types.GetPromptRequestParams(
            name=name, arguments=dict(arguments) if arguments is not None else None
        )
        return self._nested("prompts/get", params)

    # -- visibility (this session) ------------------------------------------------------------

    def enable_components(self, **selector: Any) -> LoopFuture[bool]:
        """Show this session what the selector selects (names, keys, tags, components,
        version, match_all). Resolves to True if its visible lists changed (and the matching
        list_changed notifications were sent)."""
        return self._op(
            "visibility", "enable", Selector(**selector), self.request_context.request_id
        )

    def disable_components(self, **selector: Any) -> LoopFuture[bool]:
        """Hide from this session what the selector selects (see `enable_components`)."""
        return self._op(
            "visibility", "disable", Selector(**selector), self.request_context.request_id
        )

    def reset_visibility(self) -> LoopFuture[bool]:
        """Drop this session's visibility rules."""
        return self._op("visibility", "reset", None, self.request_context.request_id)

    # -- notifications -----------------------------------------------------------------------

    def send_notification(self, method: str, params: Any = None) -> LoopFuture[None]:
        """Send any server notification to this session's client (tied to this request)."""
        return self._op("notify", method, params, self.request_context.request_id)

    def close_sse_stream(self) -> LoopFuture[bool]:
        """End the SSE connection carrying this request's messages now; the call goes on.

        Streamable HTTP only (SEP-1699 polling): the client reconnects after the stream's
        `retry:` delay with `Last-Event-ID` and receives everything sent meanwhile, the result
        included. True when the stream was closed; False where there is nothing to close
        (other transports, a client that accepts no SSE, a request already answered).
        """
        return self._op("close_stream", self.request_context.request_id)

    def notify_resource_updated(self, uri: str) -> LoopFuture[None]:
        """Send `notifications/resources/updated` to every session subscribed to `uri`."""
        return self._op("broadcast", "notifications/resources/updated", uri)

    def send_tool_list_changed(self) -> LoopFuture[None]:
        """Tell every session of the server that the tool list changed."""
        return self._op("broadcast", "notifications/tools/list_changed", None)

    def send_resource_list_changed(self) -> LoopFuture[None]:
        """Tell every session of the server that the resource list changed."""
        return self._op("broadcast", "notifications/resources/list_changed", None)

    def send_prompt_list_changed(self) -> LoopFuture[None]:
        """Tell every session of the server that the prompt list changed."""
        return self._op("broadcast", "notifications/prompts/list_changed", None)
