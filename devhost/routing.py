"""HTTP trigger route templates: parsing, matching and precedence.

A template is a ``/``-separated list of literal segments, parameters ``{name}``, optional
parameters ``{name?}`` (only at the end) and a final catch-all ``{*name}``. Parameter
constraints (``{id:int}``) are accepted and ignored. Literals match case-insensitively, as in
ASP.NET routing, and more literal templates win over more general ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

_PARAMETER = re.compile(
    r"^\{(?P<star>\*)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::[^?}]*)?(?P<opt>\?)?\}$"
)


class _Kind(IntEnum):
    """Segment kinds, in the order in which they win a tie."""

    LITERAL = 0
    PARAMETER = 1
    OPTIONAL = 2
    CATCH_ALL = 3


@dataclass(frozen=True, slots=True)
class _Segment:
    kind: _Kind
    text: str  # the literal (lower-cased) or the parameter name


@dataclass(frozen=True, slots=True)
class RouteTemplate:
    """A parsed route template."""

    template: str
    segments: tuple[_Segment, ...]

    @property
    def precedence(self) -> tuple[int, ...]:
        """Sort key: lower sorts first and is tried first."""
        return (*(segment.kind for segment in self.segments), len(_Kind))

    def match(self, path_segments: Sequence[str]) -> dict[str, str] | None:
        """The route parameters if the (decoded) path segments match, else ``None``."""
        values: dict[str, str] = {}
        for index, segment in enumerate(self.segments):
            if segment.kind is _Kind.CATCH_ALL:
                rest = "/".join(path_segments[index:])
                if rest:
                    values[segment.text] = rest
                return values
            if index >= len(path_segments):
                return values if segment.kind is _Kind.OPTIONAL else None
            value = path_segments[index]
            if segment.kind is _Kind.LITERAL:
                if value.lower() != segment.text:
                    return None
            elif not value:
                return None
            else:
                values[segment.text] = value
        return values if len(path_segments) == len(self.segments) else None


def parse_route(template: str) -> RouteTemplate:
    """Parse a route template; raise ``ValueError`` for shapes this host does not support."""
    parts = [part for part in template.strip("/").split("/") if part]
    segments = tuple(_parse_segment(part, template) for part in parts)
    for index, segment in enumerate(segments):
        is_last = index == len(segments) - 1
        if segment.kind in (_Kind.OPTIONAL, _Kind.CATCH_ALL) and not is_last:
            raise ValueError(f"route {template!r}: only the last segment may be optional")
    return RouteTemplate(template, segments)


def split_path(path: str) -> list[str]:
    """Split a decoded request path (below the route prefix) into segments."""
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


def _parse_segment(part: str, template: str) -> _Segment:
    if "{" not in part and "}" not in part:
        return _Segment(_Kind.LITERAL, part.lower())
    found = _PARAMETER.match(part)
    if found is None:
        raise ValueError(f"route {template!r}: segment {part!r} is not supported")
    if found.group("star"):
        return _Segment(_Kind.CATCH_ALL, found.group("name"))
    kind = _Kind.OPTIONAL if found.group("opt") else _Kind.PARAMETER
    return _Segment(kind, found.group("name"))
