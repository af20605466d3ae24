# The components a server defines: `Tool`, `Resource`, `ResourceTemplate`, `Prompt`.
#
# Rules of this module:
#   * A component is immutable (frozen, slotted) and compiled at construction: handler
#     inspected, schemas built and validators compiled, URI template parsed, wire Struct
#     for the list methods built. Nothing is recomputed per call or per list.
#   * A component is identified by its `key`, "<kind>:<identifier>@<version>" (the version
#     empty when unversioned), e.g. "tool:forecast@", "tool:forecast@2.0",
#     "resource:file:///readme@", "template:weather://{city}@", "prompt:review@". The
#     identifier is the name of a tool or prompt, the URI of a resource, the URI template
#     of a template. Visibility selectors and duplicate detection use the key.
#   * Each component exposes the steps of its operation separately (`bind` arguments,
#     `call` the handler, `to_result`), so the request pipeline can run them where it
#     wants (sync handlers in a thread pool), and `run` composes them for in-process use.
#   * Wire `_meta` is the author's `meta`, plus `{"fastestmcp": {"version", "tags"}}`
#     when the component has a version or tags.

"""Tool, Resource, ResourceTemplate and Prompt: compiled component definitions."""

from __future__ import annotations

import functools
import inspect
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Literal, TypeAlias, TypeVar
from urllib.parse import urlsplit

import msgspec
import structlog

from fastestmcp.protocol import types as wire
from fastestmcp.protocol.errors import McpError, ResourceNotFound
from fastestmcp.protocol.modern import CacheHint
from fastestmcp.protocol.uri_template import CaptureConverter, Captures, UriTemplate
from fastestmcp.server.context import Context
from fastestmcp.server.errors import ArgumentValidationError, OutputSchemaError
from fastestmcp.server.jsonschema import compile_schema, format_path
from fastestmcp.server.results import (
    OutputSchema,
    prompt_result,
    resource_result,
    tool_error_result,
    tool_result,
)
from fastestmcp.server.signature import (
    ExplicitHandler,
    Handler,
    RawArguments,
    TypedHandler,
    explicit_output_schema,
    infer_output_schema,
    inspect_handler,
    is_str_like,
)

__all__ = (
    "Component",
    "ComponentKind",
    "Prompt",
    "Resource",
    "ResourceTemplate",
    "RunSync",
    "Tool",
    "component_label",
)

ComponentKind: TypeAlias = Literal["tool", "resource", "template", "prompt"]
"""The four kinds of components (``"template"`` is a resource template)."""

RunSync: TypeAlias = Callable[[Callable[[], Any]], Awaitable[Any]]
"""Runs a sync callable off the event loop and awaits its result (e.g. a thread pool)."""

T = TypeVar("T")

_WHITESPACE: Final = re.compile(r"\s")
_decode_json_value = msgspec.json.Decoder().decode


# --------------------------------------------------------------------------------------------
# Checks shared by the factories


def _check_name(name: object, kind: str) -> str:
    if not isinstance(name, str) or not name:
        raise ValueError(f"a {kind} name must be a non-empty str, got {name!r}")
    if _WHITESPACE.search(name):
        raise ValueError(f"{kind} name {name!r} contains whitespace; use letters, digits, _ - .")
    return name


def _handler_name(fn: Callable[..., Any], kind: str) -> str:
    target: Any = fn
    while isinstance(target, functools.partial):
        target = target.func
    name = getattr(target, "__name__", None)
    if not isinstance(name, str) or name == "<lambda>":
        raise ValueError(f"this {kind} handler has no usable __name__; pass name=...")
    return name


def _check_version(version: object, label: str) -> str | None:
    if version is None:
        return None
    if not isinstance(version, str) or not version:
        raise ValueError(f"the version of {label} must be a non-empty str, got {version!r}")
    if "@" in version:
        raise ValueError(f"the version of {label} must not contain '@' (it separates keys)")
    return version


def _convert_wire(value: Any, tp: type[T], what: str) -> T:
    if isinstance(value, tp):
        return value
    if not isinstance(value, Mapping):
        raise TypeError(f"{what} must be a {tp.__name__} or a mapping, got {value!r}")
    known = {f.encode_name for f in msgspec.structs.fields(tp)}  # type: ignore[arg-type]
    unknown = sorted(set(value) - known)
    if unknown:
        raise ValueError(
            f"{what} has unknown keys {unknown}; the keys are the wire names: {sorted(known)}"
        )
    try:
        return msgspec.convert(dict(value), tp)
    except msgspec.ValidationError as exc:
        raise ValueError(f"invalid {what}: {exc}") from None


def _icons(icons: Iterable[wire.Icon | Mapping[str, Any]] | None) -> tuple[wire.Icon, ...] | None:
    if icons is None:
        return None
    return tuple(_convert_wire(icon, wire.Icon, "an icon") for icon in icons)


