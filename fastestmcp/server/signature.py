# Handler inspection, done once per component at registration, never per call.
#
# Two handler styles:
#
#   * Typed handlers (`TypedHandler`): ordinary functions whose parameters are the
#     arguments. Their type hints become a `msgspec.defstruct` argument Struct and the
#     published JSON Schema; a call decodes the raw JSON arguments straight into that
#     Struct in one `msgspec.json.decode` pass.
#   * Explicit handlers (`ExplicitHandler`): `fn(arguments)` or `fn(arguments, ctx)`, as in
#     the Elixir FastestMCP, with an explicit JSON Schema compiled once (`jsonschema.py`).
#
# Rules:
#   * A parameter annotated `Context` (or `Context | None`, or `Annotated[Context, ...]`,
#     or a subclass), whatever its name, receives the context and is not an argument.
#   * Sync and async handlers both work; `is_async` says which. Generators are refused.
#   * `*args`, `**kwargs` and positional-only parameters are refused with a clear
#     TypeError: arguments are passed by name.
#   * Typed arguments are decoded leniently, like FastMCP (msgspec `strict=False`): the
#     string "2" is accepted for an `int`, "true"/"1" for a `bool`, "2024-01-01" for a
#     `date`. `strict=True` turns that off. Unknown arguments are ignored.
#   * Every failure to bind arguments is an `ArgumentValidationError` naming the JSONPath
#     of the bad value (`$.city`, `$.stops[2].lat`) and what was expected.
#   * Schemas: `{"type": "object", "properties": ..., "required": [...]}` at the root
#     (never a `$ref` there), nested Structs, dataclasses, TypedDicts and enums under
#     `$defs`. Parameter descriptions come from `Annotated[T, msgspec.Meta(description=)]`,
#     else from the docstring's Google-style `Args:` section.

"""Inspect handlers once: context parameter, argument Struct, JSON Schemas, decoders."""

from __future__ import annotations

import copy
import enum
import functools
import inspect
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol, TypeAlias

import msgspec

from fastestmcp.server.context import Context
from fastestmcp.server.errors import ArgumentValidationError
from fastestmcp.server.jsonschema import SchemaValidator, compile_schema
from fastestmcp.server.results import CONTENT_TYPES, WRAP_RESULT_KEY, OutputSchema

__all__ = (
    "ExplicitHandler",
    "Handler",
    "Parameter",
    "RawArguments",
    "TypedHandler",
    "explicit_output_schema",
    "infer_output_schema",
    "inspect_handler",
    "is_str_like",
    "parse_docstring",
)

RawArguments: TypeAlias = bytes | bytearray | memoryview | msgspec.Raw | None
"""Arguments as raw JSON text of an object; empty or ``None`` means no arguments."""

_EMPTY_OBJECT: Final = b"{}"
_ARGS_STRUCT_NAME: Final = "fastestmcp_arguments"
_IMMUTABLE_DEFAULTS: Final = (str, bytes, int, float, bool, type(None), enum.Enum, frozenset)
_decode_dict = msgspec.json.Decoder(dict[str, Any]).decode


class Handler(Protocol):
    """What a component needs from an inspected handler, whichever its style."""

    @property
    def fn(self) -> Callable[..., Any]:
        """The user's callable."""
        ...

    @property
    def is_async(self) -> bool:
        """Whether calling it returns an awaitable."""
        ...

    @property
    def input_schema(self) -> dict[str, Any]:
        """The JSON Schema of the arguments, as published."""
        ...

    def decode(self, raw: RawArguments) -> dict[str, Any]:
        """Decode and validate raw JSON arguments."""
        ...

    def convert(self, arguments: Mapping[str, Any] | None) -> dict[str, Any]:
        """Validate Python arguments (in-process callers)."""
        ...

    def call(self, arguments: dict[str, Any], ctx: Context | None = None) -> Any:
        """Call the handler with bound arguments; an awaitable when `is_async`."""
        ...


# --------------------------------------------------------------------------------------------
# Callables


def _target(fn: Callable[..., Any]) -> Any:
    # The object whose annotations and async-ness describe the call.
    target: Any = fn
    while isinstance(target, functools.partial):
        target = target.func
    if not (inspect.isfunction(target) or inspect.ismethod(target)) and not inspect.isbuiltin(
        target
    ):
        call = getattr(type(target), "__call__", None)  # noqa: B004 - the class's __call__
        if call is not None:
            return call
    return target


