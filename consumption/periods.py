"""Periods of the usage pages: how a range is grouped, the month a page opens on, and the
months before and after the one shown."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from django.http import QueryDict
from django.utils.translation import gettext as _

from core.italy import month_year

# Up to a month a bar a day; up to about three months a bar a week; beyond, a bar a month
# (eleven months are eleven bars, not 334).
DAYS_BY_DAY = 31
DAYS_BY_WEEK = 92


class Grouping(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def grouping_for(start: date, end: date) -> Grouping:
    days = (end - start).days + 1
    if days <= DAYS_BY_DAY:
        return Grouping.DAY
    if days <= DAYS_BY_WEEK:
        return Grouping.WEEK
    return Grouping.MONTH


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def is_whole_month(start: date, end: date) -> bool:
    return (
        start.day == 1
        and (start.year, start.month) == (end.year, end.month)
        and (end == month_bounds(end.year, end.month)[1])
    )


def month_name(day: date) -> str:
    """ "ottobre 2026" in Italian (lower case, as Italian writes months), "October 2026"."""
    return month_year(day)


def bucket_label(first: date, grouping: Grouping, start: date, end: date) -> str:
    """How a bar and a row of the table are named: a day, a week cut to the period, a month."""
    if grouping == Grouping.DAY:
        return f"{first:%d/%m}"
    if grouping == Grouping.WEEK:
        week_start, week_end = max(first, start), min(first + timedelta(days=6), end)
        return f"{week_start:%d/%m}–{week_end:%d/%m}"
    return month_name(first)


def grouping_text(grouping: Grouping) -> str:
    return {
        Grouping.DAY: _("Giorno per giorno"),
        Grouping.WEEK: _("Settimana per settimana"),
        Grouping.MONTH: _("Mese per mese"),
    }[grouping]


@dataclass(frozen=True)
class MonthLink:
    label: str
    query: str


@dataclass(frozen=True)
class MonthNavigation:
    """The arrows around the period: the month before it and, up to today's, the one after."""

    previous: MonthLink
    following: MonthLink | None


def month_navigation(query: QueryDict, start: date, end: date, today: date) -> MonthNavigation:
    """Links that keep the page's other parameters (search, sort) and choose a month."""

    def link(month: date) -> MonthLink:
        params = query.copy()
        for key in ("since", "until", "month", "page", "formato"):
            params.pop(key, None)
        params["month"] = f"{month:%Y-%m}"
        return MonthLink(label=month_name(month), query=params.urlencode())

    previous = (start.replace(day=1) - timedelta(days=1)).replace(day=1)
    following = (end.replace(day=28) + timedelta(days=4)).replace(day=1)
    return MonthNavigation(
        previous=link(previous),
        following=link(following) if following <= today else None,
    )