def _tags(tags: Iterable[str] | str | None) -> frozenset[str]:
    if tags is None:
        return frozenset()
    if isinstance(tags, str):
        return frozenset((tags,))
    result = frozenset(tags)
    for tag in result:
        if not isinstance(tag, str):
            raise TypeError(f"tags must be str, got {tag!r}")
    return result


def cache_hint(value: CacheHint | Mapping[str, Any] | None, label: str) -> CacheHint | None:
    """A `CacheHint` from an option value (a hint, or a mapping of its fields)."""
    if value is None or isinstance(value, CacheHint):
        return value
    if not isinstance(value, Mapping):
        raise TypeError(f"the cache hint of {label} must be a CacheHint or a mapping")
    try:
        return CacheHint(**value)
    except TypeError as exc:
        raise ValueError(f"the cache hint of {label}: {exc}") from None


def _timeout(timeout: float | None, label: str) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ValueError(f"the timeout of {label} must be a positive number of seconds")
    return float(timeout)


def component_label(kind: ComponentKind, identifier: str) -> str:
    """How messages name a component, e.g. ``tool 'forecast'``."""
    return f"{'resource template' if kind == 'template' else kind} {identifier!r}"


log = structlog.get_logger("fastestmcp.server")

# Sync handlers run in the server's thread pool, so that one that blocks never stalls the
# event loop. The hand-off costs two cross-thread wake-ups per call, more than a quick handler
# itself (the benchmarks' plain-def echo: most of a call's server time). A typed handler
# without a Context parameter (it cannot wait on the server) whose last `PROMOTE_AFTER` runs
# in the pool each took under `QUICK` seconds runs on the loop from then on. An inline run over
# `SLOW` seconds is a strike; `STRIKES` strikes within `STRIKE_WINDOW` inline runs, or one run
# over `HARD` seconds, send it back to the pool for good, with a warning. One strike is not
# enough: the wall clock also counts what was not the handler's doing (the OS preempting the
# loop thread on a busy machine, a full garbage collection, waiting for the GIL), and one such
# pause over 2 ms in some ten thousand calls used to demote a quick handler for good. The
# server option `sync_handlers="thread"` keeps every sync handler in the pool.
PROMOTE_AFTER = 32
QUICK = 0.0002
SLOW = 0.002
HARD = 0.05
STRIKES = 3
STRIKE_WINDOW = 1000


def _timed_call(handler: TypedHandler, arguments: dict[str, Any]) -> Any:
    started = time.perf_counter()
    try:
        return handler.call(arguments)
    finally:
        if handler.fast_runs >= 0:
            if time.perf_counter() - started < QUICK:
                handler.fast_runs += 1
            else:
                handler.fast_runs = 0


def _run_inline(handler: TypedHandler, arguments: dict[str, Any]) -> Any:
    started = time.perf_counter()
    try:
        return handler.call(arguments)
    finally:
        took = time.perf_counter() - started
        handler.fast_runs += 1
        if took > SLOW:
            _strike(handler, took)


def _strike(handler: TypedHandler, took: float) -> None:
    """Count an inline run over `SLOW`; demote the handler on the last strike."""
    if handler.fast_runs - handler.strike_at > STRIKE_WINDOW:
        handler.strikes = 0
    handler.strikes += 1
    handler.strike_at = handler.fast_runs
    if handler.strikes < STRIKES and took <= HARD:
        return
    handler.inline = False
    handler.fast_runs = -1
    log.warning(
        "a sync handler that used to be quick ran slowly on the event loop; it runs "
        "in the thread pool from now on",
        handler=handler.name,
        took_ms=round(took * 1000, 3),
        strikes=handler.strikes,
    )


async def _invoke(
    handler: Handler, arguments: dict[str, Any], ctx: Context | None, run_sync: RunSync | None
) -> Any:
    if handler.is_async:
        return await handler.call(arguments, ctx)
    if run_sync is None:
        value = handler.call(arguments, ctx)
    elif type(handler) is TypedHandler and handler.context_param is None and _may_inline(ctx):
        if handler.inline:
            value = _run_inline(handler, arguments)
        else:
            value = await run_sync(functools.partial(_timed_call, handler, arguments))
            if handler.fast_runs >= PROMOTE_AFTER:
                handler.inline = True
    else:
        value = await run_sync(functools.partial(handler.call, arguments, ctx))
    if type(value) not in _PLAIN and inspect.isawaitable(value):
        value = await value  # a sync callable that returned a coroutine
    return value


#: Types a handler's value never awaits: skips `inspect.isawaitable` (an ABC check).
_PLAIN = frozenset({str, dict, list, int, float, bool, bytes, type(None)})