def _is_async(fn: Callable[..., Any], target: Any) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(target)


def _check_callable(fn: Any, what: str) -> None:
    if not callable(fn):
        raise TypeError(f"{what} must be a function or another callable, got {fn!r}")
    target = _target(fn)
    if inspect.isasyncgenfunction(target) or inspect.isgeneratorfunction(target):
        raise TypeError(
            f"{what} {_display_name(fn)!r} is a generator; handlers return their result "
            "(return a list instead of yielding items)"
        )


def _display_name(fn: Callable[..., Any]) -> str:
    target: Any = fn
    while isinstance(target, functools.partial):
        target = target.func
    name = getattr(target, "__name__", None)
    return name if isinstance(name, str) else type(target).__name__


def _type_hints(fn: Callable[..., Any], target: Any, what: str) -> dict[str, Any]:
    try:
        return typing.get_type_hints(target, include_extras=True)
    except Exception as exc:
        raise TypeError(
            f"cannot resolve the type hints of {what} {_display_name(fn)!r}: {exc}; "
            "define the types it uses at module level (or import them there)"
        ) from None


# --------------------------------------------------------------------------------------------
# Annotations


def _strip_annotated(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _is_context_annotation(tp: Any) -> bool:
    tp = _strip_annotated(tp)
    if isinstance(tp, type) and issubclass(tp, Context):
        return True
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return len(args) == 1 and _is_context_annotation(args[0])
    return False


def _meta_description(tp: Any) -> str | None:
    while typing.get_origin(tp) is typing.Annotated:
        for extra in tp.__metadata__:
            if isinstance(extra, msgspec.Meta) and extra.description is not None:
                return extra.description
        tp = typing.get_args(tp)[0]
    return None


def is_str_like(tp: Any) -> bool:
    """Whether a parameter accepts a plain string as is (prompt values are strings)."""
    tp = _strip_annotated(tp)
    if tp is str or tp is Any:
        return True
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return any(is_str_like(arg) for arg in typing.get_args(tp))
    if origin is Literal:
        return all(isinstance(arg, str) for arg in typing.get_args(tp))
    return isinstance(tp, type) and issubclass(tp, str) and not issubclass(tp, enum.Enum)


# --------------------------------------------------------------------------------------------
# Docstrings

_SECTION: Final = re.compile(
    r"^\s*(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Returns?|Yields?|"
    r"Raises|Examples?|Notes?|Attributes|See Also|Warnings?|Todo|References)\s*:\s*$"
)
_ARG_LINE: Final = re.compile(r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_ARG_SECTIONS: Final = frozenset(
    {"Args", "Arguments", "Parameters", "Params", "Keyword Args", "Keyword Arguments"}
)


def parse_docstring(doc: str | None) -> tuple[str | None, dict[str, str]]:
    """Split a Google-style docstring into its description and its argument descriptions.

    Args:
        doc: The docstring (cleaned or not), or ``None``.

    Returns:
        The text before the first section (``Args:``, ``Returns:``...) or ``None`` if
        empty, and the description of each argument listed under ``Args:``.
    """
    if not doc:
        return None, {}
    lines = inspect.cleandoc(doc).splitlines()
    head: list[str] = []
    args: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    base_indent: int | None = None
    for line in lines:
        found = _SECTION.match(line)
        if found:
            section, current, base_indent = found.group(1), None, None
            continue
        if section is None:
            head.append(line)
            continue
        if section not in _ARG_SECTIONS or not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if base_indent is None:
            base_indent = indent
        entry = _ARG_LINE.match(line.strip()) if indent <= base_indent else None
        if entry:
            current = entry.group(1).lstrip("*")
            args[current] = entry.group(2).strip()
        elif current is not None:
            args[current] = f"{args[current]} {line.strip()}".strip()
    description = "\n".join(head).strip()
    return description or None, args


# --------------------------------------------------------------------------------------------
# Typed handlers


@dataclass(frozen=True, slots=True)
class Parameter:
    """One public parameter of a typed handler (an argument of the component).

    Attributes:
        name: The parameter's (and argument's) name.
        annotation: Its type hint, ``Any`` when it has none (``Annotated`` kept).
        default: Its default, or ``inspect.Parameter.empty`` when required.
        description: From ``msgspec.Meta(description=...)`` or the docstring.
    """

    name: str
    annotation: Any
    default: Any
    description: str | None

    @property
    def required(self) -> bool:
        """Whether the argument must be given."""
        return self.default is inspect.Parameter.empty


def _struct_field(param: Parameter) -> tuple[Any, ...]:
    tp = param.annotation
    if param.description is not None and _meta_description(tp) is None:
        tp = typing.Annotated[tp, msgspec.Meta(description=param.description)]
    if param.required:
        return (param.name, tp)
    default = param.default
    if isinstance(default, _IMMUTABLE_DEFAULTS) or (isinstance(default, tuple) and not default):
        return (param.name, tp, default)
    return (
        param.name,
        tp,
        msgspec.field(default_factory=functools.partial(copy.deepcopy, default)),
    )


def _root_schema(struct: type[msgspec.Struct], params: tuple[Parameter, ...]) -> dict[str, Any]:
    (ref,), components = msgspec.json.schema_components([struct], ref_template="#/$defs/{name}")
    name = ref["$ref"].rsplit("/", 1)[-1]
    body = components.pop(name)
    properties: dict[str, Any] = body.get("properties", {})
    for param in params:
        prop = properties.get(param.name)
        if prop is not None and not param.required and "default" not in prop:
            try:
                prop["default"] = msgspec.to_builtins(param.default)
            except TypeError:
                pass  # a default JSON cannot express: publish none
    root: dict[str, Any] = {"type": "object", "properties": properties}
    required = body.get("required")
    if required:
        root["required"] = required
    if components:
        root["$defs"] = components
    return root


def _message_detail(message: str) -> tuple[str, str | None]:
    # msgspec: "Expected `int`, got `str` - at `$.days`" / "Object missing required field `x`"
    detail, sep, where = message.rpartition(" - at `")
    if not sep:
        return message, None
    return detail, where.rstrip("`")


def _validation_error(
    exc: msgspec.ValidationError, expected: Mapping[str, str]
) -> ArgumentValidationError:
    detail, path = _message_detail(str(exc))
    path = path or "$"
    missing = re.fullmatch(r"Object missing required field `(.*)`", detail)
    if missing:
        field = missing.group(1)
        field_path = f"{path}.{field}" if field.isidentifier() else f'{path}["{field}"]'
        kind = expected.get(field) if path == "$" else None
        what = f" (expected {kind})" if kind else ""
        return ArgumentValidationError(f"required argument is missing{what}", path=field_path)
    if detail[:1].isupper():
        detail = detail[0].lower() + detail[1:]
    return ArgumentValidationError(detail, path=path)


def _type_label(tp: Any) -> str:
    tp = _strip_annotated(tp)
    if isinstance(tp, type):
        return f"`{tp.__name__}`"
    return f"`{tp!r}`".replace("typing.", "")


class TypedHandler:
    """A handler whose typed parameters are the arguments; built by `inspect_handler`.

    Attributes:
        fn: The user's callable.
        name: Its name (``__name__``).
        is_async: Whether calling it returns an awaitable.
        context_param: The name of its `Context` parameter, if any.
        parameters: Its public parameters, in order.
        description: The docstring's description part.
        return_annotation: Its return type hint (``inspect.Signature.empty`` if none).
        args_type: The msgspec Struct the arguments decode into.
        input_schema: The JSON Schema of the arguments, as published.
        strict: Whether decoding refuses lenient conversions ("2" for an int).
    """

    __slots__ = (
        "_convert",
        "_decode",
        "_expected",
        "args_type",
        "context_param",
        "description",
        "fast_runs",
        "fn",
        "inline",
        "input_schema",
        "is_async",
        "name",
        "parameters",
        "return_annotation",
        "strict",
        "strike_at",
        "strikes",
    )

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str,
        is_async: bool,
        context_param: str | None,
        parameters: tuple[Parameter, ...],
        description: str | None,
        return_annotation: Any,
        strict: bool,
    ) -> None:
        self.fn = fn
        self.name = name
        self.is_async = is_async
        self.context_param = context_param
        #: Quick runs in a row in the thread pool (see `components._invoke`); -1: never
        #: inline again (an inline run was slow).
        self.fast_runs = 0
        #: Whether this sync handler now runs on the event loop (it proved quick).
        self.inline = False
        #: Inline runs over `components.SLOW` lately, and the value of `fast_runs` at the last.
        self.strikes = 0
        self.strike_at = 0
        self.parameters = parameters
        self.description = description
        self.return_annotation = return_annotation
        self.strict = strict
        fields = [_struct_field(p) for p in parameters]
        try:
            self.args_type: type[msgspec.Struct] = msgspec.defstruct(
                _ARGS_STRUCT_NAME, fields, kw_only=True
            )
            # The schema doubles as the check that msgspec can decode every parameter type
            # (classes it does not know pass `defstruct`, then fail on every call).
            self.input_schema: dict[str, Any] = _root_schema(self.args_type, parameters)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"handler {name!r} has a parameter type msgspec cannot decode: {exc}; "
                "use builtins, msgspec Structs, dataclasses, TypedDicts, enums or Literals"
            ) from None
        self._decode = msgspec.json.Decoder(self.args_type, strict=strict).decode
        self._convert = functools.partial(msgspec.convert, type=self.args_type, strict=strict)
        self._expected = {p.name: _type_label(p.annotation) for p in parameters}

    def __repr__(self) -> str:
        return f"TypedHandler({self.name!r}, parameters={[p.name for p in self.parameters]})"

    def decode(self, raw: RawArguments) -> dict[str, Any]:
        """Decode raw JSON arguments in one msgspec pass and validate them.

        Args:
            raw: The JSON text of the arguments object; empty or ``None`` for none.

        Returns:
            The arguments by parameter name, defaults filled in.

        Raises:
            ArgumentValidationError: They do not fit the parameters.
        """
        try:
            obj = self._decode(raw or _EMPTY_OBJECT)
        except msgspec.ValidationError as exc:
            raise _validation_error(exc, self._expected) from None
        except msgspec.DecodeError as exc:
            raise ArgumentValidationError(f"the arguments are not valid JSON ({exc})") from None
        return msgspec.structs.asdict(obj)

    def convert(self, arguments: Mapping[str, Any] | None) -> dict[str, Any]:
        """Validate Python arguments (for in-process callers), with the rules of `decode`.

        Args:
            arguments: The arguments by name; values may already be of the parameter types.

        Returns:
            The arguments by parameter name, defaults filled in.

        Raises:
            ArgumentValidationError: They do not fit the parameters.
        """
        try:
            obj = self._convert(arguments if arguments is not None else {})
        except msgspec.ValidationError as exc:
            raise _validation_error(exc, self._expected) from None
        return msgspec.structs.asdict(obj)

    def call(self, arguments: dict[str, Any], ctx: Context | None = None) -> Any:
        """Call the handler; returns an awaitable when `is_async`.

        Args:
            arguments: Bound arguments from `decode` or `convert`.
            ctx: The context for the `Context` parameter, if the handler has one.

        Returns:
            What the handler returns.
        """
        if self.context_param is not None:
            return self.fn(**arguments, **{self.context_param: ctx})
        return self.fn(**arguments)


