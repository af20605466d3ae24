# The server definition: `Server`, returned by `fastestmcp.server(name, **options)`.
#
# A `Server` is the static description of an MCP server: its options, its components
# (tools, resources, resource templates, prompts), completion sources, dependencies and
# lifespans. It does no IO and starts nothing; the actor runtime (sessions, pipeline,
# transports) reads it.
#
# Rules of this module:
#   * Registration compiles each component once (see `components.py`) and applies the
#     duplicate policy: a duplicate is the same key, i.e. kind, identifier AND version.
#     Mixing versioned and unversioned definitions of one identifier is refused.
#   * Listing order is registration order (a replaced component keeps its place). A list
#     shows one component per identifier: its highest visible version. Lookups by name
#     return the highest visible version, or the exact version asked for.
#   * "Visible" is a predicate the caller passes (a session's visibility rules); by
#     default a component is visible when it is `enabled`.
#   * `resource_for_uri` tries exact resources first, then templates from the most to
#     the least specific (`UriTemplate.specificity`, ties in registration order).
#   * Every list is paged with the opaque cursors of `fastestmcp.protocol.cursor`, with
#     the server's `list_page_size` (None: one page).
#   * `add_*` methods return the server (chainable); decorators return the function
#     unchanged, so it stays directly callable.

"""The server definition: options, component registration, lookups, listing, pagination."""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import (
    Any,
    Generic,
    Literal,
    Never,
    Self,
    TypeAlias,
    TypedDict,
    TypeVar,
    Unpack,
    overload,
)

from fastestmcp import __version__  # (set before the package imports this module)
from fastestmcp.protocol import types as wire
from fastestmcp.protocol.cursor import paginate as _paginate
from fastestmcp.protocol.modern import CacheHint, ResultStamp, StateSealer
from fastestmcp.protocol.uri_template import Captures
from fastestmcp.server.completions import Completer, CompletionSource
from fastestmcp.server.components import (
    Component,
    ComponentKind,
    Prompt,
    Resource,
    ResourceTemplate,
    Tool,
    _convert_wire,
    cache_hint,
)
from fastestmcp.server.dependencies import Dependency, Lifespan
from fastestmcp.server.errors import DuplicateComponentError, DuplicateComponentWarning
from fastestmcp.server.visibility import compare_versions

__all__ = (
    "OnDuplicate",
    "PromptOptions",
    "ResourceMatch",
    "ResourceOptions",
    "Server",
    "TemplateOptions",
    "ToolOptions",
    "Visible",
    "server",
)

OnDuplicate: TypeAlias = Literal["error", "warn", "replace", "ignore"]
"""What registering an existing key does: raise, warn and replace, replace, keep the old."""

Visible: TypeAlias = Callable[[Any], bool]
"""A visibility predicate over components."""

F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound=Component)
T = TypeVar("T")

_POLICIES: tuple[OnDuplicate, ...] = ("error", "warn", "replace", "ignore")
_TRANSPORT_OPTIONS = frozenset(
    {
        "transport",
        "host",
        "port",
        "path",
        "stateless_http",
        "json_response",
        "sse_path",
        "message_path",
        "streamable_http_path",
        "event_store",
        "allowed_hosts",
        "allowed_origins",
        "log_level",
    }
)


def _enabled(component: Any) -> bool:
    return bool(component.enabled)


class ToolOptions(TypedDict, total=False):
    """Options of `Server.add_tool` and `@server.tool` (see `Tool.from_function`)."""

    name: str | None
    title: str | None
    description: str | None
    input_schema: Mapping[str, Any] | None
    output_schema: Mapping[str, Any] | Literal[False] | None
    annotations: wire.ToolAnnotations | Mapping[str, Any] | None
    icons: Iterable[wire.Icon | Mapping[str, Any]] | None
    tags: Iterable[str] | None
    meta: Mapping[str, Any] | None
    version: str | None
    enabled: bool
    timeout: float | None


class ResourceOptions(TypedDict, total=False):
    """Options of `Server.add_resource` and `@server.resource` (see `Resource.from_function`)."""

    name: str | None
    title: str | None
    description: str | None
    mime_type: str | None
    size: int | None
    annotations: wire.Annotations | Mapping[str, Any] | None
    icons: Iterable[wire.Icon | Mapping[str, Any]] | None
    tags: Iterable[str] | None
    meta: Mapping[str, Any] | None
    version: str | None
    enabled: bool
    timeout: float | None
    cache: CacheHint | Mapping[str, Any] | None
    completions: Mapping[str, CompletionSource] | None


class TemplateOptions(TypedDict, total=False):
    """Options of `Server.add_resource_template` (see `ResourceTemplate.from_function`).

    ``completions`` maps template variables to completion sources.
    """

    name: str | None
    title: str | None
    description: str | None
    mime_type: str | None
    annotations: wire.Annotations | Mapping[str, Any] | None
    icons: Iterable[wire.Icon | Mapping[str, Any]] | None
    tags: Iterable[str] | None
    meta: Mapping[str, Any] | None
    version: str | None
    enabled: bool
    timeout: float | None
    cache: CacheHint | Mapping[str, Any] | None
    completions: Mapping[str, CompletionSource] | None


