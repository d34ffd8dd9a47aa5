"""The all-SIMs figures of any period: whole months come from the monthly aggregates and
the days around them from the daily ones; the sums are those of the daily aggregates."""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumption.models import UsageDaily, UsageMonthly
from consumption.selectors import all_sims_usage, period_parts
from consumption.services import refresh_monthly
from tests.conftest import World

FIRST_DAY = date(2026, 8, 25)
DAYS = 130  # to the start of January: five months, a leap of none


def test_periods_split_into_whole_months_and_days() -> None:
    october = (date(2026, 10, 1), date(2026, 10, 31))
    assert period_parts(*october) == (october, [])
    assert period_parts(date(2026, 10, 1), date(2026, 10, 30)) == (
        None,
        [(date(2026, 10, 1), date(2026, 10, 30))],
    )
    assert period_parts(date(2026, 9, 20), date(2026, 11, 3)) == (
        october,
        [(date(2026, 9, 20), date(2026, 9, 30)), (date(2026, 11, 1), date(2026, 11, 3))],
    )
    assert period_parts(date(2026, 10, 5), date(2026, 11, 3)) == (
        None,
        [(date(2026, 10, 5), date(2026, 11, 3))],
    )


def _fill(world: World) -> None:
    UsageDaily.objects.bulk_create(
        UsageDaily(
            line=line,
            day=FIRST_DAY + timedelta(days=n),
            kind=kind,
            roaming=roaming,
            quantity=(n * 7 + index * 13 + len(kind)) % 97,
            cost=Decimal(n % 5) / 4,
            records=1,
        )
        for index, line in enumerate([world.lr_line, world.user_line])
        for n in range(DAYS)
        for kind in ("VOICE", "SMS", "DATA")
        for roaming in (False, True)
    )
    days = UsageDaily.objects.values_list("line_id", "day").distinct()
    refresh_monthly({(line_id, day.replace(day=1)) for line_id, day in days})


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(start=st.integers(0, DAYS - 1), length=st.integers(0, DAYS - 1))
def test_figures_of_any_period_equal_the_daily_sums(start: int, length: int, world: World) -> None:
    if not UsageMonthly.objects.exists():
        _fill(world)
    first = FIRST_DAY + timedelta(days=start)
    last = min(first + timedelta(days=length), FIRST_DAY + timedelta(days=DAYS - 1))
    sims = {sim.pk: sim for sim in all_sims_usage(user=world.lr, start=first, end=last)}
    for line in (world.lr_line, world.user_line):
        days = UsageDaily.objects.filter(line=line, day__range=(first, last))
        for field, kind in (("voice", "VOICE"), ("sms", "SMS"), ("data", "DATA")):
            expected = days.filter(kind=kind).aggregate(q=Sum("quantity"))["q"]
            assert getattr(sims[line.pk], field) == expected
        assert sims[line.pk].cost == days.aggregate(c=Sum("cost"))["c"]