def inspect_handler(
    fn: Callable[..., Any], *, what: str = "handler", strict: bool = False
) -> TypedHandler:
    """Inspect a typed handler once.

    Args:
        fn: A function, bound method, ``functools.partial`` or callable object.
        what: What it is, for error messages (``"tool"``, ``"prompt"``...).
        strict: Refuse lenient conversions when decoding ("2" for an int).

    Returns:
        The inspected handler.

    Raises:
        TypeError: ``fn`` is not callable, is a generator, takes ``*args``/``**kwargs`` or
            positional-only parameters, has two `Context` parameters, unresolvable type
            hints, or parameter types msgspec cannot decode.
    """
    _check_callable(fn, what)
    target = _target(fn)
    name = _display_name(fn)
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cannot read the signature of {what} {name!r}: {exc}") from None
    hints = _type_hints(fn, target, what)
    description, arg_docs = parse_docstring(
        inspect.getdoc(fn if not isinstance(fn, functools.partial) else target)
    )
    context_param: str | None = None
    params: list[Parameter] = []
    for param in sig.parameters.values():
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            stars = "*" if param.kind is inspect.Parameter.VAR_POSITIONAL else "**"
            raise TypeError(
                f"{what} {name!r} takes {stars}{param.name}; "
                "declare each argument as a named parameter"
            )
        annotation = hints.get(param.name, Any)
        if _is_context_annotation(annotation):
            if context_param is not None:
                raise TypeError(
                    f"{what} {name!r} has two Context parameters, {context_param!r} and "
                    f"{param.name!r}; keep one"
                )
            context_param = param.name
            continue
        if param.kind is inspect.Parameter.POSITIONAL_ONLY:
            raise TypeError(
                f"{what} {name!r} has the positional-only parameter {param.name!r}; "
                "arguments are passed by name, remove the '/'"
            )
        params.append(
            Parameter(
                name=param.name,
                annotation=annotation,
                default=param.default,
                description=_meta_description(annotation) or arg_docs.get(param.name),
            )
        )
    return TypedHandler(
        fn,
        name=name,
        is_async=_is_async(fn, target),
        context_param=context_param,
        parameters=tuple(params),
        description=description,
        return_annotation=hints.get("return", sig.return_annotation),
        strict=strict,
    )


