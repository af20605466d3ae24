# RFC 6570 URI templates, as MCP resource templates use them.
#
# A server declares resource templates such as ``weather://{city}/forecast{?days}``; a client
# expands them into URIs, and the server matches every ``resources/read`` URI back against its
# templates to find the handler and its arguments. This module holds both directions:
#
# - ``UriTemplate``: parses a template once, expands values into a URI (RFC 6570 levels 1-4)
#   and matches a URI back into percent-decoded variable values.
# - ``sort_by_specificity``: orders templates so that the first match is the most specific.
# - ``CaptureConverter`` / ``convert_captures``: turns captured strings into the types a
#   handler declares (int, float, bool, enum, list[...], ...) with msgspec.
#
# Rules of this module:
#
# 1. Sans-IO: no IO, no threads, no global mutable state. Pure functions over strings.
# 2. Everything is decided in ``UriTemplate.__init__``: parsing, the encoded literal text, and
#    one compiled regular expression for matching. ``expand`` and ``match`` only walk
#    precomputed tables; ``match`` is on the hot path of ``resources/read``.
# 3. Expansion follows RFC 6570 exactly. Matching is the inverse only where expansion is
#    invertible; the rules (what a capture may contain, what is optional) are written down in
#    ``UriTemplate.match`` and must stay in sync with the tests.
"""RFC 6570 URI templates: parse once, expand, match back, convert captures."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeAlias
from urllib.parse import quote, unquote

import msgspec

from fastestmcp.protocol.errors import InvalidParams

__all__ = (
    "CaptureConversionError",
    "CaptureConverter",
    "Captures",
    "ExpansionValue",
    "UriTemplate",
    "UriTemplateError",
    "convert_captures",
    "sort_by_specificity",
)

# A single value: bool expands to "true"/"false", numbers to their decimal form.
_Scalar: TypeAlias = str | int | float

ExpansionValue: TypeAlias = _Scalar | Sequence[_Scalar | None] | Mapping[str, _Scalar | None] | None
"""A value accepted by `UriTemplate.expand`: a scalar, a list, an associative array or ``None``.