def _may_inline(ctx: Context | None) -> bool:
    server = ctx.server if ctx is not None else None
    return server is not None and server.sync_handlers == "auto"


# --------------------------------------------------------------------------------------------
# Base


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Component:
    """What every component has: identity, display metadata and visibility facts.

    Attributes:
        name: Programmatic name.
        title: Display name.
        description: What it is or does, for the model.
        icons: Icons for display.
        tags: Free-form labels for visibility selectors.
        meta: The author's ``_meta``.
        version: Its version, or ``None`` when unversioned.
        enabled: Whether it is visible before any visibility rule applies.
    """

    kind: ClassVar[ComponentKind]

    name: str
    title: str | None = None
    description: str | None = None
    icons: tuple[wire.Icon, ...] | None = None
    tags: frozenset[str] = frozenset()
    meta: dict[str, Any] | None = None
    version: str | None = None
    enabled: bool = True

    @property
    def identifier(self) -> str:
        """The name of a tool or prompt, the URI of a resource, the template of a template."""
        return self.name

    @property
    def key(self) -> str:
        """The component's key, ``"<kind>:<identifier>@<version>"``."""
        return f"{self.kind}:{self.identifier}@{self.version or ''}"

    @property
    def label(self) -> str:
        """How messages name it, e.g. ``tool 'forecast'``."""
        return component_label(self.kind, self.identifier)

    def _wire_meta(self) -> dict[str, Any] | None:
        if self.version is None and not self.tags:
            return self.meta
        ours: dict[str, Any] = {}
        if self.version is not None:
            ours["version"] = self.version
        if self.tags:
            ours["tags"] = sorted(self.tags)
        return {**(self.meta or {}), "fastestmcp": ours}

    def _wire_icons(self) -> list[wire.Icon] | None:
        return list(self.icons) if self.icons is not None else None