class PromptOptions(TypedDict, total=False):
    """Options of `Server.add_prompt` and `@server.prompt` (see `Prompt.from_function`).

    ``completions`` maps argument names to completion sources.
    """

    name: str | None
    title: str | None
    description: str | None
    arguments: Sequence[wire.PromptArgument | Mapping[str, Any] | str] | None
    icons: Iterable[wire.Icon | Mapping[str, Any]] | None
    tags: Iterable[str] | None
    meta: Mapping[str, Any] | None
    version: str | None
    enabled: bool
    timeout: float | None
    completions: Mapping[str, CompletionSource] | None


class ResourceMatch(Generic[C]):
    """What `Server.resource_for_uri` found: a resource, or a template and its captures.

    Attributes:
        component: The `Resource` or `ResourceTemplate`.
        captures: The template's decoded captures (``None`` for a resource).
    """

    __slots__ = ("captures", "component")

    def __init__(self, component: C, captures: Captures | None = None) -> None:
        self.component = component
        self.captures = captures

    def __repr__(self) -> str:
        return f"ResourceMatch({self.component.key!r}, captures={self.captures!r})"


class _Registry(Generic[C]):
    # One kind of component: by key (registration order) and by identifier (versions,
    # highest first).

    __slots__ = ("_by_id", "_by_key", "_listed", "kind")

    def __init__(self, kind: ComponentKind) -> None:
        self.kind = kind
        self._by_key: dict[str, C] = {}
        self._by_id: dict[str, list[C]] = {}
        self._listed: list[C] | None = None

    def __len__(self) -> int:
        return len(self._by_key)

    def all(self) -> tuple[C, ...]:
        return tuple(self._by_key.values())

    def identifiers(self) -> list[str]:
        return list(self._by_id)

    def versions(self, identifier: str) -> list[C]:
        return self._by_id.get(identifier, [])

    def add(self, component: C, policy: OnDuplicate) -> C:
        siblings = self._by_id.get(component.identifier, [])
        if siblings:
            has_unversioned = any(s.version is None for s in siblings)
            if (component.version is None) != has_unversioned:
                raise ValueError(
                    f"{component.label} cannot mix versioned and unversioned definitions; "
                    "give every definition of it a version, or none"
                )
        existing = self._by_key.get(component.key)
        if existing is not None:
            what = (
                f"{component.label} version {component.version!r}"
                if component.version is not None
                else component.label
            )
            if policy == "error":
                raise DuplicateComponentError(
                    f"{what} is already registered; use another name or version, or create "
                    "the server with on_duplicate='replace', 'warn' or 'ignore'"
                )
            if policy == "ignore":
                return existing
            if policy == "warn":
                warnings.warn(
                    f"{what} is already registered; replacing it",
                    DuplicateComponentWarning,
                    stacklevel=3,
                )
        self._by_key[component.key] = component
        self._reindex()
        return component

    def remove(self, key: str) -> C | None:
        component = self._by_key.pop(key, None)
        if component is not None:
            self._reindex()
        return component

    def _reindex(self) -> None:
        by_id: dict[str, list[C]] = {}
        for component in self._by_key.values():
            by_id.setdefault(component.identifier, []).append(component)
        for versions in by_id.values():
            if len(versions) > 1:
                _sort_versions_desc(versions)
        self._by_id = by_id
        self._listed = None

    def get(self, identifier: str, version: str | None, visible: Visible | None) -> C | None:
        versions = self._by_id.get(identifier)
        if not versions:
            return None
        check = visible or _enabled
        if version is not None:
            found = self._by_key.get(f"{self.kind}:{identifier}@{version}")
            return found if found is not None and check(found) else None
        for component in versions:
            if check(component):
                return component
        return None

    def listed(self, visible: Visible | None) -> list[C]:
        if visible is None and self._listed is not None:
            return self._listed
        check = visible or _enabled
        result: list[C] = []
        for versions in self._by_id.values():
            for component in versions:
                if check(component):
                    result.append(component)
                    break
        if visible is None:
            self._listed = result
        return result


def _sort_versions_desc(versions: list[C]) -> None:
    # Insertion sort keeps registration order among equal versions (n is tiny).
    for i in range(1, len(versions)):
        item = versions[i]
        j = i - 1
        while j >= 0 and compare_versions(item.version, versions[j].version) > 0:
            versions[j + 1] = versions[j]
            j -= 1
        versions[j + 1] = item


def _check_positive_int(value: Any, option: str, *, allow_none: bool = True) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{option} must be a positive int{' or None' if allow_none else ''}")
    return value


def _check_seconds(value: Any, option: str) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{option} must be a positive number of seconds or None")
    return float(value)