``None``, an empty list and a mapping whose values are all ``None`` are *undefined* in the
sense of RFC 6570: the variable (and its operator prefix) is left out of the URI.
"""

Captures: TypeAlias = dict[str, str | list[str]]
"""Percent-decoded values captured by `UriTemplate.match`, by variable name."""


class UriTemplateError(ValueError):
    """A template that is not valid RFC 6570, or that cannot be matched.

    Attributes:
        template: The template text.
        position: Zero-based index in ``template`` of the offending character or expression.
        reason: What is wrong, without the template and position.
    """

    def __init__(self, template: str, position: int, reason: str) -> None:
        self.template = template
        self.position = position
        self.reason = reason
        super().__init__(f"invalid URI template {template!r} at position {position}: {reason}")


class CaptureConversionError(InvalidParams, ValueError):
    """A captured value does not convert to the type its handler parameter declares.

    It is an `InvalidParams` (JSON-RPC -32602) that a server answers ``resources/read`` with:
    the URI matched a template, but a variable's value is not acceptable, for example
    ``weather://paris/soon`` for ``days: int``. It is also a `ValueError`.

    Attributes:
        variable: The template variable whose value failed to convert.
        value: The captured (percent-decoded) value.
    """

    def __init__(self, variable: str, value: str | list[str], expected: str, detail: str) -> None:
        self.variable = variable
        self.value = value
        super().__init__(
            f"URI template variable {variable!r} must be {expected}; got {value!r} ({detail})"
        )


# --------------------------------------------------------------------------------------------
# Character classes (RFC 3986 section 2, RFC 6570 section 1.5)

_UNRESERVED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_RESERVED_CHARS: Final = ":/?#[]@!$&'()*+,;="
_URI_CHARS: Final = _UNRESERVED | frozenset(_RESERVED_CHARS)
_PCT_TRIPLET: Final = re.compile(r"%[0-9A-Fa-f]{2}")
_VARNAME: Final = re.compile(
    r"(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})(?:\.?(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2}))*"
)
_MAX_LENGTH: Final = re.compile(r"[1-9][0-9]{0,3}")
_FUTURE_OPERATORS: Final = "=,!@|"


def _quote_unreserved(text: str) -> str:
    # Everything except ALPHA / DIGIT / "-" / "." / "_" / "~" is percent-encoded as UTF-8.
    return quote(text, safe="")


def _quote_reserved(text: str) -> str:
    # Unreserved and reserved characters pass, and so do existing pct-encoded triplets.
    if "%" not in text:
        return quote(text, safe=_RESERVED_CHARS)
    out: list[str] = []
    last = 0
    for triplet in _PCT_TRIPLET.finditer(text):
        out.append(quote(text[last : triplet.start()], safe=_RESERVED_CHARS))
        out.append(triplet.group())
        last = triplet.end()
    out.append(quote(text[last:], safe=_RESERVED_CHARS))
    return "".join(out)


@dataclass(frozen=True, slots=True)
class _Operator:
    # The RFC 6570 appendix A table: one row per operator.
    char: str
    first: str
    sep: str
    named: bool
    ifemp: str
    allow_reserved: bool


_OPERATORS: Final[dict[str, _Operator]] = {
    "": _Operator("", "", ",", named=False, ifemp="", allow_reserved=False),
    "+": _Operator("+", "", ",", named=False, ifemp="", allow_reserved=True),
    "#": _Operator("#", "#", ",", named=False, ifemp="", allow_reserved=True),
    ".": _Operator(".", ".", ".", named=False, ifemp="", allow_reserved=False),
    "/": _Operator("/", "/", "/", named=False, ifemp="", allow_reserved=False),
    ";": _Operator(";", ";", ";", named=True, ifemp="", allow_reserved=False),
    "?": _Operator("?", "?", "&", named=True, ifemp="=", allow_reserved=False),
    "&": _Operator("&", "&", "&", named=True, ifemp="=", allow_reserved=False),
}


@dataclass(frozen=True, slots=True)
class _VarSpec:
    name: str
    explode: bool
    prefix: int | None
    position: int


@dataclass(frozen=True, slots=True)
class _Expression:
    op: _Operator
    variables: tuple[_VarSpec, ...]
    position: int


@dataclass(frozen=True, slots=True)
class _Literal:
    raw: str  # as written in the template
    encoded: str  # as expansion writes it
    position: int


_Part: TypeAlias = _Literal | _Expression

# How a positional capture is turned into a value after the regex matched.
_SCALAR: Final = 0  # one string
_SPLIT: Final = 1  # a list: the capture split on the operator's separator
_NAMED_SPLIT: Final = 2  # a list from ";name=a;name=b"
_NAMED_SCALAR: Final = 3  # ";name" alone means the empty string


@dataclass(frozen=True, slots=True)
class _Capture:
    group: str
    name: str
    kind: int
    sep: str
    prefix: int | None


@dataclass(frozen=True, slots=True)
class _QueryVar:
    name: str
    explode: bool
    prefix: int | None


# Characters a positional capture may not contain, per operator: (alone in its expression and
# not exploded, otherwise). "Otherwise" adds the separator so that values can be told apart.
_EXCLUDED: Final[dict[str, tuple[str, str]]] = {
    "": ("/?#", "/?#,"),
    "+": ("?#", "?#,"),
    "#": ("", ","),
    ".": ("/?#", "/?#."),
    "/": ("/?#", "/?#"),
    ";": ("/?#;", "/?#;"),
}


def _char_class(excluded: str) -> str:
    if not excluded:
        return r"[\s\S]"
    return "[^" + "".join(re.escape(char) for char in excluded) + "]"


def _literal_pattern(literal: str) -> str:
    # A literal matches itself; a character that expansion percent-encodes also matches its
    # encoded form, and a pct-encoded triplet matches with either case of hex digits.
    out: list[str] = []
    i = 0
    while i < len(literal):
        char = literal[i]
        if char == "%" and _PCT_TRIPLET.match(literal, i):
            out.append(f"(?i:{re.escape(literal[i : i + 3])})")
            i += 3
            continue
        if char in _URI_CHARS:
            out.append(re.escape(char))
        else:
            encoded = _quote_unreserved(char)
            out.append(f"(?:{re.escape(char)}|(?i:{re.escape(encoded)}))")
        i += 1
    return "".join(out)


def _encode_literal(literal: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(literal):
        char = literal[i]
        if char == "%" and _PCT_TRIPLET.match(literal, i):
            out.append(literal[i : i + 3])
            i += 3
            continue
        out.append(char if char in _URI_CHARS else _quote_unreserved(char))
        i += 1
    return "".join(out)


def _decode(raw: str) -> str:
    # Raises UnicodeDecodeError when the octets are not UTF-8; the caller turns it into
    # "no match". "+" stays "+": it means a space only in HTML forms, not in URIs.
    if "%" not in raw:
        return raw
    return unquote(raw, errors="strict")


def _decode_name(raw: str) -> str:
    # Query parameter names: an undecodable name is simply not one of ours.
    if "%" not in raw:
        return raw
    return unquote(raw, errors="replace")


def _scalar_text(name: str, value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return repr(float(value))
    raise TypeError(_type_error_message(name, value))


def _type_error_message(name: str, value: object) -> str:
    return (
        f"cannot expand URI template variable {name!r}: got {type(value).__name__}; "
        "expected str, int, float, bool, a list of those or a dict of those "
        "(convert other values with str() first)"
    )


class UriTemplate:
    """An RFC 6570 URI template, parsed and compiled once.

    Expansion implements all four levels of RFC 6570. Matching (`match`) is its inverse for
    routing ``resources/read`` and accepts a documented subset; see `match`.

    Example:
        >>> t = UriTemplate("weather://{city}/forecast{?days}")
        >>> t.variables
        ('city', 'days')
        >>> t.expand(city="São Paulo", days=3)
        'weather://S%C3%A3o%20Paulo/forecast?days=3'
        >>> t.match("weather://S%C3%A3o%20Paulo/forecast?days=3")
        {'city': 'São Paulo', 'days': '3'}

    Args:
        template: The template text.
        require_matchable: When true (the default, what a server declaring resource templates
            wants), a template that `match` cannot invert raises `UriTemplateError` here: one
            that uses a variable twice, or has literal text or positional expressions after
            its query expressions. Pass false to accept every valid RFC 6570 template for
            expansion only (a client expanding templates listed by a server); `match` then
            raises that same error when called on such a template.

    Raises:
        UriTemplateError: The template is malformed (unclosed or stray brace, empty
            expression, operator reserved for future extensions, bad variable name or
            modifier, control character), or not matchable while ``require_matchable`` is true.
            The message names the position and what is wrong.
    """

    __slots__ = (
        "_captures",
        "_match_error",
        "_optional",
        "_parts",
        "_query_group",
        "_query_vars",
        "_regex",
        "_specificity",
        "_template",
        "_variables",
    )

    def __init__(self, template: str, *, require_matchable: bool = True) -> None:
        self._template = template
        self._parts = _parse(template)
        names: list[str] = []
        for part in self._parts:
            if isinstance(part, _Expression):
                names.extend(v.name for v in part.variables if v.name not in names)
        self._variables = tuple(names)
        self._captures: tuple[_Capture, ...] = ()
        self._query_vars: dict[str, _QueryVar] = {}
        self._query_group: str | None = None
        self._optional: tuple[str, ...] = ()
        self._regex: re.Pattern[str] | None = None
        self._match_error: UriTemplateError | None = None
        try:
            self._compile_matcher()
        except UriTemplateError as exc:
            if require_matchable:
                raise
            self._match_error = exc
        self._specificity = self._compute_specificity()

    # -- public attributes --------------------------------------------------------------------

    @property
    def template(self) -> str:
        """The template text, as given."""
        return self._template

    @property
    def variables(self) -> tuple[str, ...]:
        """Variable names in order of first appearance."""
        return self._variables

    @property
    def optional_variables(self) -> tuple[str, ...]:
        """Variables that `match` may leave out: those of ``{?…}`` and ``{&…}`` expressions.

        Every other variable is present in every successful match, so a handler parameter
        without a default must be one of ``variables`` but not of ``optional_variables``.
        """
        return self._optional

    @property
    def matchable(self) -> bool:
        """Whether `match` works; false only for some templates built for expansion only."""
        return self._match_error is None

    @property
    def specificity(self) -> tuple[int, int, int]:
        """Sort key: among templates matching the same URI, the greater key is more specific.

        The key is, compared in order:

        1. the number of fixed characters a matching URI must contain outside captures —
           literal text plus the prefixes, separators and ``;name`` parts of positional
           expressions (query expressions are optional and add nothing); more wins;
        2. minus the number of variables that may span ``/`` (``{+x}``, ``{#x}``, ``{/x*}``);
           fewer wins;
        3. minus the number of variables; fewer wins.

        So ``file:///logs/{name}`` beats ``file:///{+path}``, ``notes://{id}`` beats
        ``notes://{+id}``, and ``s://{q}`` beats ``s://{q}{?page}`` for ``s://x``.
        Remaining ties keep registration order when sorted with a stable sort, as
        `sort_by_specificity` does.
        """
        return self._specificity

    def __repr__(self) -> str:
        return f"UriTemplate({self._template!r})"

    def __str__(self) -> str:
        return self._template

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UriTemplate):
            return NotImplemented
        return self._template == other._template

    def __hash__(self) -> int:
        return hash(self._template)

    # -- expansion ----------------------------------------------------------------------------

    def expand(
        self, values: Mapping[str, ExpansionValue] | None = None, /, **kwargs: ExpansionValue
    ) -> str:
        """Expand the template with the given values, per RFC 6570 section 3.

        Values come as keyword arguments, or as a mapping (for names that are not Python
        identifiers, such as ``a.b``); keywords win over the mapping. Variables without a value
        are undefined: they and their operator prefix are left out. Strings are encoded as
        UTF-8 and percent-encoded, except unreserved characters (and, for ``{+x}`` and
        ``{#x}``, reserved characters and existing ``%XX`` triplets). A list expands to its
        items, a dict to its key/value pairs; ``{x*}`` explodes them. A prefix ``{x:3}`` keeps
        the first 3 characters of a string.

        Args:
            values: Variable values by name.
            **kwargs: More variable values by name.

        Returns:
            The URI.

        Raises:
            TypeError: A value is not a str, int, float, bool, list of those or dict of those.
            ValueError: A prefix modifier is applied to a list or dict (RFC 6570 section 2.4.1).
        """
        if values is None:
            merged: Mapping[str, ExpansionValue] = kwargs
        elif kwargs:
            merged = {**values, **kwargs}
        else:
            merged = values
        out: list[str] = []
        for part in self._parts:
            if isinstance(part, _Literal):
                out.append(part.encoded)
            else:
                out.append(_expand_expression(part, merged))
        return "".join(out)

    # -- matching -----------------------------------------------------------------------------

    def match(self, uri: str) -> Captures | None:
        """Match a URI against the template and return the variables' decoded values.

        The whole URI must match. What matches:

        - Literal text matches itself, case-sensitively. A literal character that expansion
          would percent-encode (a space, ``é``) also matches its encoded form, and a
          ``%XX`` literal matches with either case of hex digits.
        - ``{x}`` matches one or more characters other than ``/``, ``?`` and ``#``; it never
          spans path segments. ``{+x}`` may contain ``/`` but not ``?`` or ``#`` (a raw ``?``
          starts the query, RFC 3986; a client means a literal one as ``%3F``). ``{#x}``
          matches the rest of the URI, ``#`` included. ``{.x}`` and ``{/x}`` match like
          ``{x}``, after their ``.`` or ``/``. All of these are required and never empty.
          After a literal ``?`` in the template (in the query), they also stop at ``&``.
        - With several variables in one expression (``{x,y}``, ``{.x,y}``, ``{/x,y}``) each
          value stops at the separator (``,``, ``.``, ``/``); a variable alone in its
          expression and not exploded may contain ``,`` (``{x}``, ``{+x}``, ``{#x}``) or ``.``
          (``{.x}``). Several variables in a row are resolved left to right, each as long as
          the rest of the template still matches.
        - ``{;x}`` matches ``;x=value`` (a value without ``/``, ``?``, ``#`` or ``;``) or a bare
          ``;x`` (the empty string); required, in template order.
        - ``{?a,b}`` and ``{&a,b}``: the query (from the ``?`` or ``&`` to the end or ``#``) is
          read as ``name=value`` pairs separated by ``&``, in any order. Each variable is
          optional: one absent from the URI is absent from the result. A bare ``name``
          means the empty string; a repeated name keeps its first value; unknown names are
          ignored.
        - Exploded variables yield lists: ``{/x*}`` one item per path segment (so it spans
          ``/``), ``{x*}``, ``{+x*}`` and ``{#x*}`` split on ``,``, ``{.x*}`` on ``.``,
          ``{;x*}`` and ``{?x*}`` collect every ``x=`` value. Items are never empty, except in
          named expressions. Exploded dicts are not recognised.
        - A variable with a prefix modifier ``{x:3}`` matches like ``{x}``, but the match fails
          if its decoded value is longer than 3 characters.
        - Captures are percent-decoded as UTF-8 (``+`` stays ``+``); a capture that is not
          valid UTF-8 after decoding makes the match fail.

        A non-exploded variable always yields a ``str``, even if the client sent a
        comma-separated list; `convert_captures` splits it for a ``list[...]`` parameter.

        Expansion followed by matching gives the values back (the property tests check it)
        for strings, non-empty except in ``{;x}``, ``{?x}`` and ``{&x}``, and for non-empty
        lists given to exploded variables, with non-empty items except in ``{;x*}`` and
        ``{?x*}``. It does not for: empty values of the other operators (they match nothing);
        ``{+x}``/``{#x}`` values containing ``%XX`` (expansion passes them through as
        already encoded); ``{+x}`` values containing ``?`` or ``#``; values containing a
        separator that expansion leaves unencoded (``,`` in ``{+x,y}``/``{#x,y}``/``{+x*}``,
        ``.`` in ``{.x,y}``/``{.x*}``); values longer than a prefix modifier; lists given to
        non-exploded variables (they come back as one comma-separated string); and dicts.

        Args:
            uri: The URI, as received (still percent-encoded).

        Returns:
            The captured values by variable name, or ``None`` if the URI does not match.

        Raises:
            UriTemplateError: The template was built with ``require_matchable=False`` and
                cannot be matched.
        """
        regex = self._regex
        if regex is None:
            error = self._match_error
            assert error is not None
            raise UriTemplateError(error.template, error.position, error.reason)
        found = regex.fullmatch(uri)
        if found is None:
            return None
        result: Captures = {}
        try:
            for cap in self._captures:
                raw = found.group(cap.group)
                kind = cap.kind
                if kind == _SCALAR:
                    text = _decode(raw)
                    if cap.prefix is not None and len(text) > cap.prefix:
                        return None
                    result[cap.name] = text
                elif kind == _SPLIT:
                    result[cap.name] = [_decode(item) for item in raw.split(cap.sep)]
                elif kind == _NAMED_SCALAR:
                    text = "" if raw is None else _decode(raw)
                    if cap.prefix is not None and len(text) > cap.prefix:
                        return None
                    result[cap.name] = text
                else:  # _NAMED_SPLIT: ";x=a;x;x=b" -> ["a", "", "b"]
                    skip = len(cap.name)
                    result[cap.name] = [
                        _decode(item[skip + 1 :]) if len(item) > skip else ""
                        for item in raw.split(";")[1:]
                    ]
            if self._query_group is not None:
                query = found.group(self._query_group)
                if query and not self._read_query(query, result):
                    return None
        except UnicodeDecodeError:
            return None
        return result

    def _read_query(self, query: str, result: Captures) -> bool:
        known = self._query_vars
        for pair in query.split("&"):
            raw_name, has_value, raw_value = pair.partition("=")
            var = known.get(_decode_name(raw_name))
            if var is None:
                continue
            value = _decode(raw_value) if has_value else ""
            if var.explode:
                items = result.setdefault(var.name, [])
                assert isinstance(items, list)
                items.append(value)
            elif var.name not in result:
                if var.prefix is not None and len(value) > var.prefix:
                    return False
                result[var.name] = value
        return True

    # -- compilation --------------------------------------------------------------------------

    def _compile_matcher(self) -> None:
        template = self._template
        seen: dict[str, int] = {}
        for part in self._parts:
            if isinstance(part, _Expression):
                for var in part.variables:
                    if var.name in seen:
                        raise UriTemplateError(
                            template,
                            var.position,
                            f"variable {var.name!r} is already used at position "
                            f"{seen[var.name]}; a matched URI cannot give it two values "
                            "(pass require_matchable=False to use it for expansion only)",
                        )
                    seen[var.name] = var.position

        pattern: list[str] = []
        captures: list[_Capture] = []
        query_vars: dict[str, _QueryVar] = {}
        in_query = False
        after_question_mark = False
        fragment_done = False
        for part in self._parts:
            if fragment_done or (
                in_query and (isinstance(part, _Literal) or part.op.char not in ("?", "&", "#"))
            ):
                raise UriTemplateError(
                    template,
                    part.position,
                    "only {&…} expressions and one final {#…} expression may follow a query "
                    "expression ({?…} or {&…}) in a template used for matching "
                    "(pass require_matchable=False to use it for expansion only)",
                )
            if isinstance(part, _Literal):
                pattern.append(_literal_pattern(part.raw))
                after_question_mark = after_question_mark or "?" in part.raw
                continue
            op = part.op
            if op.char in ("?", "&"):
                if not in_query:
                    in_query = True
                    self._query_group = "q"
                    pattern.append(f"(?:{re.escape(op.first)}(?P<q>[^#]*))?")
                for var in part.variables:
                    query_vars[_decode_name(var.name)] = _QueryVar(
                        var.name, var.explode, var.prefix
                    )
                continue
            if in_query:  # the final {#…}
                fragment_done = True
            pattern.append(
                _expression_pattern(part, len(captures), captures, in_query=after_question_mark)
            )
        self._regex = re.compile("".join(pattern))
        self._captures = tuple(captures)
        self._query_vars = query_vars
        self._optional = tuple(v.name for v in query_vars.values())

    def _compute_specificity(self) -> tuple[int, int, int]:
        fixed = 0
        greedy = 0
        for part in self._parts:
            if isinstance(part, _Literal):
                fixed += len(part.raw)
                continue
            op = part.op
            if op.char in ("?", "&"):
                continue
            fixed += len(op.first) + len(op.sep) * (len(part.variables) - 1)
            for var in part.variables:
                if op.named:
                    fixed += len(var.name)
                if op.char in ("+", "#") or (op.char == "/" and var.explode):
                    greedy += 1
        return (fixed, -greedy, -len(self._variables))


def _expression_pattern(
    expr: _Expression, first_group: int, captures: list[_Capture], *, in_query: bool
) -> str:
    op = expr.op
    alone = len(expr.variables) == 1
    single, multi = _EXCLUDED[op.char]
    if in_query and op.char != "#":  # after a literal "?": "&" separates parameters
        single, multi = single + "&", multi + "&"
    single_class, multi_class = _char_class(single), _char_class(multi)
    pieces: list[str] = []
    for offset, var in enumerate(expr.variables):
        group = f"v{first_group + offset}"
        if op.named:  # ";"
            name = re.escape(var.name)
            if var.explode:
                one = f";{name}(?:={multi_class}*)?"
                pieces.append(f"(?P<{group}>{one}(?:{one})*)")
                captures.append(_Capture(group, var.name, _NAMED_SPLIT, ";", None))
            else:
                pieces.append(f";{name}(?:=(?P<{group}>{multi_class}*))?")
                captures.append(_Capture(group, var.name, _NAMED_SCALAR, ";", var.prefix))
            continue
        if var.explode:
            sep = re.escape(op.sep)
            pieces.append(f"(?P<{group}>{multi_class}+(?:{sep}{multi_class}+)*)")
            captures.append(_Capture(group, var.name, _SPLIT, op.sep, None))
        else:
            cls = single_class if alone else multi_class
            pieces.append(f"(?P<{group}>{cls}+)")
            captures.append(_Capture(group, var.name, _SCALAR, op.sep, var.prefix))
    if op.named:
        return "".join(pieces)
    return re.escape(op.first) + re.escape(op.sep).join(pieces)


def _expand_expression(expr: _Expression, values: Mapping[str, ExpansionValue]) -> str:
    op = expr.op
    encode = _quote_reserved if op.allow_reserved else _quote_unreserved
    pieces: list[str] = []
    for var in expr.variables:
        value: object = values.get(var.name)  # object: callers may be untyped
        if value is None:
            continue
        if isinstance(value, str | int | float):
            text = _scalar_text(var.name, value)
            if var.prefix is not None:
                text = text[: var.prefix]
            if op.named:
                pieces.append(f"{var.name}={encode(text)}" if text else var.name + op.ifemp)
            else:
                pieces.append(encode(text))
            continue
        pairs: list[tuple[str, str]] | None = None
        items: list[str] | None = None
        if isinstance(value, Mapping):
            pairs = [
                (encode(_scalar_text(var.name, k)), encode(_scalar_text(var.name, v)))
                for k, v in value.items()
                if v is not None
            ]
            if not pairs:
                continue
        elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
            items = [encode(_scalar_text(var.name, v)) for v in value if v is not None]
            if not items:
                continue
        else:
            raise TypeError(_type_error_message(var.name, value))
        if var.prefix is not None:
            kind = "dict" if pairs is not None else "list"
            raise ValueError(
                f"cannot expand URI template variable {var.name!r}: the prefix modifier "
                f":{var.prefix} applies to strings only, got a {kind} (RFC 6570 section 2.4.1)"
            )
        if not var.explode:
            if pairs is not None:
                joined = ",".join(f"{k},{v}" for k, v in pairs)
            else:
                assert items is not None
                joined = ",".join(items)
            if op.named:
                pieces.append(f"{var.name}={joined}" if joined else var.name + op.ifemp)
            else:
                pieces.append(joined)
        elif pairs is not None:
            if op.named:
                pieces.extend(f"{k}={v}" if v else k + op.ifemp for k, v in pairs)
            else:
                pieces.extend(f"{k}={v}" for k, v in pairs)
        else:
            assert items is not None
            if op.named:
                pieces.extend(f"{var.name}={v}" if v else var.name + op.ifemp for v in items)
            else:
                pieces.extend(items)
    if not pieces:
        return ""
    return op.first + op.sep.join(pieces)


# --------------------------------------------------------------------------------------------
# Parsing


def _parse(template: str) -> tuple[_Part, ...]:
    parts: list[_Part] = []
    literal_start = 0
    i = 0
    length = len(template)
    while i < length:
        char = template[i]
        if char == "{":
            if i > literal_start:
                parts.append(_make_literal(template, literal_start, i))
            end = template.find("}", i + 1)
            nested = template.find("{", i + 1)
            if end == -1:
                raise UriTemplateError(template, i, "'{' is never closed with '}'")
            if nested != -1 and nested < end:
                raise UriTemplateError(
                    template, nested, f"'{{' inside the expression opened at position {i}"
                )
            parts.append(_parse_expression(template, i, end))
            i = end + 1
            literal_start = i
            continue
        if char == "}":
            raise UriTemplateError(template, i, "'}' without a matching '{'")
        if char < " " or char == "\x7f":
            raise UriTemplateError(
                template, i, f"control character {char!r} is not allowed in a URI template"
            )
        i += 1
    if literal_start < length:
        parts.append(_make_literal(template, literal_start, length))
    return tuple(parts)


def _make_literal(template: str, start: int, end: int) -> _Literal:
    raw = template[start:end]
    return _Literal(raw, _encode_literal(raw), start)


def _parse_expression(template: str, start: int, end: int) -> _Expression:
    body = template[start + 1 : end]
    if not body:
        raise UriTemplateError(template, start, "empty expression '{}'")
    op_char = body[0]
    offset = start + 1
    if op_char in _FUTURE_OPERATORS:
        raise UriTemplateError(
            template,
            offset,
            f"operator {op_char!r} is reserved for future extensions of RFC 6570; "
            "use one of + # . / ; ? &",
        )
    if op_char in _OPERATORS and op_char != "":
        op = _OPERATORS[op_char]
        body = body[1:]
        offset += 1
    else:
        op = _OPERATORS[""]
    if not body:
        raise UriTemplateError(template, start, f"expression '{{{op_char}}}' names no variable")
    variables: list[_VarSpec] = []
    for spec in body.split(","):
        variables.append(_parse_varspec(template, offset, spec))
        offset += len(spec) + 1
    return _Expression(op, tuple(variables), start)


def _parse_varspec(template: str, position: int, spec: str) -> _VarSpec:
    if not spec:
        raise UriTemplateError(template, position, "empty variable name (stray ',')")
    name_match = _VARNAME.match(spec)
    if name_match is None:
        raise UriTemplateError(
            template,
            position,
            f"bad variable name at {spec!r}: names are letters, digits, '_', "
            "%XX escapes and single inner dots",
        )
    name = name_match.group()
    rest = spec[len(name) :]
    if not rest:
        return _VarSpec(name, explode=False, prefix=None, position=position)
    if rest == "*":
        return _VarSpec(name, explode=True, prefix=None, position=position)
    if rest.startswith(":"):
        if _MAX_LENGTH.fullmatch(rest[1:]):
            return _VarSpec(name, explode=False, prefix=int(rest[1:]), position=position)
        raise UriTemplateError(
            template,
            position + len(name),
            f"bad prefix modifier {rest!r} for variable {name!r}: expected ':' and a "
            "length from 1 to 9999",
        )
    if rest.startswith("*"):
        reason = f"'*' must end the variable spec {spec!r}; '*' and ':<length>' do not combine"
    else:
        reason = (
            f"unexpected {rest[0]!r} after variable name {name!r}: names are letters, digits, "
            "'_', %XX escapes and single inner dots, and take an optional '*' or ':<length>'"
        )
    raise UriTemplateError(template, position + len(name), reason)


# --------------------------------------------------------------------------------------------
# Specificity


def sort_by_specificity(templates: Iterable[UriTemplate]) -> list[UriTemplate]:
    """Order templates most specific first, so that the first one to match a URI wins.

    Sort once when templates are registered, then try them in order on each
    ``resources/read``. The rule is `UriTemplate.specificity`; ties keep the given order.

    Args:
        templates: The templates, in registration order.

    Returns:
        A new list, most specific first.
    """
    return sorted(templates, key=_specificity_key, reverse=True)


def _specificity_key(template: UriTemplate) -> tuple[int, int, int]:
    return template.specificity


# --------------------------------------------------------------------------------------------
# Typed captures

_SEQUENCE_ORIGINS: Final = (list, tuple, set, frozenset)


def _wants_split(tp: Any) -> bool:
    # True when the type accepts a sequence but not a plain string: then a comma-separated
    # capture ("a,b") is split before conversion.
    return _accepts(tp, _is_sequence_type) and not _accepts(tp, _is_str_type)


def _is_sequence_type(tp: Any) -> bool:
    origin = typing.get_origin(tp) or tp
    return isinstance(origin, type) and issubclass(origin, _SEQUENCE_ORIGINS)


def _is_str_type(tp: Any) -> bool:
    if tp is Any or tp is object:
        return True
    origin = typing.get_origin(tp) or tp
    return isinstance(origin, type) and issubclass(origin, str)


def _accepts(tp: Any, test: Callable[[Any], bool]) -> bool:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _accepts(typing.get_args(tp)[0], test)
    if origin is typing.Union or origin is types.UnionType:
        return any(_accepts(arg, test) for arg in typing.get_args(tp))
    return test(tp)


def _type_name(tp: Any) -> str:
    if isinstance(tp, type):
        return tp.__name__
    return repr(tp).replace("typing.", "")


class CaptureConverter:
    """Converts captured strings to the types of a handler's parameters; built once.

    Build one per (template, handler) pair at registration and call it for every matched
    URI. Conversion is `msgspec.convert` with ``strict=False``: ``"3"`` becomes ``3`` for
    ``int``, ``"true"``/``"1"`` become ``True`` for ``bool``, ``"red"`` becomes
    ``Color.RED`` for an enum whose value is ``"red"``. A non-exploded capture given to a
    ``list[...]``/``tuple[...]``/``set[...]`` parameter is split on ``,`` first (``"a,b"`` to
    ``["a", "b"]``; an empty capture to ``[]``). Captures without an annotation are passed
    through unchanged.

    Example:
        >>> convert = CaptureConverter({"city": str, "days": int})
        >>> convert(UriTemplate("weather://{city}/{days}").match("weather://paris/3"))
        {'city': 'paris', 'days': 3}

    Args:
        annotations: The type each variable converts to, by variable name, for example from
            ``typing.get_type_hints(handler)``.

    Raises:
        TypeError: An annotation is a type msgspec cannot convert to.
    """

    __slots__ = ("_plan",)

    def __init__(self, annotations: Mapping[str, Any]) -> None:
        plan: dict[str, tuple[Any, bool, str]] = {}
        for name, tp in annotations.items():
            try:
                msgspec.inspect.type_info(tp)
            except TypeError as exc:
                raise TypeError(
                    f"URI template variable {name!r} is annotated {tp!r}, which msgspec "
                    f"cannot convert to: {exc}"
                ) from None
            plan[name] = (tp, _wants_split(tp), _type_name(tp))
        self._plan = plan

    def __call__(self, captures: Mapping[str, str | list[str]]) -> dict[str, Any]:
        """Convert captures from `UriTemplate.match`.

        Args:
            captures: The captured values by variable name.

        Returns:
            A new dict with the converted values.

        Raises:
            CaptureConversionError: A value does not convert; the error names the variable.
        """
        out: dict[str, Any] = {}
        plan = self._plan
        for name, value in captures.items():
            entry = plan.get(name)
            if entry is None:
                out[name] = value
                continue
            tp, split, type_name = entry
            if tp is str and isinstance(value, str):
                out[name] = value
                continue
            source: str | list[str] = value
            if split and isinstance(value, str):
                source = value.split(",") if value else []
            try:
                out[name] = msgspec.convert(source, tp, strict=False)
            except msgspec.ValidationError as exc:
                raise CaptureConversionError(name, value, type_name, str(exc)) from None
        return out


def convert_captures(
    captures: Mapping[str, str | list[str]], annotations: Mapping[str, Any]
) -> dict[str, Any]:
    """Convert captured strings to the annotated types, once (see `CaptureConverter`).

    Example:
        >>> convert_captures({"city": "paris", "days": "3"}, {"city": str, "days": int})
        {'city': 'paris', 'days': 3}

    Args:
        captures: The captured values by variable name, from `UriTemplate.match`.
        annotations: The type each variable converts to, by variable name.

    Returns:
        A new dict with the converted values; captures without an annotation are unchanged.

    Raises:
        CaptureConversionError: A value does not convert; the error names the variable.
        TypeError: An annotation is a type msgspec cannot convert to.
    """
    return CaptureConverter(annotations)(captures)
