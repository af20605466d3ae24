# What runs around handlers: per-request dependencies and per-server lifespans.
#
# Rules of this module:
#   * Registration checks the shape of the callable once; resolution is a small async
#     helper the session layer calls with its own `AsyncExitStack`, so cleanups run in
#     reverse order (LIFO) when that stack closes, also on cancellation and timeouts.
#   * A dependency factory takes no parameter or one (the `Context`). It may be a plain
#     or async function (its value is used as is, or entered when it is a context manager),
#     or a generator / async generator function (the code after `yield` is its cleanup).
#   * A lifespan takes the server and is an async generator function, or a function
#     returning an async context manager (`@asynccontextmanager`). What it yields (a
#     mapping, or None) is merged into the lifespan values, in declaration order, later
#     keys winning.

"""Dependencies (resolved once per request) and lifespans (entered once per server)."""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any, Literal, TypeAlias

from fastestmcp.server.components import RunSync
from fastestmcp.server.context import Context

__all__ = ("Dependency", "DependencyKind", "Lifespan", "enter_lifespans")

DependencyKind: TypeAlias = Literal["function", "async_function", "generator", "async_generator"]


def _target(fn: Any) -> Any:
    while isinstance(fn, functools.partial):
        fn = fn.func
    if not inspect.isfunction(fn) and not inspect.ismethod(fn):
        call = getattr(type(fn), "__call__", None)  # noqa: B004
        if call is not None:
            return call
    return fn


def _positional_count(fn: Callable[..., Any], what: str) -> int:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return 0
    required = [
        p
        for p in sig.parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    if len(required) > 1 or any(p.kind is inspect.Parameter.KEYWORD_ONLY for p in required):
        raise TypeError(f"{what} must take no parameter or one positional parameter")
    return len(required)


class Dependency:
    """A named value resolved once per request and cleaned up after it.

    Args:
        name: The name handlers ask for it by.
        factory: Takes nothing or the `Context`; see the rules at the top of this module.

    Raises:
        TypeError: ``factory`` is not callable or takes more than one parameter.
        ValueError: ``name`` is empty.
    """

    __slots__ = ("factory", "kind", "name", "takes_context")

    def __init__(self, name: str, factory: Callable[..., Any]) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a dependency name must be a non-empty str, got {name!r}")
        if not callable(factory):
            raise TypeError(f"dependency {name!r} must be a callable, got {factory!r}")
        target = _target(factory)
        kind: DependencyKind
        if inspect.isasyncgenfunction(target):
            kind = "async_generator"
        elif inspect.isgeneratorfunction(target):
            kind = "generator"
        elif inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(factory):
            kind = "async_function"
        else:
            kind = "function"
        self.name = name
        self.factory = factory
        self.kind = kind
        self.takes_context = _positional_count(factory, f"dependency {name!r}") == 1

    def __repr__(self) -> str:
        return f"Dependency({self.name!r}, kind={self.kind!r})"

    async def resolve(
        self, ctx: Context | None, stack: AsyncExitStack, *, run_sync: RunSync | None = None
    ) -> Any:
        """Produce the value, registering its cleanup (if any) on ``stack``.

        Args:
            ctx: The request's context, passed when the factory takes a parameter.
            stack: The request's exit stack; closing it runs the cleanups, LIFO.
            run_sync: Runs a plain sync factory off the loop; inline by default.

        Returns:
            The dependency's value.
        """
        args: tuple[Any, ...] = (ctx,) if self.takes_context else ()
        factory = self.factory
        if self.kind == "async_generator":
            return await stack.enter_async_context(contextlib.asynccontextmanager(factory)(*args))
        if self.kind == "generator":
            return stack.enter_context(contextlib.contextmanager(factory)(*args))
        if self.kind == "async_function":
            value = await factory(*args)
        elif run_sync is not None:
            value = await run_sync(functools.partial(factory, *args))
        else:
            value = factory(*args)
        if hasattr(value, "__aenter__") and hasattr(value, "__aexit__"):
            return await stack.enter_async_context(value)
        if hasattr(value, "__enter__") and hasattr(value, "__exit__"):
            return stack.enter_context(value)
        return value


class Lifespan:
    """Something entered once when the server starts and exited when it stops.

    Args:
        fn: ``fn(server)``: an async generator function, or a function returning an async
            context manager; what it yields (a mapping or None) becomes lifespan values.

    Raises:
        TypeError: ``fn`` is not callable, or is a sync generator function.
    """

    __slots__ = ("fn", "name")

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        if not callable(fn):
            raise TypeError(f"a lifespan must be a callable, got {fn!r}")
        target = _target(fn)
        if inspect.isgeneratorfunction(target):
            raise TypeError(
                "a lifespan must be async: write `async def lifespan(server): ... yield {...}`"
            )
        _positional_count(fn, "a lifespan")
        self.fn = fn
        self.name = getattr(target, "__name__", type(fn).__name__)

    def __repr__(self) -> str:
        return f"Lifespan({self.name!r})"

    def open(self, server: Any) -> AbstractAsyncContextManager[Mapping[str, Any] | None]:
        """Return the context manager to enter for ``server``.

        Raises:
            TypeError: ``fn`` did not return an async context manager.
        """
        if inspect.isasyncgenfunction(_target(self.fn)):
            factory = contextlib.asynccontextmanager(self.fn)
            manager: Any = factory(server)
        else:
            manager = self.fn(server)
        if not (hasattr(manager, "__aenter__") and hasattr(manager, "__aexit__")):
            raise TypeError(
                f"lifespan {self.name!r} returned {manager!r}, not an async context manager; "
                "write it as an async generator (yield once) or use @asynccontextmanager"
            )
        result: AbstractAsyncContextManager[Mapping[str, Any] | None] = manager
        return result


async def enter_lifespans(
    lifespans: tuple[Lifespan, ...], server: Any, stack: AsyncExitStack
) -> dict[str, Any]:
    """Enter lifespans in declaration order; their cleanups run in reverse when ``stack`` closes.

    If one fails to enter, the exception propagates; closing ``stack`` then exits the ones
    already entered.

    Args:
        lifespans: The lifespans, in declaration order.
        server: What each lifespan receives.
        stack: The exit stack owning their exits.

    Returns:
        The merged lifespan values (later keys win).

    Raises:
        TypeError: A lifespan yielded something other than a mapping or None.
    """
    values: dict[str, Any] = {}
    for lifespan in lifespans:
        yielded = await stack.enter_async_context(lifespan.open(server))
        if yielded is None:
            continue
        if not isinstance(yielded, Mapping):
            raise TypeError(
                f"lifespan {lifespan.name!r} yielded {yielded!r}; yield a mapping of values or None"
            )
        values.update(yielded)
    return values
