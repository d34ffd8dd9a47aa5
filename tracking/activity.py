"""What a person did, from every section, newest first: the activity list of «Le mie
richieste» (requests, SIM blocks, top-ups, payments...).

Each section registers a source of its own records (`activity_source`) from its
AppConfig.ready(), as it registers what completing its requests does (`on_completion`):
tracking merges them without knowing them, so no section reaches into another's models.
The merge is one UNION query of (source, id, moment) rows, paged in the database; then one
query per source on the page fills the rows in: the number of queries does not grow with
the number of entries."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import CharField, F, QuerySet, Value
from django_stubs_ext import StrOrPromise

from accounts.models import User
from tracking.models import Request


@dataclass(frozen=True)
class ActivityRow:
    """One thing the person did, as the list shows it."""

    at: datetime
    what: StrOrPromise  # "Blocco SIM", "Ricarica", the request's kind...
    description: str  # the request's subject, the SIM's number...
    reference: str  # a request's number, an invoice's, a SIM's
    state: StrOrPromise
    # How the state reads at a glance: one of Bootstrap's colours (success, warning...).
    tone: str = "secondary"
    amount: Decimal | None = None
    url: str = ""  # its detail page, when the person may still open it


Entries = Callable[[User], "QuerySet[Any]"]
Rows = Callable[[User, Sequence[int]], dict[int, ActivityRow]]


@dataclass(frozen=True)
class ActivitySource:
    key: str
    label: StrOrPromise  # the filter's name for its entries ("Ricariche")
    position: int  # where the filter lists it
    entries: Entries  # the person's own records, in their company
    moment: str  # the field of those records that says when they happened
    rows: Rows  # the rows of those records (by id), with what the page shows of them


ACTIVITY_SOURCES: dict[str, ActivitySource] = {}


def activity_source(
    *, key: str, label: StrOrPromise, position: int, moment: str, rows: Rows
) -> Callable[[Entries], Entries]:
    """Register the decorated `entries(user)` as a source of the activity list."""

    def register(entries: Entries) -> Entries:
        ACTIVITY_SOURCES[key] = ActivitySource(
            key=key, label=label, position=position, entries=entries, moment=moment, rows=rows
        )
        return entries

    return register


def activity_kinds() -> list[tuple[str, StrOrPromise]]:
    """The sources as filter choices, in their order."""
    sources = sorted(ACTIVITY_SOURCES.values(), key=lambda source: source.position)
    return [(source.key, source.label) for source in sources]


def activity_for(*, user: User, kind: str = "") -> QuerySet[Any]:
    """What `user` did (of the `kind` source only, when given), newest first: (source, id,
    moment) tuples, to page with core.pagination and fill in with `activity_rows`."""
    sources = [
        source for key, source in sorted(ACTIVITY_SOURCES.items()) if not kind or key == kind
    ]
    parts: list[QuerySet[Any]] = [
        source.entries(user)
        .order_by()
        .annotate(
            activity_source=Value(source.key, output_field=CharField()),
            activity_id=F("pk"),
            activity_at=F(source.moment),
        )
        .values_list("activity_source", "activity_id", "activity_at")
        for source in sources
    ]
    if not parts:  # a kind no section registers: nothing
        return Request.objects.none().values_list("pk")
    first, *others = parts
    merged = first.union(*others, all=True) if others else first
    return merged.order_by("-activity_at", "-activity_id", "activity_source")


def activity_rows(*, user: User, entries: Iterable[tuple[str, int, datetime]]) -> list[ActivityRow]:
    """The rows of a page of `activity_for`: one query per source present on it."""
    entries = list(entries)
    ids: dict[str, list[int]] = {}
    for key, pk, _at in entries:
        ids.setdefault(key, []).append(pk)
    found = {key: ACTIVITY_SOURCES[key].rows(user, pks) for key, pks in ids.items()}
    return [found[key][pk] for key, pk, _at in entries if pk in found[key]]
