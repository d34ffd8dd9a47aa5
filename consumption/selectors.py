"""Reads of usage: always the daily aggregates, never the raw records; always scoped."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F, Max, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek
from django.utils import timezone

from accounts.models import Contract, Line, LineCostCentreChange, User
from accounts.roles import Capability
from accounts.selectors import company_id_of, company_lines, lines_for_user
from consumption.models import UsageDaily, UsageKind, UsageMonthly
from consumption.periods import Grouping


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


def usage_by_day(
    *, line: Line, start: date, end: date, grouping: Grouping = Grouping.DAY
) -> list[dict[str, Any]]:
    """One row per day, week (from its Monday) or month of the period, in one query: voice
    seconds, SMS, data kilobytes (for the chart and its table), under "day", the first day.
    Whole calendar months are read from the monthly aggregates, anything else from the
    daily ones, truncated in SQL."""
    grouped: QuerySet[Any, Any]
    if grouping == Grouping.MONTH and start.day == 1 and (end + timedelta(days=1)).day == 1:
        grouped = UsageMonthly.objects.filter(line=line, month__range=(start, end)).values(
            "kind", bucket=F("month")
        )
    else:
        bucket = {Grouping.WEEK: TruncWeek("day"), Grouping.MONTH: TruncMonth("day")}.get(
            grouping, F("day")
        )
        grouped = UsageDaily.objects.filter(line=line, day__gte=start, day__lte=end).values(
            "kind", bucket=bucket
        )
    grouped = grouped.annotate(quantity=Sum("quantity")).order_by("bucket")
    days: dict[date, dict[str, Any]] = {}
    for row in grouped:
        day = days.setdefault(
            row["bucket"], {"day": row["bucket"], **dict.fromkeys(UsageKind.values, 0)}
        )
        day[row["kind"]] = row["quantity"]
    return list(days.values())


def last_usage_month(*, sims: QuerySet[Line] | Line, until: date) -> date | None:
    """The first day of the last month up to `until`'s in which these SIMs (or this one)
    used anything: the pages open on it, not on a month that has just begun and is still
    empty.

    One query on the monthly aggregates (every import keeps the month under way up to
    date), each SIM's last month one step down their only index, (line, month): the cost
    follows the company's SIMs, never the other companies' rows."""
    month = until.replace(day=1)
    if isinstance(sims, Line):
        rows = UsageMonthly.objects.filter(line=sims, month__lte=month).order_by("-month")
        return rows.values_list("month", flat=True).first()
    last = UsageMonthly.objects.filter(line=OuterRef("pk"), month__lte=month).order_by("-month")
    newest = sims.order_by().annotate(last=Subquery(last.values("month")[:1]))
    found: date | None = newest.aggregate(month=Max("last"))["month"]
    return found


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


# --- The home page's usage card (C1, C4) -------------------------------------------------


@dataclass(frozen=True)
class Allowance:
    """The month's use of one kind by the SIMs whose plan caps it, against their caps."""

    kind: str
    used: int  # minutes, SMS or MB, as the plans count them
    allowance: int

    @property
    def percent(self) -> int:
        return min(100, round(self.used * 100 / self.allowance)) if self.allowance else 0


@dataclass(frozen=True)
class SimWatch:
    """A SIM above WATCH_PERCENT of an allowance this month, or that roamed."""

    pk: int
    number: str
    holder: str
    peak_percent: int
    roamed: bool


@dataclass(frozen=True)
class UsageSummary:
    month: date
    sims: int
    allowances: list[Allowance]  # only the kinds some SIM in scope has a cap on
    watch: list[SimWatch]
    watch_count: int


# How the plan counts each kind, from the stored unit: seconds → minutes, KB → MB.
_PLAN_UNITS = {UsageKind.VOICE: 60, UsageKind.SMS: 1, UsageKind.DATA: 1024}
_PLAN_FIELDS = {
    UsageKind.VOICE: "voice_minutes",
    UsageKind.SMS: "sms",
    UsageKind.DATA: "data_mb",
}
WATCH_PERCENT = 80


