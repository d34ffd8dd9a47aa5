"""Reads of usage: always the daily aggregates, never the raw records; always scoped."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import Contract, Line, User
from accounts.roles import Capability
from accounts.selectors import company_id_of, lines_for_user
from consumption.models import UsageDaily, UsageKind, UsageMonthly


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


def first_of_next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_parts(
    start: date, end: date
) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """[start, end] as the first days of its whole calendar months (read from the monthly
    aggregates) and the days before and after them (from the daily ones)."""
    first_month = start if start.day == 1 else first_of_next_month(start)
    after_months = (
        end + timedelta(days=1) if (end + timedelta(days=1)).day == 1 else end.replace(day=1)
    )
    if first_month >= after_months:
        return None, [(start, end)]
    days = []
    if start < first_month:
        days.append((start, first_month - timedelta(days=1)))
    if after_months <= end:
        days.append((after_months, end))
    return (first_month, after_months - timedelta(days=1)), days


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
    Each figure is a subquery over one SIM's aggregates of the period, read along the
    (line, day or month, kind) index: the monthly ones for whole calendar months, else the
    daily ones. A join would drag in every day of every SIM."""

    months, days = period_parts(start, end)

    def figure(field: str, kind: str | None = None) -> Coalesce:
        parts: list[QuerySet[Any]] = []
        if months:
            parts.append(UsageMonthly.objects.filter(line=OuterRef("pk"), month__range=months))
        if days:
            in_days = Q()
            for first, last in days:
                in_days |= Q(day__range=(first, last))
            parts.append(UsageDaily.objects.filter(in_days, line=OuterRef("pk")))
        zero = Value(Decimal("0")) if field == "cost" else Value(0)
        sums = [
            Coalesce(
                Subquery(
                    rows.filter(**({"kind": kind} if kind else {}))
                    .order_by()
                    .values("line")
                    .annotate(total=Sum(field))
                    .values("total")[:1]
                ),
                zero,
            )
            for rows in parts
        ]
        return sum(sums[1:], start=sums[0])

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
            voice=figure("quantity", UsageKind.VOICE),
            sms=figure("quantity", UsageKind.SMS),
            data=figure("quantity", UsageKind.DATA),
            cost=figure("cost"),
            balance=F("credit__balance"),
        )
        .order_by(SIM_SORTS.get(sort, "number"), "number")
    )