# --------------------------------------------------------------------------------------------
# Tools


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Tool(Component):
    """A tool: a handler the client calls with JSON arguments.

    Build one with `Tool.from_function` (or the server's ``add_tool``/``@tool``).

    Attributes:
        handler: The inspected handler (typed or explicit).
        output: The output schema and how results fit it, if any.
        annotations: Behaviour hints for clients.
        timeout: Seconds the pipeline lets a call run, or ``None``.
    """

    kind: ClassVar[ComponentKind] = "tool"

    handler: Handler
    output: OutputSchema | None = None
    annotations: wire.ToolAnnotations | None = None
    timeout: float | None = None
    _wire: wire.Tool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "_wire",
            wire.Tool(
                name=self.name,
                input_schema=self.handler.input_schema,
                title=self.title,
                description=self.description,
                output_schema=self.output.schema if self.output is not None else None,
                annotations=self.annotations,
                icons=self._wire_icons(),
                meta=self._wire_meta(),
            ),
        )

    @classmethod
    def from_function(
        cls,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        input_schema: Mapping[str, Any] | None = None,
        output_schema: Mapping[str, Any] | Literal[False] | None = None,
        annotations: wire.ToolAnnotations | Mapping[str, Any] | None = None,
        icons: Iterable[wire.Icon | Mapping[str, Any]] | None = None,
        tags: Iterable[str] | None = None,
        meta: Mapping[str, Any] | None = None,
        version: str | None = None,
        enabled: bool = True,
        timeout: float | None = None,
        strict_input_validation: bool = False,
    ) -> Tool:
        """Build a tool from a handler.

        With ``input_schema``, the handler is explicit: it is called as
        ``fn(arguments)`` or ``fn(arguments, ctx)`` with the arguments dict, validated
        against that schema (compiled once; published verbatim). Without it, the handler's
        typed parameters are the arguments and the schema is inferred.

        Args:
            fn: The handler, sync or async.
            name: The tool's name; the handler's ``__name__`` by default.
            title: Display name.
            description: For the model; the docstring's description part by default.
            input_schema: An explicit JSON Schema of the arguments (a JSON object schema).
            output_schema: ``None`` (default) infers it from the return annotation; a
                mapping is the explicit schema of the result (results are validated
                against it); ``False`` publishes none.
            annotations: Behaviour hints (``ToolAnnotations`` or a mapping of wire names
                such as ``readOnlyHint``).
            icons: Icons (``Icon`` or mappings of wire names).
            tags: Labels for visibility selectors.
            meta: The tool's ``_meta``.
            version: Its version (no ``@``).
            enabled: Visible before visibility rules apply.
            timeout: Seconds a call may run.
            strict_input_validation: Refuse lenient conversions of typed arguments.

        Returns:
            The tool.

        Raises:
            TypeError: The handler cannot be inspected (see `inspect_handler`).
            ValueError: A name, version, schema or option is invalid.
        """
        tool_name = _check_name(name if name is not None else _handler_name(fn, "tool"), "tool")
        label = component_label("tool", tool_name)
        handler: Handler
        output: OutputSchema | None
        if input_schema is not None:
            if not isinstance(input_schema, Mapping) or input_schema.get("type") != "object":
                raise ValueError(
                    f"the input_schema of {label} must be a JSON object schema "
                    '({"type": "object", ...}): tools take named arguments'
                )
            schema = input_schema if isinstance(input_schema, dict) else dict(input_schema)
            handler = ExplicitHandler(
                fn, input_schema=schema, validator=compile_schema(schema), what="tool"
            )
            doc = inspect.getdoc(fn)
            default_description = doc.strip() if doc else None
            return_annotation: Any = inspect.Signature.empty
        else:
            typed = inspect_handler(fn, what="tool", strict=strict_input_validation)
            handler = typed
            default_description = typed.description
            return_annotation = typed.return_annotation
        if output_schema is False:
            output = None
        elif output_schema is None:
            output = infer_output_schema(return_annotation)
        elif isinstance(output_schema, Mapping):
            output = explicit_output_schema(output_schema)
        else:
            raise TypeError(
                f"the output_schema of {label} must be a mapping, None (infer) or False (none)"
            )
        return cls(
            name=tool_name,
            title=title,
            description=description if description is not None else default_description,
            icons=_icons(icons),
            tags=_tags(tags),
            meta=dict(meta) if meta is not None else None,
            version=_check_version(version, label),
            enabled=bool(enabled),
            handler=handler,
            output=output,
            annotations=(
                None
                if annotations is None
                else _convert_wire(annotations, wire.ToolAnnotations, f"the annotations of {label}")
            ),
            timeout=_timeout(timeout, label),
        )

    @property
    def input_schema(self) -> dict[str, Any]:
        """The JSON Schema of the arguments, as published."""
        return self.handler.input_schema

    @property
    def output_schema(self) -> dict[str, Any] | None:
        """The JSON Schema of ``structuredContent``, as published, or ``None``."""
        return self.output.schema if self.output is not None else None

    def to_wire(self) -> wire.Tool:
        """The ``Tool`` Struct of ``tools/list`` (built once, at construction)."""
        return self._wire

    def bind(self, arguments: RawArguments | Mapping[str, Any] = None) -> dict[str, Any]:
        """Decode (raw JSON) or convert (a mapping) and validate the arguments.

        Args:
            arguments: Raw JSON text of the arguments object (one msgspec pass), a mapping
                (in-process callers), or ``None``/empty for none.

        Returns:
            The bound arguments for `call`.

        Raises:
            ArgumentValidationError: They do not fit; the message names the tool and path.
        """
        try:
            if arguments is None or isinstance(
                arguments, bytes | bytearray | memoryview | msgspec.Raw
            ):
                return self.handler.decode(arguments)
            return self.handler.convert(arguments)
        except ArgumentValidationError as exc:
            raise exc.for_component(self.label) from None

    def call(self, arguments: dict[str, Any], ctx: Context | None = None) -> Any:
        """Call the handler with bound arguments; an awaitable when it is async."""
        return self.handler.call(arguments, ctx)

    def to_result(self, value: Any) -> wire.CallToolResult:
        """Normalise the handler's return value (see `results.tool_result`).

        Raises:
            OutputSchemaError: The result breaks the tool's explicit output schema.
        """
        try:
            return tool_result(value, self.output)
        except OutputSchemaError as exc:
            raise OutputSchemaError(f"{self.label}: {exc.message}") from None

    def error_result(
        self, exc: BaseException, *, mask_error_details: bool = False
    ) -> wire.CallToolResult:
        """Turn an exception of the call into an ``isError`` result (see `results`)."""
        return tool_error_result(exc, tool=self.name, mask_error_details=mask_error_details)

    async def run(
        self,
        arguments: RawArguments | Mapping[str, Any] = None,
        ctx: Context | None = None,
        *,
        mask_error_details: bool = False,
        run_sync: RunSync | None = None,
    ) -> wire.CallToolResult:
        """Bind, call and normalise: the whole call, for in-process use.

        Exceptions of the handler and argument errors become ``isError`` results;
        `McpError`s other than argument errors (and `OutputSchemaError`) propagate, to be
        answered as JSON-RPC errors.

        Args:
            arguments: As for `bind`.
            ctx: The context for the handler.
            mask_error_details: Hide the text of unexpected exceptions.
            run_sync: Runs a sync handler off the loop; by default it runs inline.

        Returns:
            The result.
        """
        try:
            bound = self.bind(arguments)
            value = await _invoke(self.handler, bound, ctx, run_sync)
        except ArgumentValidationError as exc:
            return self.error_result(exc)
        except McpError:
            raise
        except Exception as exc:
            return self.error_result(exc, mask_error_details=mask_error_details)
        return self.to_result(value)