# --------------------------------------------------------------------------------------------
# Output schemas


def _involves_content(tp: Any, *, top: bool = True) -> bool:
    # True when results of this type are content (or unknown: Any at the top level), so no
    # output schema can describe them. `Any` inside a container (dict[str, Any]) is data.
    tp = _strip_annotated(tp)
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return any(_involves_content(arg, top=top) for arg in typing.get_args(tp))
    if top and (tp is Any or tp is object or tp in (bytes, bytearray, memoryview)):
        return True
    if isinstance(tp, type):
        return issubclass(tp, CONTENT_TYPES)
    return any(
        _involves_content(arg, top=False) for arg in typing.get_args(tp) if arg is not Ellipsis
    )


def _wrap(schema: Mapping[str, Any]) -> dict[str, Any]:
    inner = dict(schema)
    defs = inner.pop("$defs", None)
    wrapped: dict[str, Any] = {
        "type": "object",
        "properties": {"result": inner},
        "required": ["result"],
        WRAP_RESULT_KEY: True,
    }
    if defs:
        wrapped["$defs"] = defs
    return wrapped


def infer_output_schema(annotation: Any) -> OutputSchema | None:
    """Infer a tool's output schema from its return annotation.

    Object types (Structs, dataclasses, TypedDicts, ``dict[str, ...]``) are published as
    they are; any other type is wrapped as ``{"result": <schema>}`` with the
    ``x-fastestmcp-wrap-result`` marker, so ``structuredContent`` is always an object.

    Args:
        annotation: The return type hint.

    Returns:
        The output schema, or ``None`` for no annotation, ``None``, ``Any``, bytes, content
        and result types (`Image`, `CallToolResult`...), and types with no JSON Schema.
    """
    if annotation is inspect.Signature.empty or annotation is None or annotation is type(None):
        return None
    if annotation in (typing.NoReturn, typing.Never) or _involves_content(annotation):
        return None
    try:
        (ref,), components = msgspec.json.schema_components(
            [annotation], ref_template="#/$defs/{name}"
        )
    except (TypeError, ValueError):
        return None
    schema: dict[str, Any] = dict(ref)
    target = schema.get("$ref")
    if isinstance(target, str) and len(schema) == 1:
        name = target.rsplit("/", 1)[-1]
        body = components.get(name)
        if body is not None and body.get("type") == "object":
            schema = dict(components.pop(name))
    if components:
        schema["$defs"] = components
    if schema.get("type") == "object" and "$ref" not in schema:
        return OutputSchema(schema)
    return OutputSchema(_wrap(schema), wrapped=True)