class Server:
    """The definition of an MCP server: options and components. Create it with `server`.

    Args:
        name: The server's name (``serverInfo.name``).
        instructions: How to use the server, for the model (``initialize`` result).
        version: The server's version (``serverInfo.version``).
        website_url: Its home page (``serverInfo.websiteUrl``).
        icons: Its icons (``Icon`` or mappings of wire names).
        on_duplicate: What registering an existing key does: ``"error"`` (default),
            ``"warn"`` (warn and replace), ``"replace"`` or ``"ignore"`` (keep the old).
        mask_error_details: Hide the text of unexpected exceptions from clients.
        strict_input_validation: Refuse lenient conversions of typed tool arguments
            (the string ``"2"`` for an ``int``...).
        list_page_size: Items per page of every list method; ``None`` sends one page.
        cursor_key: HMAC key of pagination cursors (16+ bytes) so they survive restarts
            and work across processes; by default a random key per process.
        max_sessions: Most sessions open at once (``None``: no limit).
        session_idle_timeout: Seconds a session with nothing in flight may stay idle
            (``None``: forever). A request that only waits for the client's answer to its
            sampling, elicitation or roots request does not count while the client is silent
            and holds no stream open: a client gone for good does not keep the session.
        lifespan: One lifespan or several (see `Server.add_lifespan`).
        request_state_key: HMAC key (16+ bytes) sealing the ``requestState`` of 2026-07-28
            input rounds (MRTR); give every replica the same key. By default a random
            key per process.
        request_state_ttl: Seconds a sealed ``requestState`` stays valid.
        list_cache: The caching hint (`CacheHint`) of the list results and
            ``server/discover`` for 2026-07-28 clients (default: 0 ms, private).
        read_cache: The default caching hint of ``resources/read`` (a resource's own
            ``cache`` option wins).
        principal_state: Give a 2026-07-28 request with an authenticated principal that
            principal's session state (a scope per principal).
        sync_handlers: ``"auto"`` (default): sync handlers run in the thread pool, and a
            typed one without a ``Context`` parameter that has proved quick (32 runs in a
            row under 0.2 ms) runs on the event loop, until it proves slow there (three runs
            over 2 ms within 1,000, or one over 50 ms); ``"thread"``: always in the pool.

    Raises:
        TypeError: A transport option (``host``, ``port``...: they belong to ``run()``)
            or an unknown option was given.
        ValueError: An option has an invalid value.
    """

    def __init__(
        self,
        name: str,
        instructions: str | None = None,
        *,
        version: str | None = None,
        website_url: str | None = None,
        icons: Iterable[wire.Icon | Mapping[str, Any]] | None = None,
        on_duplicate: OnDuplicate = "error",
        mask_error_details: bool = False,
        strict_input_validation: bool = False,
        list_page_size: int | None = None,
        cursor_key: bytes | None = None,
        max_sessions: int | None = 10_000,
        session_idle_timeout: float | None = 1800.0,
        lifespan: Callable[[Any], Any] | Sequence[Callable[[Any], Any]] | None = None,
        request_state_key: bytes | str | None = None,
        request_state_ttl: float = 3600.0,
        list_cache: CacheHint | Mapping[str, Any] | None = None,
        read_cache: CacheHint | Mapping[str, Any] | None = None,
        principal_state: bool = False,
        sync_handlers: Literal["auto", "thread"] = "auto",
        **unexpected: Never,
    ) -> None:
        if unexpected:
            _reject_options(unexpected)
        if not isinstance(name, str) or not name:
            raise ValueError(f"the server name must be a non-empty str, got {name!r}")
        for option, value in (
            ("instructions", instructions),
            ("version", version),
            ("website_url", website_url),
        ):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{option} must be a str or None, got {value!r}")
        if on_duplicate not in _POLICIES:
            raise ValueError(f"on_duplicate must be one of {list(_POLICIES)}, got {on_duplicate!r}")
        if cursor_key is not None and (not isinstance(cursor_key, bytes) or len(cursor_key) < 16):
            raise ValueError(
                "cursor_key must be bytes of length 16 or more (secrets.token_bytes(32))"
            )
        self.name = name
        self.instructions = instructions
        self.version = version
        self.website_url = website_url
        self.icons: tuple[wire.Icon, ...] | None = (
            None if icons is None else tuple(_convert_wire(i, wire.Icon, "an icon") for i in icons)
        )
        self.on_duplicate: OnDuplicate = on_duplicate
        self.mask_error_details = bool(mask_error_details)
        self.strict_input_validation = bool(strict_input_validation)
        self.list_page_size = _check_positive_int(list_page_size, "list_page_size")
        self.cursor_key = cursor_key
        self.max_sessions = _check_positive_int(max_sessions, "max_sessions")
        self.session_idle_timeout = _check_seconds(session_idle_timeout, "session_idle_timeout")
        self._tools: _Registry[Tool] = _Registry("tool")
        self._resources: _Registry[Resource] = _Registry("resource")
        self._templates: _Registry[ResourceTemplate] = _Registry("template")
        self._prompts: _Registry[Prompt] = _Registry("prompt")
        self._template_order: tuple[str, ...] = ()
        self._completers: dict[tuple[str, str, str], Completer] = {}
        self._dependencies: dict[str, Dependency] = {}
        self._lifespans: list[Lifespan] = []
        self._revision = 0
        ttl = _check_seconds(request_state_ttl, "request_state_ttl")
        self.state_sealer = StateSealer(request_state_key, ttl=3600.0 if ttl is None else ttl)
        self.list_cache = cache_hint(list_cache, "list_cache") or CacheHint()
        self.read_cache = cache_hint(read_cache, "read_cache") or CacheHint()
        self.principal_state = bool(principal_state)
        if sync_handlers not in ("auto", "thread"):
            raise ValueError(f"sync_handlers must be 'auto' or 'thread', got {sync_handlers!r}")
        self.sync_handlers: Literal["auto", "thread"] = sync_handlers
        self._stamp: ResultStamp | None = None
        if lifespan is not None:
            for fn in lifespan if isinstance(lifespan, Sequence) else (lifespan,):
                self.add_lifespan(fn)

    def __repr__(self) -> str:
        return (
            f"Server({self.name!r}, tools={len(self._tools)}, resources={len(self._resources)}, "
            f"templates={len(self._templates)}, prompts={len(self._prompts)})"
        )

    # -- running ------------------------------------------------------------------------------

    def run(self, transport: str = "stdio", **options: Any) -> None:
        """Serve this server until the transport ends (blocking): `server.run()` over stdio.

        Transport options (`host`, `port`, ...) belong here, not to `server()`.
        """
        from fastestmcp.transports.serve import run  # the transport layer sits above this one

        run(self, transport, **options)

    # -- identity -----------------------------------------------------------------------------

    def server_info(self) -> wire.Implementation:
        """The ``serverInfo`` of ``initialize`` (version: the server's, else fastestmcp's)."""
        return wire.Implementation(
            name=self.name,
            version=self.version or __version__,
            icons=list(self.icons) if self.icons is not None else None,
            website_url=self.website_url,
        )

    @property
    def result_stamp(self) -> ResultStamp:
        """What 2026-07-28 results carry (`resultType`, serverInfo, caching hints)."""
        if self._stamp is None:
            self._stamp = ResultStamp(self.server_info())
        return self._stamp

    def cache_hint_for(self, method: str | None, result: Any) -> CacheHint:
        """The caching hint of a cacheable 2026-07-28 result."""
        if method != "resources/read":
            return self.list_cache
        contents = getattr(result, "contents", None) or ()
        hints = []
        for item in contents:
            found = self.resource_for_uri(item.uri) if getattr(item, "uri", None) else None
            hint = None if found is None else getattr(found.component, "cache", None)
            hints.append(hint or self.read_cache)
        if not hints:
            return self.read_cache
        # Several contents: the shortest time, private if any is private.
        return CacheHint(
            min(h.ttl_ms for h in hints),
            "public" if all(h.scope == "public" for h in hints) else "private",
        )

    @property
    def revision(self) -> int:
        """A counter that grows with every registration change (for caches, list_changed)."""
        return self._revision

    def _changed(self) -> None:
        self._revision += 1

    # -- tools --------------------------------------------------------------------------------

    def add_tool(self, fn: Callable[..., Any] | Tool, /, **options: Unpack[ToolOptions]) -> Self:
        """Register a tool: a handler (options as in `Tool.from_function`) or a built `Tool`.

        Returns:
            The server, for chaining.

        Raises:
            DuplicateComponentError: Same key registered and ``on_duplicate="error"``.
            TypeError, ValueError: See `Tool.from_function`.
        """
        if isinstance(fn, Tool):
            _no_options(options, "a Tool")
            tool = fn
        else:
            tool = Tool.from_function(
                fn, strict_input_validation=self.strict_input_validation, **options
            )
        self._tools.add(tool, self.on_duplicate)
        self._changed()
        return self

    @overload
    def tool(self, fn: F, /, **options: Unpack[ToolOptions]) -> F: ...

    @overload
    def tool(
        self, name: str | None = None, /, **options: Unpack[ToolOptions]
    ) -> Callable[[F], F]: ...

    def tool(
        self, fn_or_name: F | str | None = None, /, **options: Unpack[ToolOptions]
    ) -> F | Callable[[F], F]:
        """Register a tool: ``@server.tool``, ``@server.tool()``, ``@server.tool("name")``,
        ``@server.tool(name=..., ...)`` or ``server.tool(fn, ...)``.

        Returns:
            The function unchanged (bare or direct form), or a decorator that returns it.
        """
        registered: F | Callable[[F], F] = _register_or_decorate(
            self.add_tool, fn_or_name, dict(options)
        )
        return registered

    @property
    def tools(self) -> tuple[Tool, ...]:
        """Every registered tool (all versions), in registration order."""
        return self._tools.all()

    def get_tool(
        self, name: str, version: str | None = None, *, visible: Visible | None = None
    ) -> Tool | None:
        """The tool called ``name``: its highest visible version, or ``version`` exactly."""
        return self._tools.get(name, version, visible)

    def remove_tool(self, name: str, version: str | None = None) -> Tool | None:
        """Unregister a tool (one version); return it, or ``None`` if it was not there."""
        return self._remove(self._tools, f"tool:{name}@{version or ''}")

    # -- resources ----------------------------------------------------------------------------

    def add_resource(
        self,
        fn: Callable[..., Any] | Resource | ResourceTemplate,
        uri: str | None = None,
        /,
        **options: Unpack[ResourceOptions],
    ) -> Self:
        """Register a resource: a handler and its URI, or a built `Resource`.

        A URI containing ``{...}`` registers a resource template instead (its handler's
        parameters are the template's variables; ``size`` does not apply).

        Returns:
            The server, for chaining.

        Raises:
            DuplicateComponentError: Same key registered and ``on_duplicate="error"``.
            TypeError, ValueError: See `Resource.from_function`.
        """
        if isinstance(fn, ResourceTemplate):
            return self.add_resource_template(fn)
        if isinstance(fn, Resource):
            _no_options(options, "a Resource")
            if uri is not None:
                raise TypeError("a Resource has its URI; do not pass one")
            self._resources.add(fn, self.on_duplicate)
            self._changed()
            return self
        if uri is None:
            raise TypeError("add_resource(fn, uri): the resource's URI is required")
        if "{" in uri:
            if options.get("size") is not None:
                raise TypeError(f"size does not apply to the resource template {uri!r}")
            template_options: dict[str, Any] = {k: v for k, v in options.items() if k != "size"}
            return self.add_resource_template(fn, uri, **template_options)
        built, completions = _split_completions(options)
        if completions:
            raise TypeError(
                f"the resource {uri!r} has no arguments to complete; completions apply to "
                "prompt arguments and template variables"
            )
        self._resources.add(Resource.from_function(fn, uri, **built), self.on_duplicate)
        self._changed()
        return self

    def resource(self, uri: str, /, **options: Unpack[ResourceOptions]) -> Callable[[F], F]:
        """Decorator: ``@server.resource("scheme://path", ...)``; ``{...}`` makes a template.

        Returns:
            A decorator that registers the function and returns it unchanged.
        """
        if not isinstance(uri, str):
            raise TypeError(
                "@server.resource needs the URI: write @server.resource('scheme://...')"
            )

        def decorator(fn: F) -> F:
            self.add_resource(fn, uri, **options)
            return fn

        return decorator

    def add_resource_template(
        self,
        fn: Callable[..., Any] | ResourceTemplate,
        uri_template: str | None = None,
        /,
        **options: Unpack[TemplateOptions],
    ) -> Self:
        """Register a resource template: a handler and its URI template, or a built one.

        Returns:
            The server, for chaining.

        Raises:
            DuplicateComponentError: Same key registered and ``on_duplicate="error"``.
            TypeError, ValueError: See `ResourceTemplate.from_function`.
        """
        built, completions = _split_completions(options)
        if isinstance(fn, ResourceTemplate):
            _no_options(built, "a ResourceTemplate")
            template = fn
        else:
            if uri_template is None:
                raise TypeError("add_resource_template(fn, uri_template): the template is required")
            template = ResourceTemplate.from_function(fn, uri_template, **built)
        registered = self._templates.add(template, self.on_duplicate)
        self._template_order = tuple(
            sorted(
                self._templates.identifiers(),
                key=lambda i: self._templates.versions(i)[0].template.specificity,
                reverse=True,
            )
        )
        self._changed()
        for argument, source in (completions or {}).items():
            self.add_completion(registered.uri_template, argument, source)
        return self

    def resource_template(
        self, uri_template: str, /, **options: Unpack[TemplateOptions]
    ) -> Callable[[F], F]:
        """Decorator: ``@server.resource_template("scheme://{var}", ...)``.

        Returns:
            A decorator that registers the function and returns it unchanged.
        """
        if not isinstance(uri_template, str):
            raise TypeError(
                "@server.resource_template needs the URI template: "
                "write @server.resource_template('scheme://{name}')"
            )

        def decorator(fn: F) -> F:
            self.add_resource_template(fn, uri_template, **options)
            return fn

        return decorator

    @property
    def resources(self) -> tuple[Resource, ...]:
        """Every registered resource (all versions), in registration order."""
        return self._resources.all()

    @property
    def resource_templates(self) -> tuple[ResourceTemplate, ...]:
        """Every registered resource template (all versions), in registration order."""
        return self._templates.all()

    def get_resource(
        self, uri: str, version: str | None = None, *, visible: Visible | None = None
    ) -> Resource | None:
        """The resource with this exact URI (highest visible version, or ``version``)."""
        return self._resources.get(uri, version, visible)

    def get_resource_template(
        self, uri_template: str, version: str | None = None, *, visible: Visible | None = None
    ) -> ResourceTemplate | None:
        """The template with this exact template text (highest visible version, or ``version``)."""
        return self._templates.get(uri_template, version, visible)

    def resource_for_uri(
        self, uri: str, *, visible: Visible | None = None
    ) -> ResourceMatch[Resource] | ResourceMatch[ResourceTemplate] | None:
        """Find what serves ``resources/read`` of ``uri``.

        Exact resources first; then templates, the most specific first (ties in
        registration order), each at its highest visible version.

        Returns:
            The match (with the template's captures), or ``None``.
        """
        resource = self._resources.get(uri, None, visible)
        if resource is not None:
            return ResourceMatch(resource)
        for identifier in self._template_order:
            template = self._templates.get(identifier, None, visible)
            if template is None:
                continue
            captures = template.match(uri)
            if captures is not None:
                return ResourceMatch(template, captures)
        return None

    def remove_resource(self, uri: str, version: str | None = None) -> Resource | None:
        """Unregister a resource (one version); return it, or ``None``."""
        return self._remove(self._resources, f"resource:{uri}@{version or ''}")

    def remove_resource_template(
        self, uri_template: str, version: str | None = None
    ) -> ResourceTemplate | None:
        """Unregister a resource template (one version); return it, or ``None``."""
        removed = self._remove(self._templates, f"template:{uri_template}@{version or ''}")
        self._template_order = tuple(i for i in self._template_order if self._templates.versions(i))
        return removed

    # -- prompts ------------------------------------------------------------------------------

    def add_prompt(
        self, fn: Callable[..., Any] | Prompt, /, **options: Unpack[PromptOptions]
    ) -> Self:
        """Register a prompt: a handler (options as in `Prompt.from_function`) or a `Prompt`.

        ``completions`` maps argument names to completion sources.

        Returns:
            The server, for chaining.

        Raises:
            DuplicateComponentError: Same key registered and ``on_duplicate="error"``.
            TypeError, ValueError: See `Prompt.from_function`.
        """
        built, completions = _split_completions(options)
        if isinstance(fn, Prompt):
            _no_options(built, "a Prompt")
            prompt = fn
        else:
            prompt = Prompt.from_function(fn, **built)
        registered = self._prompts.add(prompt, self.on_duplicate)
        self._changed()
        for argument, source in (completions or {}).items():
            self.add_completion(registered.name, argument, source)
        return self

    @overload
    def prompt(self, fn: F, /, **options: Unpack[PromptOptions]) -> F: ...

    @overload
    def prompt(
        self, name: str | None = None, /, **options: Unpack[PromptOptions]
    ) -> Callable[[F], F]: ...

    def prompt(
        self, fn_or_name: F | str | None = None, /, **options: Unpack[PromptOptions]
    ) -> F | Callable[[F], F]:
        """Register a prompt: ``@server.prompt``, ``@server.prompt()``,
        ``@server.prompt("name")``, ``@server.prompt(name=..., ...)`` or ``server.prompt(fn)``.

        Returns:
            The function unchanged (bare or direct form), or a decorator that returns it.
        """
        registered: F | Callable[[F], F] = _register_or_decorate(
            self.add_prompt, fn_or_name, dict(options)
        )
        return registered

    @property
    def prompts(self) -> tuple[Prompt, ...]:
        """Every registered prompt (all versions), in registration order."""
        return self._prompts.all()

    def get_prompt(
        self, name: str, version: str | None = None, *, visible: Visible | None = None
    ) -> Prompt | None:
        """The prompt called ``name``: its highest visible version, or ``version`` exactly."""
        return self._prompts.get(name, version, visible)

    def remove_prompt(self, name: str, version: str | None = None) -> Prompt | None:
        """Unregister a prompt (one version); return it, or ``None``."""
        return self._remove(self._prompts, f"prompt:{name}@{version or ''}")

    def _remove(self, registry: _Registry[C], key: str) -> C | None:
        removed = registry.remove(key)
        if removed is not None:
            self._changed()
        return removed

    # -- completions --------------------------------------------------------------------------

    def add_completion(self, target: str, argument: str, source: CompletionSource) -> Self:
        """Register the completion source of a prompt argument or a template variable.

        Args:
            target: A registered prompt's name, or a registered template's URI template.
            argument: The prompt argument or template variable.
            source: A list of str (case-insensitive prefix filter) or a sync or async
                callable ``fn(value)`` / ``fn(value, context)`` (see `Completer`).

        Returns:
            The server, for chaining.

        Raises:
            ValueError: No such prompt or template, or it has no such argument/variable.
            TypeError: The source is neither a list of str nor a suitable callable.
        """
        prompts = self._prompts.versions(target)
        templates = self._templates.versions(target)
        if prompts:
            kind = "prompt"
            known = {name for p in prompts for name in p.argument_names}
        elif templates:
            kind = "template"
            known = {name for t in templates for name in t.variables}
        else:
            raise ValueError(
                f"no prompt or resource template {target!r} is registered; register it "
                "before its completions (or pass completions= when registering it)"
            )
        if argument not in known:
            raise ValueError(
                f"{target!r} has no {'argument' if kind == 'prompt' else 'variable'} "
                f"{argument!r}; it has {sorted(known)}"
            )
        self._completers[(kind, target, argument)] = Completer(target, argument, source)
        self._changed()
        return self

    def completion(self, target: str, argument: str) -> Callable[[F], F]:
        """Decorator form of `add_completion`: ``@server.completion("review", "language")``."""

        def decorator(fn: F) -> F:
            self.add_completion(target, argument, fn)
            return fn

        return decorator

    def completer(self, ref: wire.CompletionReference, argument: str) -> Completer | None:
        """The completion source for a ``completion/complete`` reference and argument."""
        if isinstance(ref, wire.PromptReference):
            return self._completers.get(("prompt", ref.name, argument))
        return self._completers.get(("template", ref.uri, argument))

    @property
    def has_completions(self) -> bool:
        """Whether any completion source is registered (the ``completions`` capability)."""
        return bool(self._completers)

    # -- dependencies and lifespans ----------------------------------------------------------

    def add_dependency(self, name: str, factory: Callable[..., Any]) -> Self:
        """Register a dependency resolved once per request (see `Dependency`).

        The duplicate policy applies to names as to component keys.

        Returns:
            The server, for chaining.
        """
        dependency = Dependency(name, factory)
        if name in self._dependencies:
            if self.on_duplicate == "error":
                raise DuplicateComponentError(
                    f"dependency {name!r} is already registered; use another name or create "
                    "the server with on_duplicate='replace', 'warn' or 'ignore'"
                )
            if self.on_duplicate == "ignore":
                return self
            if self.on_duplicate == "warn":
                warnings.warn(
                    f"dependency {name!r} is already registered; replacing it",
                    DuplicateComponentWarning,
                    stacklevel=2,
                )
        self._dependencies[name] = dependency
        self._changed()
        return self

    @property
    def dependencies(self) -> Mapping[str, Dependency]:
        """The registered dependencies by name (read-only)."""
        return MappingProxyType(self._dependencies)

    def add_lifespan(self, fn: Callable[[Any], Any]) -> Self:
        """Register a lifespan, entered in declaration order when the server starts.

        Args:
            fn: ``fn(server)``: an async generator function (yield the lifespan values, a
                mapping, once) or a function returning an async context manager.

        Returns:
            The server, for chaining.
        """
        self._lifespans.append(Lifespan(fn))
        self._changed()
        return self

    @property
    def lifespans(self) -> tuple[Lifespan, ...]:
        """The lifespans, in declaration order."""
        return tuple(self._lifespans)

    # -- listing ------------------------------------------------------------------------------

    def paginate(
        self, items: Sequence[T], cursor: str | None, *, scope: str
    ) -> tuple[list[T], str | None]:
        """Cut one page of ``items`` with the server's page size and cursor key.

        Args:
            items: The whole list, in a stable order.
            cursor: The request's cursor, or ``None`` for the first page.
            scope: The list (method name, plus a session id to bind cursors to it).

        Returns:
            The page and the next cursor (``None`` on the last page).

        Raises:
            InvalidCursor: The cursor was not issued for this scope by this server.
        """
        return _paginate(
            items, cursor, page_size=self.list_page_size, scope=scope, key=self.cursor_key
        )

    def visible_tools(self, visible: Visible | None = None) -> list[Tool]:
        """The tools a list shows: one per name, its highest visible version, in order."""
        return self._tools.listed(visible)

    def visible_resources(self, visible: Visible | None = None) -> list[Resource]:
        """The resources a list shows (one per URI, highest visible version)."""
        return self._resources.listed(visible)

    def visible_resource_templates(self, visible: Visible | None = None) -> list[ResourceTemplate]:
        """The templates a list shows (one per template, highest visible version)."""
        return self._templates.listed(visible)

    def visible_prompts(self, visible: Visible | None = None) -> list[Prompt]:
        """The prompts a list shows (one per name, highest visible version)."""
        return self._prompts.listed(visible)

    def list_tools(
        self,
        cursor: str | None = None,
        *,
        visible: Visible | None = None,
        scope: str = "tools/list",
    ) -> wire.ListToolsResult:
        """One page of ``tools/list``."""
        page, next_cursor = self.paginate(self.visible_tools(visible), cursor, scope=scope)
        return wire.ListToolsResult(tools=[t.to_wire() for t in page], next_cursor=next_cursor)

    def list_resources(
        self,
        cursor: str | None = None,
        *,
        visible: Visible | None = None,
        scope: str = "resources/list",
    ) -> wire.ListResourcesResult:
        """One page of ``resources/list``."""
        page, next_cursor = self.paginate(self.visible_resources(visible), cursor, scope=scope)
        return wire.ListResourcesResult(
            resources=[r.to_wire() for r in page], next_cursor=next_cursor
        )

    def list_resource_templates(
        self,
        cursor: str | None = None,
        *,
        visible: Visible | None = None,
        scope: str = "resources/templates/list",
    ) -> wire.ListResourceTemplatesResult:
        """One page of ``resources/templates/list``."""
        page, next_cursor = self.paginate(
            self.visible_resource_templates(visible), cursor, scope=scope
        )
        return wire.ListResourceTemplatesResult(
            resource_templates=[t.to_wire() for t in page], next_cursor=next_cursor
        )

    def list_prompts(
        self,
        cursor: str | None = None,
        *,
        visible: Visible | None = None,
        scope: str = "prompts/list",
    ) -> wire.ListPromptsResult:
        """One page of ``prompts/list``."""
        page, next_cursor = self.paginate(self.visible_prompts(visible), cursor, scope=scope)
        return wire.ListPromptsResult(prompts=[p.to_wire() for p in page], next_cursor=next_cursor)