# --------------------------------------------------------------------------------------------
# Resources


def _check_uri(uri: object, label: str) -> str:
    if not isinstance(uri, str) or not uri:
        raise ValueError(f"the URI of {label} must be a non-empty str, got {uri!r}")
    if not urlsplit(uri).scheme:
        raise ValueError(
            f"{label}: {uri!r} is not an absolute URI (give it a scheme, e.g. file://)"
        )
    return uri


def _check_mime(mime_type: object, label: str) -> str | None:
    if mime_type is None:
        return None
    if not isinstance(mime_type, str) or "/" not in mime_type:
        raise ValueError(
            f"the mime_type of {label} must look like 'type/subtype', got {mime_type!r}"
        )
    return mime_type


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Resource(Component):
    """A resource with a fixed URI, read by calling its handler.

    Attributes:
        uri: The resource's URI.
        handler: The inspected handler (takes no arguments; may take the `Context`).
        mime_type: The MIME type of its contents, if known.
        size: Its size in bytes, if known.
        annotations: Display hints.
    """

    kind: ClassVar[ComponentKind] = "resource"

    uri: str
    handler: TypedHandler
    mime_type: str | None = None
    size: int | None = None
    annotations: wire.Annotations | None = None
    timeout: float | None = None
    cache: CacheHint | None = None
    _wire: wire.Resource = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "_wire",
            wire.Resource(
                uri=self.uri,
                name=self.name,
                title=self.title,
                description=self.description,
                mime_type=self.mime_type,
                size=self.size,
                annotations=self.annotations,
                icons=self._wire_icons(),
                meta=self._wire_meta(),
            ),
        )

    @property
    def identifier(self) -> str:
        """The resource's URI."""
        return self.uri

    @classmethod
    def from_function(
        cls,
        fn: Callable[..., Any],
        uri: str,
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        mime_type: str | None = None,
        size: int | None = None,
        annotations: wire.Annotations | Mapping[str, Any] | None = None,
        icons: Iterable[wire.Icon | Mapping[str, Any]] | None = None,
        tags: Iterable[str] | None = None,
        meta: Mapping[str, Any] | None = None,
        version: str | None = None,
        enabled: bool = True,
        timeout: float | None = None,
        cache: CacheHint | Mapping[str, Any] | None = None,
    ) -> Resource:
        """Build a resource from a handler that takes no arguments (but may take `Context`).

        Args:
            fn: The handler, sync or async; returns str (text), bytes (binary), contents...
            uri: The resource's URI (without ``{...}``: that makes a template).
            name: Its name; the handler's ``__name__`` by default.
            title: Display name.
            description: For the model; the docstring's description part by default.
            mime_type: The MIME type of its contents.
            size: Its size in bytes.
            annotations: Display hints (``Annotations`` or a mapping of wire names).
            icons: Icons.
            tags: Labels for visibility selectors.
            meta: The resource's ``_meta``.
            version: Its version.
            enabled: Visible before visibility rules apply.
            timeout: Seconds the pipeline lets a read/render run, or ``None``.
            cache: The caching hint of its reads for 2026-07-28 clients (`CacheHint`, or
                ``{"ttl_ms": ..., "scope": ...}``); the server's ``read_cache`` by default.

        Returns:
            The resource.

        Raises:
            TypeError: The handler takes arguments or cannot be inspected.
            ValueError: The URI, name or an option is invalid.
        """
        label = component_label("resource", str(uri))
        _check_uri(uri, label)
        if "{" in uri:
            raise ValueError(f"{label} contains '{{': define it as a resource template")
        handler = inspect_handler(fn, what="resource")
        if handler.parameters:
            names = ", ".join(p.name for p in handler.parameters)
            raise TypeError(
                f"{label} handler takes the arguments {names}; a resource takes none "
                "(put them in the URI as {name} to make a resource template)"
            )
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            raise ValueError(f"the size of {label} must be a non-negative int")
        return cls(
            name=_check_name(
                name if name is not None else _handler_name(fn, "resource"), "resource"
            ),
            title=title,
            description=description if description is not None else handler.description,
            icons=_icons(icons),
            tags=_tags(tags),
            meta=dict(meta) if meta is not None else None,
            version=_check_version(version, label),
            enabled=bool(enabled),
            timeout=_timeout(timeout, label),
            cache=cache_hint(cache, label),
            uri=uri,
            handler=handler,
            mime_type=_check_mime(mime_type, label),
            size=size,
            annotations=(
                None
                if annotations is None
                else _convert_wire(annotations, wire.Annotations, f"the annotations of {label}")
            ),
        )

    def to_wire(self) -> wire.Resource:
        """The ``Resource`` Struct of ``resources/list`` (built once)."""
        return self._wire

    def read(self, ctx: Context | None = None) -> Any:
        """Call the handler; an awaitable when it is async."""
        return self.handler.call({}, ctx)

    def to_result(self, value: Any) -> wire.ReadResourceResult:
        """Normalise the handler's return value (see `results.resource_result`)."""
        return resource_result(value, uri=self.uri, mime_type=self.mime_type)

    async def run(
        self, ctx: Context | None = None, *, run_sync: RunSync | None = None
    ) -> wire.ReadResourceResult:
        """Read the resource: call and normalise, for in-process use.

        Args:
            ctx: The context for the handler.
            run_sync: Runs a sync handler off the loop; by default it runs inline.

        Returns:
            The result; exceptions of the handler propagate.
        """
        return self.to_result(await _invoke(self.handler, {}, ctx, run_sync))


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ResourceTemplate(Component):
    """A family of resources: an RFC 6570 URI template whose variables are typed parameters.

    Attributes:
        uri_template: The template text.
        template: The parsed template (compiled once).
        handler: The inspected handler; its parameters are the template's variables.
        converter: Converts captured strings to the parameters' types (built once).
        mime_type: The MIME type of every matching resource, if they share one.
        annotations: Display hints.
    """

    kind: ClassVar[ComponentKind] = "template"

    uri_template: str
    template: UriTemplate
    handler: TypedHandler
    converter: CaptureConverter
    mime_type: str | None = None
    annotations: wire.Annotations | None = None
    timeout: float | None = None
    cache: CacheHint | None = None
    _wire: wire.ResourceTemplate = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "_wire",
            wire.ResourceTemplate(
                uri_template=self.uri_template,
                name=self.name,
                title=self.title,
                description=self.description,
                mime_type=self.mime_type,
                annotations=self.annotations,
                icons=self._wire_icons(),
                meta=self._wire_meta(),
            ),
        )

    @property
    def identifier(self) -> str:
        """The URI template."""
        return self.uri_template

    @property
    def variables(self) -> tuple[str, ...]:
        """The template's variables, in order."""
        return self.template.variables

    @classmethod
    def from_function(
        cls,
        fn: Callable[..., Any],
        uri_template: str,
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        mime_type: str | None = None,
        annotations: wire.Annotations | Mapping[str, Any] | None = None,
        icons: Iterable[wire.Icon | Mapping[str, Any]] | None = None,
        tags: Iterable[str] | None = None,
        meta: Mapping[str, Any] | None = None,
        version: str | None = None,
        enabled: bool = True,
        timeout: float | None = None,
        cache: CacheHint | Mapping[str, Any] | None = None,
    ) -> ResourceTemplate:
        """Build a resource template from a handler whose parameters are its variables.

        Every variable must be a parameter; a parameter of a ``{?query}`` or ``{&query}``
        variable (optional in URIs) needs a default; a parameter that is not a variable
        needs a default too. Captured values are percent-decoded and converted to the
        parameter types (``int``, ``bool``, enums, ``list[str]`` from ``a,b``...).

        Args:
            fn: The handler, sync or async.
            uri_template: An RFC 6570 template, e.g. ``"weather://{city}/forecast{?days}"``.
            name: Its name; the handler's ``__name__`` by default.
            title: Display name.
            description: For the model; the docstring's description part by default.
            mime_type: The MIME type of the resources.
            annotations: Display hints.
            icons: Icons.
            tags: Labels for visibility selectors.
            meta: The template's ``_meta``.
            version: Its version.
            enabled: Visible before visibility rules apply.
            timeout: Seconds the pipeline lets a read/render run, or ``None``.

        Returns:
            The resource template.

        Raises:
            TypeError: Parameters and variables do not match, or the handler cannot be
                inspected.
            ValueError: The template is not valid RFC 6570 or cannot be matched, or an
                option is invalid.
        """
        label = component_label("template", str(uri_template))
        _check_uri(uri_template, label)
        template = UriTemplate(uri_template)
        if not template.variables:
            raise ValueError(f"{label} has no {{variables}}: define it as a plain resource")
        handler = inspect_handler(fn, what="resource template")
        params = {p.name: p for p in handler.parameters}
        optional = set(template.optional_variables)
        for variable in template.variables:
            param = params.get(variable)
            if param is None:
                raise TypeError(
                    f"{label}: the variable {{{variable}}} has no parameter in the handler "
                    f"{handler.name!r}; add a parameter named {variable!r}"
                )
            if variable in optional and param.required:
                raise TypeError(
                    f"{label}: {variable!r} is a query variable, absent from some URIs; give "
                    "its parameter a default"
                )
        for param in handler.parameters:
            if param.name not in template.variables and param.required:
                raise TypeError(
                    f"{label}: the handler parameter {param.name!r} is not a variable of the "
                    "template and has no default; add it to the template or give it a default"
                )
        converter = CaptureConverter({v: params[v].annotation for v in template.variables})
        return cls(
            name=_check_name(
                name if name is not None else _handler_name(fn, "template"), "template"
            ),
            title=title,
            description=description if description is not None else handler.description,
            icons=_icons(icons),
            tags=_tags(tags),
            meta=dict(meta) if meta is not None else None,
            version=_check_version(version, label),
            enabled=bool(enabled),
            timeout=_timeout(timeout, label),
            cache=cache_hint(cache, label),
            uri_template=uri_template,
            template=template,
            handler=handler,
            converter=converter,
            mime_type=_check_mime(mime_type, label),
            annotations=(
                None
                if annotations is None
                else _convert_wire(annotations, wire.Annotations, f"the annotations of {label}")
            ),
        )

    def to_wire(self) -> wire.ResourceTemplate:
        """The ``ResourceTemplate`` Struct of ``resources/templates/list`` (built once)."""
        return self._wire

    def match(self, uri: str) -> Captures | None:
        """Match a URI against the template; the decoded captures, or ``None``."""
        return self.template.match(uri)

    def convert_captures(self, captures: Mapping[str, str | list[str]]) -> dict[str, Any]:
        """Convert captured strings to the handler's parameter types.

        Raises:
            CaptureConversionError: A value does not convert (-32602, names the variable).
        """
        return self.converter(captures)

    def read(self, arguments: dict[str, Any], ctx: Context | None = None) -> Any:
        """Call the handler with converted captures; an awaitable when it is async."""
        return self.handler.call(arguments, ctx)

    def to_result(self, value: Any, uri: str) -> wire.ReadResourceResult:
        """Normalise the handler's return value for the URI that was read."""
        return resource_result(value, uri=uri, mime_type=self.mime_type)

    async def run(
        self, uri: str, ctx: Context | None = None, *, run_sync: RunSync | None = None
    ) -> wire.ReadResourceResult:
        """Read one URI of the family: match, convert, call, normalise.

        Args:
            uri: The URI to read.
            ctx: The context for the handler.
            run_sync: Runs a sync handler off the loop; by default it runs inline.

        Returns:
            The result; exceptions of the handler propagate.

        Raises:
            ResourceNotFound: The URI does not match the template.
            CaptureConversionError: A captured value does not convert.
        """
        captures = self.match(uri)
        if captures is None:
            raise ResourceNotFound.for_uri(uri)
        arguments = self.convert_captures(captures)
        return self.to_result(await _invoke(self.handler, arguments, ctx, run_sync), uri)


