"""Reads of the cost centres: the company's centres, their lines, and the monthly roll-up of
invoices and usage by centre. Every query starts from the user's company; the roll-up runs
a fixed number of queries, whatever the number of lines."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import CostCentre, Line, User
from accounts.selectors import company_id_of, company_lines, cost_centres_of

# The roll-up reads invoices and usage where their sections keep them, through the reads
# they offer for it (named in pyproject's independence contract).
from billing.selectors import company_invoice_last_issued, invoiced_by_cost_centre
from consumption.selectors import usage_by_cost_centre
from core.exports import Cell, Euro
from core.forms import EARLIEST_DAY

# The roll-up's months: none before, and none after the end of next year.
ROLLUP_FIRST_MONTH = EARLIEST_DAY


def cost_centres_for_user(*, user: User) -> QuerySet[CostCentre]:
    """The user's company's centres with how many lines each has and their manager."""
    return (
        cost_centres_of(company_id=company_id_of(user))
        .select_related("manager")
        .annotate(line_count=Count("lines"))
    )


def cost_centre_get_for_user(*, user: User, pk: int) -> CostCentre:
    """One of the company's centres; another company's answers 404, like none."""
    return get_object_or_404(
        CostCentre.objects.select_related("manager"), pk=pk, company_id=company_id_of(user)
    )


def assignable_lines(*, user: User) -> QuerySet[Line]:
    """The lines a cost centre manager may assign: all of the company's."""
    return company_lines(company=company_id_of(user)).select_related("assignee", "cost_centre")


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, months: int) -> date:
    """The first day of the month `months` after (before, if negative) `month`'s; at the
    calendar's ends (years 1 and 9999) it stays there instead of failing."""
    index = min(max(month.year * 12 + month.month - 1 + months, 12), 9999 * 12 + 11)
    year, zero_based = divmod(index, 12)
    return date(year, zero_based + 1, 1)


def next_month(month: date) -> date:
    return add_months(month, 1)


def previous_month(month: date) -> date:
    return add_months(month, -1)


def rollup_last_month(today: date | None = None) -> date:
    """The last month the roll-up shows: December of next year."""
    return date((today or timezone.localdate()).year + 1, 12, 1)


def default_month(*, company_id: int) -> date:
    """The last month with a company invoice, else the month before this one."""
    last = company_invoice_last_issued(company_id=company_id)
    return month_start(last) if last else previous_month(month_start(timezone.localdate()))


@dataclass
class Figures:
    """One centre's figures for one month."""

    invoiced: Decimal = Decimal("0.00")
    data_mb: Decimal = Decimal("0")
    voice_minutes: Decimal = Decimal("0")
    sms: int = 0
    usage_cost: Decimal = Decimal("0.00")


@dataclass
class RollupRow:
    centre: CostCentre | None  # None: the lines and rows of no centre
    current: Figures = field(default_factory=Figures)
    previous: Figures = field(default_factory=Figures)

    @property
    def invoiced_difference(self) -> Decimal:
        return self.current.invoiced - self.previous.invoiced

    @property
    def usage_cost_difference(self) -> Decimal:
        return self.current.usage_cost - self.previous.usage_cost

    @property
    def is_empty(self) -> bool:
        return self.current == Figures() and self.previous == Figures()


@dataclass
class Rollup:
    month: date
    previous_month: date
    rows: list[RollupRow]
    total: RollupRow


def _usage(company_id: int, month: date) -> dict[int | None, Figures]:
    return {
        centre: Figures(
            data_mb=found.data_mb,
            voice_minutes=found.voice_minutes,
            sms=found.sms,
            usage_cost=found.cost,
        )
        for centre, found in usage_by_cost_centre(company_id=company_id, month=month).items()
    }


def cost_centre_rollup(*, user: User, month: date) -> Rollup:
    """Per centre of the user's company (and for no centre): the invoice amounts of the
    invoices issued in `month` by the centre their rows were issued with, and the usage of
    `month` by the centre each line had at its end; the month before beside them. Five
    queries, whatever the number of lines and centres. A month out of the roll-up's range
    (ROLLUP_FIRST_MONTH to rollup_last_month()) is brought to its nearest end."""
    company_id = company_id_of(user)
    month = min(max(month_start(month), ROLLUP_FIRST_MONTH), rollup_last_month())
    before = previous_month(month)
    invoiced = invoiced_by_cost_centre(company_id=company_id, since=before, until=next_month(month))
    usage = {month: _usage(company_id, month), before: _usage(company_id, before)}
    centres: list[CostCentre | None] = [*cost_centres_of(company_id=company_id), None]

    def figures(centre_id: int | None, when: date) -> Figures:
        found = usage[when].get(centre_id) or Figures()
        found.invoiced = invoiced.get((when, centre_id), Decimal("0.00"))
        return found

    rows = []
    for centre in centres:
        centre_id = centre.pk if centre is not None else None
        rows.append(
            RollupRow(
                centre, current=figures(centre_id, month), previous=figures(centre_id, before)
            )
        )
    if rows and rows[-1].is_empty:
        rows.pop()  # nothing outside the centres: no "Senza centro di costo" row
    total = RollupRow(None)
    for row in rows:
        for mine, theirs in ((total.current, row.current), (total.previous, row.previous)):
            mine.invoiced += theirs.invoiced
            mine.data_mb += theirs.data_mb
            mine.voice_minutes += theirs.voice_minutes
            mine.sms += theirs.sms
            mine.usage_cost += theirs.usage_cost
    return Rollup(month=month, previous_month=before, rows=rows, total=total)


def rollup_header() -> list[str]:
    """The columns of the roll-up as a spreadsheet (the page's download, the monthly report):
    what the page shows, the month and the one before side by side."""
    return [
        _("Codice"),
        _("Centro di costo"),
        _("Fatturato del mese (IVA esclusa)"),
        _("Fatturato del mese prima (IVA esclusa)"),
        _("Differenza del fatturato"),
        _("Dati del mese (MB)"),
        _("Dati del mese prima (MB)"),
        _("Voce del mese (minuti)"),
        _("Voce del mese prima (minuti)"),
        _("SMS del mese"),
        _("SMS del mese prima"),
        _("Costo dei consumi del mese"),
        _("Costo dei consumi del mese prima"),
        _("Differenza del costo dei consumi"),
    ]


def rollup_rows(rollup: Rollup) -> Iterator[list[Cell]]:
    for row in rollup.rows:
        centre = row.centre
        yield [
            centre.code if centre else "",
            centre.name if centre else _("Senza centro di costo"),
            Euro(row.current.invoiced),
            Euro(row.previous.invoiced),
            Euro(row.invoiced_difference),
            row.current.data_mb,
            row.previous.data_mb,
            row.current.voice_minutes,
            row.previous.voice_minutes,
            row.current.sms,
            row.previous.sms,
            Euro(row.current.usage_cost),
            Euro(row.previous.usage_cost),
            Euro(row.usage_cost_difference),
        ]