def _register_or_decorate(add: Callable[..., Any], fn_or_name: Any, options: dict[str, Any]) -> Any:
    """The body of the bare / called / named decorator forms of `tool` and `prompt`."""
    if callable(fn_or_name):
        add(fn_or_name, **options)
        return fn_or_name
    _merge_name(fn_or_name, options)

    def decorator(fn: F) -> F:
        add(fn, **options)
        return fn

    return decorator


def _merge_name(name: str | None, options: Mapping[str, Any]) -> None:
    if name is None:
        return
    if not isinstance(name, str):
        raise TypeError(f"expected a function or a name, got {name!r}")
    if options.get("name") is not None:
        raise TypeError(f"the name is given twice: {name!r} and name={options['name']!r}")
    options["name"] = name  # type: ignore[index]


def _split_completions(
    options: Mapping[str, Any],
) -> tuple[dict[str, Any], Mapping[str, CompletionSource] | None]:
    built = {k: v for k, v in options.items() if k != "completions"}
    return built, options.get("completions")


def _no_options(options: Mapping[str, Any], what: str) -> None:
    if options:
        raise TypeError(f"options {sorted(options)} do not apply to {what}: it is already built")


def _reject_options(unexpected: Mapping[str, Any]) -> None:
    transport = sorted(set(unexpected) & _TRANSPORT_OPTIONS)
    if transport:
        raise TypeError(
            f"server() got transport options {transport}: they belong to run() (or the "
            "transport), e.g. server.run(transport='http', host=..., port=...)"
        )
    known = [
        "instructions",
        "version",
        "website_url",
        "icons",
        "on_duplicate",
        "mask_error_details",
        "strict_input_validation",
        "list_page_size",
        "cursor_key",
        "max_sessions",
        "session_idle_timeout",
        "lifespan",
    ]
    hints = []
    for option in sorted(unexpected):
        close = difflib.get_close_matches(option, known, n=1)
        hints.append(f"{option!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    raise TypeError(f"server() got unknown options {', '.join(hints)}; the options are {known}")


def server(
    name: str,
    instructions: str | None = None,
    *,
    version: str | None = None,
    website_url: str | None = None,
    icons: Iterable[wire.Icon | Mapping[str, Any]] | None = None,
    on_duplicate: OnDuplicate = "error",
    mask_error_details: bool = False,
    strict_input_validation: bool = False,
    list_page_size: int | None = None,
    cursor_key: bytes | None = None,
    max_sessions: int | None = 10_000,
    session_idle_timeout: float | None = 1800.0,
    lifespan: Callable[[Any], Any] | Sequence[Callable[[Any], Any]] | None = None,
    request_state_key: bytes | str | None = None,
    request_state_ttl: float = 3600.0,
    list_cache: CacheHint | Mapping[str, Any] | None = None,
    read_cache: CacheHint | Mapping[str, Any] | None = None,
    principal_state: bool = False,
    sync_handlers: Literal["auto", "thread"] = "auto",
    **unexpected: Never,
) -> Server:
    """Create a server definition (options as in `Server`).

    Example:
        >>> import fastestmcp
        >>> app = fastestmcp.server("weather")
        >>> @app.tool
        ... def forecast(city: str, days: int = 3) -> str:
        ...     return f"{city}: sunny for {days} days"
        >>> [t.name for t in app.tools]
        ['forecast']

    Returns:
        The `Server`.
    """
    return Server(
        name,
        instructions,
        version=version,
        website_url=website_url,
        icons=icons,
        on_duplicate=on_duplicate,
        mask_error_details=mask_error_details,
        strict_input_validation=strict_input_validation,
        list_page_size=list_page_size,
        cursor_key=cursor_key,
        max_sessions=max_sessions,
        session_idle_timeout=session_idle_timeout,
        lifespan=lifespan,
        request_state_key=request_state_key,
        request_state_ttl=request_state_ttl,
        list_cache=list_cache,
        read_cache=read_cache,
        principal_state=principal_state,
        sync_handlers=sync_handlers,
        **unexpected,
    )
