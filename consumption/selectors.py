"""Reads of usage: always the daily aggregates, never the raw records; always scoped."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from accounts.models import Contract, Line, User
from accounts.roles import Capability
from accounts.selectors import company_id_of, lines_for_user
from consumption.models import UsageDaily, UsageKind


def sims_for_user(*, user: User, capability: Capability = Capability.VIEW_USAGE) -> QuerySet[Line]:
    """The SIMs (mobile lines) the user may see the usage of (C1 scope)."""
    return lines_for_user(user=user, capability=capability).filter(
        contract__kind=Contract.Kind.MOBILE
    )


@dataclass(frozen=True)
class KindTotals:
    national: int = 0
    roaming: int = 0
    cost: Decimal = Decimal("0")

    @property
    def total(self) -> int:
        return self.national + self.roaming


def usage_totals(*, line: Line, start: date, end: date) -> dict[str, KindTotals]:
    """Per kind: national and roaming quantities and cost in [start, end]."""
    rows = (
        UsageDaily.objects.filter(line=line, day__gte=start, day__lte=end)
        .values("kind", "roaming")
        .annotate(quantity=Sum("quantity"), spent=Sum("cost"))
        .order_by()
    )
    national: dict[str, int] = defaultdict(int)
    roaming: dict[str, int] = defaultdict(int)
    cost: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        (roaming if row["roaming"] else national)[row["kind"]] += row["quantity"]
        cost[row["kind"]] += row["spent"]
    return {
        kind: KindTotals(national=national[kind], roaming=roaming[kind], cost=cost[kind])
        for kind in UsageKind.values
    }


def usage_by_day(*, line: Line, start: date, end: date) -> list[dict[str, Any]]:
    """One row per day of the period: voice seconds, SMS, data kilobytes (for the chart)."""
    rows = (
        UsageDaily.objects.filter(line=line, day__gte=start, day__lte=end)
        .values("day", "kind")
        .annotate(quantity=Sum("quantity"))
        .order_by("day")
    )
    days: dict[date, dict[str, Any]] = {}
    for row in rows:
        day = days.setdefault(row["day"], {"day": row["day"], **dict.fromkeys(UsageKind.values, 0)})
        day[row["kind"]] = row["quantity"]
    return list(days.values())


SIM_SORTS = {
    "number": "number",
    "-number": "-number",
    "assignee": "assignee__last_name",
    "-assignee": "-assignee__last_name",
    "voice": "voice",
    "-voice": "-voice",
    "sms": "sms",
    "-sms": "-sms",
    "data": "data",
    "-data": "-data",
    "cost": "cost",
    "-cost": "-cost",
    "credit": "balance",
    "-credit": "-balance",
    "state": "state",
    "-state": "-state",
}


def all_sims_usage(
    *, user: User, start: date, end: date, search: str = "", sort: str = "number"
) -> QuerySet[Line]:
    """Every SIM of the company with its usage in the period (C2): one query, any size.
    Each figure is a subquery over the period's daily aggregates of one SIM, read along
    the (line, day, kind) index; a join would drag in every day of every SIM."""

    def period_sum(field: str, kind: str | None = None) -> Subquery:
        rows = UsageDaily.objects.filter(line=OuterRef("pk"), day__gte=start, day__lte=end)
        if kind:
            rows = rows.filter(kind=kind)
        return Subquery(
            rows.order_by().values("line").annotate(total=Sum(field)).values("total")[:1]
        )

    sims = Line.objects.filter(
        contract__company_id=company_id_of(user), contract__kind=Contract.Kind.MOBILE
    )
    if search:
        sims = sims.filter(
            Q(number__icontains=search)
            | Q(assignee__first_name__icontains=search)
            | Q(assignee__last_name__icontains=search)
            | Q(label__icontains=search)
        )
    return (
        sims.select_related("assignee", "contract")
        .annotate(
            voice=Coalesce(period_sum("quantity", UsageKind.VOICE), 0),
            sms=Coalesce(period_sum("quantity", UsageKind.SMS), 0),
            data=Coalesce(period_sum("quantity", UsageKind.DATA), 0),
            cost=Coalesce(period_sum("cost"), Decimal("0")),
            balance=F("credit__balance"),
        )
        .order_by(SIM_SORTS.get(sort, "number"), "number")
    )
