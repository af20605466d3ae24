# Visibility selectors: which components a visibility rule (server- or session-wide)
# applies to. Pure matching; the rules and their order live in the session layer.
#
# Rules (the Elixir FastestMCP's, point by point):
#   * A selector with `match_all=True` matches every component (of the given component
#     types, if any); the other criteria are then ignored.
#   * Otherwise every criterion given must match (AND); a criterion left out matches
#     anything; a selector with no criterion at all matches nothing.
#   * names: the component's name or identifier (a resource's URI, a template's
#     template) is one of them. keys: its key is one of them. tags: it has at least one
#     of them. components: its kind is one of them ("template" or "resource_template").
#     version: its version satisfies the `VersionSpec` (an unversioned component
#     never does).
#   * Versions compare as dotted numbers with an optional "-prerelease" (lower than the
#     release) when both sides parse so; otherwise as strings. No version is lowest.

"""Visibility selectors (`Selector`, `VersionSpec`) and version ordering."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final, Protocol

__all__ = ("Selector", "SelectorTarget", "VersionSpec", "compare_versions")

_SEMVER: Final = re.compile(r"v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?")
_KINDS: Final = {
    "tool": "tool",
    "resource": "resource",
    "template": "template",
    "resource_template": "template",
    "prompt": "prompt",
}


def _numeric(version: str) -> tuple[tuple[int, ...], str | None] | None:
    found = _SEMVER.fullmatch(version)
    if found is None:
        return None
    return tuple(int(n) for n in found.group(1).split(".")), found.group(2)


def compare_versions(left: str | None, right: str | None) -> int:
    """Compare two component versions.

    Args:
        left: A version or ``None`` (lowest).
        right: A version or ``None`` (lowest).

    Returns:
        -1, 0 or 1 as ``left`` is lower than, equal to, or higher than ``right``.
    """
    if left == right:
        return 0
    if left is None:
        return -1
    if right is None:
        return 1
    a, b = _numeric(left), _numeric(right)
    if a is not None and b is not None:
        width = max(len(a[0]), len(b[0]))
        na = a[0] + (0,) * (width - len(a[0]))
        nb = b[0] + (0,) * (width - len(b[0]))
        if na != nb:
            return -1 if na < nb else 1
        pa, pb = a[1], b[1]
        if pa == pb:
            return 0
        if pa is None:
            return 1
        if pb is None:
            return -1
        return -1 if pa < pb else 1
    return -1 if left < right else 1


class SelectorTarget(Protocol):
    """What a selector reads of a component."""

    @property
    def kind(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def identifier(self) -> str: ...

    @property
    def key(self) -> str: ...

    @property
    def version(self) -> str | None: ...

    @property
    def tags(self) -> frozenset[str]: ...


class VersionSpec:
    """A version constraint: every bound given must hold.

    Args:
        eq: Equal to.
        gt: Higher than.
        gte: At least.
        lt: Lower than.
        lte: At most.

    Raises:
        ValueError: No bound is given.
    """

    __slots__ = ("eq", "gt", "gte", "lt", "lte")

    def __init__(
        self,
        *,
        eq: str | None = None,
        gt: str | None = None,
        gte: str | None = None,
        lt: str | None = None,
        lte: str | None = None,
    ) -> None:
        if eq is None and gt is None and gte is None and lt is None and lte is None:
            raise ValueError("a version selector needs at least one of eq, gt, gte, lt, lte")
        self.eq, self.gt, self.gte, self.lt, self.lte = eq, gt, gte, lt, lte

    def _bounds(self) -> tuple[str | None, ...]:
        return (self.eq, self.gt, self.gte, self.lt, self.lte)

    def __repr__(self) -> str:
        names = ("eq", "gt", "gte", "lt", "lte")
        given = ", ".join(f"{n}={v!r}" for n, v in zip(names, self._bounds(), strict=True) if v)
        return f"VersionSpec({given})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VersionSpec) and self._bounds() == other._bounds()

    def __hash__(self) -> int:
        return hash(self._bounds())

    def matches(self, version: str | None) -> bool:
        """Whether ``version`` satisfies every bound (``None`` never does)."""
        if version is None:
            return False
        if self.eq is not None and compare_versions(version, self.eq) != 0:
            return False
        if self.gt is not None and compare_versions(version, self.gt) <= 0:
            return False
        if self.gte is not None and compare_versions(version, self.gte) < 0:
            return False
        if self.lt is not None and compare_versions(version, self.lt) >= 0:
            return False
        return self.lte is None or compare_versions(version, self.lte) <= 0


def _string_set(values: Iterable[str] | str | None, what: str) -> frozenset[str] | None:
    if values is None:
        return None
    result = frozenset((values,)) if isinstance(values, str) else frozenset(values)
    for value in result:
        if not isinstance(value, str):
            raise TypeError(f"selector {what} must be str, got {value!r}")
    return result


def _version_spec(version: VersionSpec | Mapping[str, str] | str | None) -> VersionSpec | None:
    if version is None or isinstance(version, VersionSpec):
        return version
    if isinstance(version, str):
        return VersionSpec(eq=version)
    if isinstance(version, Mapping):
        unknown = set(version) - {"eq", "gt", "gte", "lt", "lte"}
        if unknown:
            raise ValueError(f"unknown version bounds {sorted(unknown)}; use eq, gt, gte, lt, lte")
        return VersionSpec(**dict(version))
    raise TypeError(
        f"a version selector is a str, a mapping of bounds or a VersionSpec: {version!r}"
    )


class Selector:
    """Which components a visibility rule applies to (rules at the top of this module).

    Args:
        names: Names or identifiers (URIs of resources, templates of templates).
        keys: Component keys, e.g. ``"tool:forecast@"``.
        tags: Tags, any of which selects.
        components: Kinds: ``"tool"``, ``"resource"``, ``"template"`` (or
            ``"resource_template"``), ``"prompt"``.
        version: A version (equality), a `VersionSpec`, or a mapping of its bounds.
        match_all: Select every component (of the given kinds).

    Raises:
        ValueError: An unknown component kind or version bound.
    """

    __slots__ = ("components", "keys", "match_all", "names", "tags", "version")

    def __init__(
        self,
        *,
        names: Iterable[str] | str | None = None,
        keys: Iterable[str] | str | None = None,
        tags: Iterable[str] | str | None = None,
        components: Iterable[str] | str | None = None,
        version: VersionSpec | Mapping[str, str] | str | None = None,
        match_all: bool = False,
    ) -> None:
        self.names = _string_set(names, "names")
        self.keys = _string_set(keys, "keys")
        self.tags = _string_set(tags, "tags")
        kinds = _string_set(components, "components")
        if kinds is not None:
            unknown = sorted(kinds - set(_KINDS))
            if unknown:
                raise ValueError(
                    f"unknown component kinds {unknown}; use tool, resource, template, prompt"
                )
            kinds = frozenset(_KINDS[k] for k in kinds)
        self.components = kinds
        self.version = _version_spec(version)
        self.match_all = bool(match_all)

    def _fields(self) -> tuple[Any, ...]:
        return (self.names, self.keys, self.tags, self.components, self.version, self.match_all)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Selector) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        names = ("names", "keys", "tags", "components", "version", "match_all")
        given = ", ".join(
            f"{n}={sorted(v) if isinstance(v, frozenset) else v!r}"
            for n, v in zip(names, self._fields(), strict=True)
            if v
        )
        return f"Selector({given})"

    @property
    def has_criteria(self) -> bool:
        """Whether the selector can match anything (a criterion, or ``match_all``)."""
        return self.match_all or any(
            v is not None for v in (self.names, self.keys, self.tags, self.components, self.version)
        )

    def matches(self, component: SelectorTarget) -> bool:
        """Whether the selector selects ``component``."""
        if self.components is not None and component.kind not in self.components:
            return False
        if self.match_all:
            return True
        if not self.has_criteria:
            return False
        if self.names is not None and not (
            component.name in self.names or component.identifier in self.names
        ):
            return False
        if self.keys is not None and component.key not in self.keys:
            return False
        if self.tags is not None and self.tags.isdisjoint(component.tags):
            return False
        return self.version is None or self.version.matches(component.version)