# --------------------------------------------------------------------------------------------
# Prompts


def _prompt_argument(
    value: wire.PromptArgument | Mapping[str, Any] | str, label: str
) -> wire.PromptArgument:
    if isinstance(value, str):
        return wire.PromptArgument(name=value, required=True)
    return _convert_wire(value, wire.PromptArgument, f"an argument of {label}")


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Prompt(Component):
    """A prompt: a handler that renders messages from string arguments.

    Attributes:
        handler: The inspected handler (typed, or explicit ``fn(arguments, ctx)``).
        arguments: The arguments it declares, as listed.
    """

    kind: ClassVar[ComponentKind] = "prompt"

    handler: Handler
    arguments: tuple[wire.PromptArgument, ...] = ()
    _required: tuple[str, ...] = field(init=False, repr=False)
    _parse_json: frozenset[str] = field(init=False, repr=False)
    timeout: float | None = None
    _wire: wire.Prompt = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_required", tuple(a.name for a in self.arguments if a.required))
        parse: frozenset[str] = frozenset()
        if isinstance(self.handler, TypedHandler):
            parse = frozenset(
                p.name for p in self.handler.parameters if not is_str_like(p.annotation)
            )
        object.__setattr__(self, "_parse_json", parse)
        object.__setattr__(
            self,
            "_wire",
            wire.Prompt(
                name=self.name,
                title=self.title,
                description=self.description,
                arguments=list(self.arguments) or None,
                icons=self._wire_icons(),
                meta=self._wire_meta(),
            ),
        )

    @classmethod
    def from_function(
        cls,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        arguments: Sequence[wire.PromptArgument | Mapping[str, Any] | str] | None = None,
        icons: Iterable[wire.Icon | Mapping[str, Any]] | None = None,
        tags: Iterable[str] | None = None,
        meta: Mapping[str, Any] | None = None,
        version: str | None = None,
        enabled: bool = True,
        timeout: float | None = None,
    ) -> Prompt:
        """Build a prompt from a handler.

        With ``arguments``, the handler is explicit: called as ``fn(arguments)`` or
        ``fn(arguments, ctx)`` with the dict of string values. Without it, the handler's
        typed parameters are the arguments: those without a default are required, string
        values are converted to the parameter types (JSON text for lists, objects, numbers).

        Args:
            fn: The handler, sync or async.
            name: Its name; the handler's ``__name__`` by default.
            title: Display name.
            description: For the model; the docstring's description part by default.
            arguments: Explicit arguments (``PromptArgument``, mappings of wire names, or
                names of required arguments).
            icons: Icons.
            tags: Labels for visibility selectors.
            meta: The prompt's ``_meta``.
            version: Its version.
            enabled: Visible before visibility rules apply.
            timeout: Seconds the pipeline lets a read/render run, or ``None``.

        Returns:
            The prompt.

        Raises:
            TypeError: The handler cannot be inspected.
            ValueError: A name, argument or option is invalid.
        """
        prompt_name = _check_name(
            name if name is not None else _handler_name(fn, "prompt"), "prompt"
        )
        label = component_label("prompt", prompt_name)
        handler: Handler
        if arguments is not None:
            declared = tuple(_prompt_argument(a, label) for a in arguments)
            names = [a.name for a in declared]
            if len(set(names)) != len(names):
                raise ValueError(f"{label} declares an argument twice: {names}")
            handler = ExplicitHandler(
                fn,
                input_schema={
                    "type": "object",
                    "properties": {n: {"type": "string"} for n in names},
                },
                validator=None,
                what="prompt",
            )
            doc = inspect.getdoc(fn)
            default_description = doc.strip() if doc else None
        else:
            typed = inspect_handler(fn, what="prompt")
            declared = tuple(
                wire.PromptArgument(name=p.name, description=p.description, required=p.required)
                for p in typed.parameters
            )
            handler = typed
            default_description = typed.description
        return cls(
            name=prompt_name,
            title=title,
            description=description if description is not None else default_description,
            icons=_icons(icons),
            tags=_tags(tags),
            meta=dict(meta) if meta is not None else None,
            version=_check_version(version, label),
            enabled=bool(enabled),
            timeout=_timeout(timeout, label),
            handler=handler,
            arguments=declared,
        )

    @property
    def argument_names(self) -> tuple[str, ...]:
        """The declared argument names, in order."""
        return tuple(a.name for a in self.arguments)

    def to_wire(self) -> wire.Prompt:
        """The ``Prompt`` Struct of ``prompts/list`` (built once)."""
        return self._wire

    def bind(self, arguments: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Check required arguments, then convert the values for the handler.

        Args:
            arguments: The ``prompts/get`` arguments (string values on the wire; in-process
                callers may pass typed values).

        Returns:
            The bound arguments for `call`.

        Raises:
            ArgumentValidationError: A required argument is missing (checked first, before
                the handler runs), or a value does not convert. -32602 on the wire.
        """
        given: Mapping[str, Any] = arguments or {}
        missing = [n for n in self._required if n not in given]
        if missing:
            listed = ", ".join(repr(n) for n in missing)
            raise ArgumentValidationError(
                f"missing required argument{'s' if len(missing) > 1 else ''} {listed}",
                path=format_path([missing[0]]),
                component=self.label,
            )
        if isinstance(self.handler, ExplicitHandler):
            return dict(given)
        values: dict[str, Any] = {}
        parse = self._parse_json
        for key, value in given.items():
            if key in parse and isinstance(value, str):
                try:
                    value = _decode_json_value(value)
                except msgspec.DecodeError:
                    pass  # not JSON: let the conversion judge the string itself
            values[key] = value
        try:
            return self.handler.convert(values)
        except ArgumentValidationError as exc:
            raise exc.for_component(self.label) from None

    def call(self, arguments: dict[str, Any], ctx: Context | None = None) -> Any:
        """Call the handler with bound arguments; an awaitable when it is async."""
        return self.handler.call(arguments, ctx)

    def to_result(self, value: Any) -> wire.GetPromptResult:
        """Normalise the handler's return value (see `results.prompt_result`)."""
        return prompt_result(value, description=self.description)

    async def run(
        self,
        arguments: Mapping[str, Any] | None = None,
        ctx: Context | None = None,
        *,
        run_sync: RunSync | None = None,
    ) -> wire.GetPromptResult:
        """Render the prompt: bind, call, normalise, for in-process use.

        Args:
            arguments: As for `bind`.
            ctx: The context for the handler.
            run_sync: Runs a sync handler off the loop; by default it runs inline.

        Returns:
            The result; exceptions of the handler propagate.

        Raises:
            ArgumentValidationError: See `bind`.
        """
        bound = self.bind(arguments)
        return self.to_result(await _invoke(self.handler, bound, ctx, run_sync))
