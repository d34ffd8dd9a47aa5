"""Every URL pattern of the project, found by walking the resolver."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

# Django's admin guards itself (staff login); it is tested apart in tests/accounts.
EXCLUDED_NAMESPACES = {"admin"}


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    pattern: str
    callback: Any
    params: tuple[str, ...]


def walk(
    patterns: list[Any] | None = None, namespace: str = "", prefix: str = ""
) -> Iterator[Route]:
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in EXCLUDED_NAMESPACES:
                continue
            ns = ":".join(filter(None, [namespace, entry.namespace]))
            yield from walk(entry.url_patterns, ns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            name = ":".join(filter(None, [namespace, entry.name or ""]))
            yield Route(
                name=name,
                pattern=prefix + str(entry.pattern),
                callback=entry.callback,
                params=tuple(entry.pattern.converters),
            )