def explicit_output_schema(schema: Mapping[str, Any]) -> OutputSchema:
    """Prepare an output schema given by the author, compiled once for result validation.

    A schema whose root is ``{"type": "object", ...}`` is published verbatim. Any other
    schema is wrapped as ``{"result": <schema>}`` with the wrap marker (``$defs`` moved to
    the root so its ``$ref``s keep resolving).

    Args:
        schema: The JSON Schema of the tool's result.

    Returns:
        The output schema, with its validator.

    Raises:
        InvalidSchemaError: The schema is invalid.
    """
    if schema.get("type") == "object":
        published = schema if isinstance(schema, dict) else dict(schema)
        return OutputSchema(published, validator=compile_schema(published))
    wrapped = _wrap(schema)
    return OutputSchema(wrapped, wrapped=True, validator=compile_schema(wrapped))


# --------------------------------------------------------------------------------------------
# Explicit handlers


class ExplicitHandler:
    """A handler called as ``fn()``, ``fn(arguments)`` or ``fn(arguments, ctx)``.

    The arguments are a dict validated against an explicit JSON Schema compiled once
    (or not validated at all when no validator is given, e.g. for prompts, whose
    required arguments the component checks).

    Args:
        fn: The user's callable.
        input_schema: The schema, published verbatim.
        validator: The compiled schema, or ``None`` to skip validation.
        what: What it is, for error messages.

    Raises:
        TypeError: ``fn`` is not callable, is a generator, or takes more than two
            positional parameters without defaults.
    """

    __slots__ = ("_arity", "fn", "input_schema", "is_async", "name", "validator")

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        input_schema: dict[str, Any],
        validator: SchemaValidator | None,
        what: str = "handler",
    ) -> None:
        _check_callable(fn, what)
        self.fn = fn
        self.name = _display_name(fn)
        self.input_schema = input_schema
        self.validator = validator
        self.is_async = _is_async(fn, _target(fn))
        self._arity = _explicit_arity(fn, what, self.name)

    def __repr__(self) -> str:
        return f"ExplicitHandler({self.name!r})"

    @property
    def takes_context(self) -> bool:
        """Whether the handler takes the context as its second argument."""
        return self._arity == 2

    def decode(self, raw: RawArguments) -> dict[str, Any]:
        """Decode raw JSON arguments into a dict and validate it against the schema.

        Args:
            raw: The JSON text of the arguments object; empty or ``None`` for none.

        Returns:
            The arguments.

        Raises:
            ArgumentValidationError: Not a JSON object, or invalid against the schema.
        """
        try:
            arguments = _decode_dict(raw or _EMPTY_OBJECT)
        except msgspec.DecodeError as exc:
            raise ArgumentValidationError(f"the arguments must be a JSON object ({exc})") from None
        if self.validator is not None:
            self.validator.validate(arguments)
        return arguments

    def convert(self, arguments: Mapping[str, Any] | None) -> dict[str, Any]:
        """Validate Python arguments (in-process callers), first reduced to JSON values.

        Args:
            arguments: The arguments by name.

        Returns:
            The arguments as JSON values (enums by value, Structs as dicts...).

        Raises:
            ArgumentValidationError: Not JSON-compatible, or invalid against the schema.
        """
        try:
            plain = msgspec.to_builtins(dict(arguments or {}), str_keys=True)
        except TypeError as exc:
            raise ArgumentValidationError(f"not a JSON value: {exc}") from None
        if self.validator is not None:
            self.validator.validate(plain)
        result: dict[str, Any] = plain
        return result

    def call(self, arguments: dict[str, Any], ctx: Context | None = None) -> Any:
        """Call the handler with the arguments (and the context if it takes two).

        Args:
            arguments: Validated arguments.
            ctx: The context.

        Returns:
            What the handler returns; an awaitable when `is_async`.
        """
        arity = self._arity
        if arity == 2:
            return self.fn(arguments, ctx)
        if arity == 1:
            return self.fn(arguments)
        return self.fn()


def _explicit_arity(fn: Callable[..., Any], what: str, name: str) -> int:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return 2
    positional = 0
    required = 0
    for param in sig.parameters.values():
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            return 2
        if param.kind in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            positional += 1
            if param.default is inspect.Parameter.empty:
                required += 1
        elif (
            param.kind is inspect.Parameter.KEYWORD_ONLY
            and param.default is inspect.Parameter.empty
        ):
            raise TypeError(
                f"{what} {name!r} has the required keyword-only parameter {param.name!r}; "
                "an explicit handler is called as fn(arguments, ctx)"
            )
    if required > 2:
        raise TypeError(
            f"{what} {name!r} takes {required} required parameters; an explicit handler is "
            "called as fn(), fn(arguments) or fn(arguments, ctx)"
        )
    return min(positional, 2)
