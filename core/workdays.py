"""Working days in Italy: Monday to Friday, except national public holidays."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays


@cache
def _italian_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("IT", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _italian_holidays(day.year)


def first_working_day_from(day: date) -> date:
    """`day` itself if it is a working day, otherwise the next one."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day