def usage_summary(*, user: User, today: date, watch_limit: int = 5) -> UsageSummary:
    """The month's usage of the SIMs in the user's C1 scope against their plans, and the
    SIMs above WATCH_PERCENT of an allowance or that roamed. The month is this one, or, while
    it has no usage yet (on the 1st, before the first import), the last one that has, as
    Consumi opens. Read from the monthly aggregates (kept up to date for the month under way
    by every import): five queries, whatever the number of SIMs."""
    from django.db.models import Count, FloatField, Window
    from django.db.models.functions import Cast

    sims = sims_for_user(user=user)
    month = last_usage_month(sims=sims, until=today) or today.replace(day=1)
    capped = {kind: f"plan__plan__{field}" for kind, field in _PLAN_FIELDS.items()}
    plans = sims.aggregate(
        sims=Count("pk"),
        **{kind: Sum(field) for kind, field in capped.items()},
    )
    this_month = UsageMonthly.objects.filter(line__in=sims.values("pk"), month=month)
    used = this_month.aggregate(
        **{
            kind: Sum("quantity", filter=Q(kind=kind, **{f"line__{field}__isnull": False}))
            for kind, field in capped.items()
        }
    )
    allowances = [
        Allowance(kind=kind, used=(used[kind] or 0) // _PLAN_UNITS[kind], allowance=plans[kind])
        for kind in _PLAN_FIELDS
        if plans[kind]
    ]

    # One row per SIM that used something this month, kept when above the mark or roaming.
    sums = {f"{kind.lower()}_used": Sum("quantity", filter=Q(kind=kind)) for kind in _PLAN_FIELDS}
    above = Q(roamed__gt=0)
    for kind, field in capped.items():
        mark = Cast(F(f"line__{field}"), FloatField()) * (_PLAN_UNITS[kind] * WATCH_PERCENT / 100)
        above |= Q(**{f"{kind.lower()}_used__gte": mark})
    rows = list(
        this_month.values("line", *(f"line__{field}" for field in capped.values()))
        .annotate(**sums, roamed=Count("pk", filter=Q(roaming=True, quantity__gt=0)))
        .filter(above)
        .annotate(watch_total=Window(Count("*")))
        .order_by("line")[:watch_limit]
    )
    # Their numbers and holders: one more query, for the few shown.
    named = {
        line.pk: line
        for line in Line.objects.filter(pk__in=[row["line"] for row in rows]).select_related(
            "assignee"
        )
    }
    watch = []
    for row in rows:
        percents = [
            round((row[f"{kind.lower()}_used"] or 0) * 100 / (cap * _PLAN_UNITS[kind]))
            for kind, field in capped.items()
            if (cap := row[f"line__{field}"])
        ]
        line = named[row["line"]]
        watch.append(
            SimWatch(
                pk=line.pk,
                number=line.number,
                holder=line.assignee.get_full_name() if line.assignee else "",
                peak_percent=max(percents, default=0),
                roamed=row["roamed"] > 0,
            )
        )
    return UsageSummary(
        month=month,
        sims=plans["sims"],
        allowances=allowances,
        watch=watch,
        watch_count=rows[0]["watch_total"] if rows else 0,
    )


@dataclass(frozen=True)
class CreditSummary:
    total: Decimal
    sims: int


def credit_summary(*, user: User) -> CreditSummary:
    """The remaining credit of the SIMs in the user's C4 scope: one query."""
    from django.db.models import Count

    from consumption.models import SimCredit

    scope = sims_for_user(user=user, capability=Capability.VIEW_CREDIT).values("pk")
    figures = SimCredit.objects.filter(line__in=scope).aggregate(
        total=Sum("balance"), sims=Count("pk")
    )
    return CreditSummary(total=figures["total"] or Decimal("0"), sims=figures["sims"])


# --- For the cost centres' roll-up (costs.selectors) ----------------------------------------


@dataclass(frozen=True)
class CostCentreUsage:
    data_mb: Decimal
    voice_minutes: Decimal
    sms: int
    cost: Decimal


def month_end(month: date) -> datetime:
    """The moment a month ends (the next one begins), in Italian time."""
    return timezone.make_aware(datetime.combine(first_of_next_month(month), time.min))


def usage_by_cost_centre(*, company_id: int, month: date) -> dict[int | None, CostCentreUsage]:
    """The usage of `month` of the company's lines by the cost centre each line had at the
    month's end (None: no centre): its latest change before the next month began, in
    Italian time (one query)."""
    end = month_end(month)
    centre_then = (
        LineCostCentreChange.objects.filter(line=OuterRef("line"), since__lt=end)
        .order_by("-since", "-id")
        .values("cost_centre")[:1]
    )
    rows = (
        UsageMonthly.objects.filter(line__in=company_lines(company=company_id), month=month)
        .annotate(centre=Subquery(centre_then))
        .values("centre")
        .annotate(
            data_kb=Sum("quantity", filter=Q(kind=UsageKind.DATA)),
            voice_seconds=Sum("quantity", filter=Q(kind=UsageKind.VOICE)),
            sms=Sum("quantity", filter=Q(kind=UsageKind.SMS)),
            cost=Sum("cost"),
        )
    )
    tenth, cent = Decimal("0.1"), Decimal("0.01")
    return {
        row["centre"]: CostCentreUsage(
            data_mb=(Decimal(row["data_kb"] or 0) / _PLAN_UNITS[UsageKind.DATA]).quantize(tenth),
            voice_minutes=(
                Decimal(row["voice_seconds"] or 0) / _PLAN_UNITS[UsageKind.VOICE]
            ).quantize(tenth),
            sms=int(row["sms"] or 0),
            cost=Decimal(row["cost"] or 0).quantize(cent),
        )
        for row in rows
    }
