# Completion sources for `completion/complete`: per prompt argument and per resource
# template variable.
#
# Rules of this module:
#   * A source is registered once, for one (target, argument) pair, where the target is
#     a prompt name (`ref/prompt`) or a URI template (`ref/resource`). Sources never
#     appear in listed schemas or arguments.
#   * A static source (a sequence of str) is filtered by case-insensitive prefix, in its
#     own order. A callable source gets the typed value (and, if it takes a second
#     parameter, the already-resolved arguments) and returns suggestions, sync or async.
#   * Results are normalised by `results.completion_result`: at most 100 values, with
#     `total` and `hasMore`.

"""Completion sources for prompt arguments and resource template variables."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeAlias

from fastestmcp.protocol import types as wire
from fastestmcp.server.components import RunSync
from fastestmcp.server.results import completion_result

__all__ = ("CompletionSource", "Completer")

CompletionSource: TypeAlias = Sequence[str] | Callable[..., Any]
"""Static suggestions, or ``fn(value)`` / ``fn(value, context)`` returning suggestions."""


class Completer:
    """The completion source of one prompt argument or template variable.

    Args:
        target: The prompt name, or the template's URI template.
        argument: The argument (or variable) name.
        source: A sequence of str (filtered by case-insensitive prefix), or a sync or
            async callable ``fn(value)`` / ``fn(value, context)`` returning an iterable of
            str or a ``Completion``; ``context`` is a dict of already-resolved arguments.

    Raises:
        TypeError: The source is neither a sequence of str nor a callable of one or two
            positional parameters.
    """

    __slots__ = ("_arity", "argument", "fn", "is_async", "target", "values")

    def __init__(self, target: str, argument: str, source: CompletionSource) -> None:
        self.target = target
        self.argument = argument
        self.values: tuple[str, ...] | None = None
        self.fn: Callable[..., Any] | None = None
        self.is_async = False
        self._arity = 0
        if isinstance(source, str):
            raise TypeError(
                f"the completion source of {argument!r} is one str; give a list of suggestions"
            )
        if isinstance(source, Sequence):
            values = tuple(source)
            for value in values:
                if not isinstance(value, str):
                    raise TypeError(
                        f"completion suggestions for {argument!r} must be str, got {value!r}"
                    )
            self.values = values
        elif callable(source):
            self.fn = source
            self.is_async = inspect.iscoroutinefunction(source) or inspect.iscoroutinefunction(
                getattr(source, "__call__", None)  # noqa: B004 - async callable objects
            )
            self._arity = _arity(source, argument)
        else:
            raise TypeError(
                f"the completion source of {argument!r} must be a list of str or a callable, "
                f"got {source!r}"
            )

    def __repr__(self) -> str:
        return f"Completer({self.target!r}, {self.argument!r})"

    def complete_static(self, value: str) -> wire.Completion:
        """Filter the static suggestions by case-insensitive prefix.

        Raises:
            TypeError: This source is a callable (use `complete`).
        """
        if self.values is None:
            raise TypeError("this completion source is a callable; await complete()")
        prefix = value.casefold()
        return completion_result(v for v in self.values if v.casefold().startswith(prefix))

    async def complete(
        self,
        value: str,
        context: Mapping[str, str] | None = None,
        *,
        run_sync: RunSync | None = None,
    ) -> wire.Completion:
        """Suggest values for what the user typed so far.

        Args:
            value: The partial value.
            context: Arguments already resolved (``CompleteRequestParams.context``).
            run_sync: Runs a sync callable source off the loop; inline by default.

        Returns:
            The suggestions.
        """
        fn = self.fn
        if fn is None:
            return self.complete_static(value)
        args: tuple[Any, ...] = (value, dict(context or {})) if self._arity == 2 else (value,)
        if self.is_async:
            result = await fn(*args)
        elif run_sync is not None:
            result = await run_sync(functools.partial(fn, *args))
        else:
            result = fn(*args)
        return completion_result(_suggestions(result, self.argument))


def _suggestions(result: Any, argument: str) -> wire.Completion | Iterable[str]:
    if isinstance(result, wire.Completion):
        return result
    if isinstance(result, Iterable) and not isinstance(result, str | bytes):
        return result
    raise TypeError(
        f"the completion source of {argument!r} returned {result!r}; return a list of str "
        "or a Completion"
    )


def _arity(fn: Callable[..., Any], argument: str) -> int:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return 1
    positional = [
        p
        for p in sig.parameters.values()
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in sig.parameters.values()):
        return 2
    if not positional or len([p for p in positional if p.default is inspect.Parameter.empty]) > 2:
        raise TypeError(
            f"the completion source of {argument!r} must take (value) or (value, context)"
        )
    return min(len(positional), 2)
