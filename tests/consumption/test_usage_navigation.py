"""Usage pages open on the last month with usage, step month by month, show allowances as
bars and group long periods by week or month (in SQL, with the daily sums)."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from consumption.models import LinePlan, Plan, UsageDaily
from consumption.periods import Grouping, grouping_for, month_navigation
from consumption.selectors import last_usage_month, usage_by_day
from consumption.services import refresh_monthly, usage_import_csv
from tests.conftest import World, client_for

TODAY = date(2026, 12, 1)  # the first of a month: nothing used yet
HEADER = "record_id,number,started_at,kind,roaming,quantity,cost\n"


@pytest.fixture(autouse=True)
def first_of_december(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def october(world: World) -> World:
    """The USER's SIM: 20 minutes and 2 GB on 12 October."""
    moment = datetime(2026, 10, 12, 10, 0, tzinfo=ZoneInfo("Europe/Rome")).isoformat()
    number = world.user_line.number
    usage_import_csv(
        io.StringIO(
            HEADER
            + f"v1,{number},{moment},voice,0,1200,0\n"
            + f"d1,{number},{moment},data,0,{2 * 1024 * 1024},0.50\n"
        )
    )
    return world


def sim_url(world: World) -> str:
    return reverse("consumption:sim-usage", args=[world.user_line.pk])


def test_the_sim_page_opens_on_the_last_month_with_usage(october: World) -> None:
    page = client_for(october.user).get(sim_url(october)).content.decode()
    assert "dal 01/10/2026 al 31/10/2026" in page
    assert 'value="2026-10"' in page  # the month field shows it too
    # Arrows to September and to November (not to December's future).
    assert 'rel="prev" href="?month=2026-09"' in page and "settembre 2026" in page
    assert 'rel="next" href="?month=2026-11"' in page and "novembre 2026" in page
    november = client_for(october.user).get(sim_url(october), {"month": "2026-11"})
    text = november.content.decode()
    assert "Nessun consumo nel periodo" in text
    assert 'rel="next" href="?month=2026-12"' in text
    current = client_for(october.user).get(sim_url(october), {"month": "2026-12"})
    assert 'rel="next"' not in current.content.decode()  # no month after today's


def test_a_sim_without_usage_opens_on_the_current_month(october: World) -> None:
    url = reverse("consumption:sim-usage", args=[october.lr_line.pk])
    page = client_for(october.lr).get(url).content.decode()
    assert "dal 01/12/2026 al 31/12/2026" in page and 'rel="next"' not in page


def test_the_all_sims_page_opens_on_the_last_month_with_usage(october: World) -> None:
    client = client_for(october.lr)
    page = client.get(reverse("consumption:all-sims"), {"q": "x", "sort": "-data"})
    text = page.content.decode()
    assert "Dal 01/10/2026 al 31/10/2026." in text
    # The arrows keep the search and the order; the exports cover the month shown.
    assert 'rel="prev" href="?q=x&amp;sort=-data&amp;month=2026-09"' in text
    assert "month=2026-10&amp;formato=csv" in text


def test_another_companys_usage_does_not_choose_the_month(world: World) -> None:
    moment = datetime(2026, 11, 3, 10, 0, tzinfo=ZoneInfo("Europe/Rome")).isoformat()
    usage_import_csv(io.StringIO(HEADER + f"o1,{world.outsider_line.number},{moment},sms,0,1,0\n"))
    sims = world.lr_line.__class__.objects.filter(contract__company=world.company)
    assert last_usage_month(sims=sims, until=TODAY) is None
    assert last_usage_month(sims=world.outsider_line, until=TODAY) == date(2026, 11, 1)
    assert last_usage_month(sims=world.outsider_line, until=date(2026, 10, 31)) is None
    outsiders = sims.model.objects.filter(contract__company=world.outsider_company)
    assert last_usage_month(sims=outsiders, until=TODAY) == date(2026, 11, 1)


def test_month_navigation_of_a_custom_range() -> None:
    from django.http import QueryDict

    query = QueryDict("since=2026-08-20&until=2026-09-10&q=a&page=3")
    navigation = month_navigation(query, date(2026, 8, 20), date(2026, 9, 10), TODAY)
    assert navigation.previous.query == "q=a&month=2026-07"
    assert navigation.following is not None and navigation.following.query == "q=a&month=2026-10"


def test_allowances_are_progress_bars_of_the_month(october: World) -> None:
    plan = Plan.objects.create(name="Aziendale 1 GB", voice_minutes=100, sms=None, data_mb=1024)
    LinePlan.objects.create(line=october.user_line, plan=plan)
    page = client_for(october.user).get(sim_url(october)).content.decode()
    assert '<progress class="allowance col-6 col-md-4" value="20" max="100"' in page
    assert "20 di 100 minuti (20%)" in page
    # Over the allowance: the bar is full, the text says by how much.
    assert '<progress class="allowance col-6 col-md-4" value="1024" max="1024"' in page
    assert "2,00 GB di 1 GB (200%)" in page and "oltre il piano" in page
    assert page.count("<progress") == 2  # unlimited SMS: no bar
    assert "style=" not in page  # the strict CSP allows no inline style
    custom = client_for(october.user).get(
        sim_url(october), {"since": "2026-10-01", "until": "2026-10-15"}
    )
    assert "<progress" not in custom.content.decode()  # allowances are monthly


FIRST = date(2026, 8, 25)
LAST = date(2026, 12, 31)


@pytest.fixture
def daily(world: World) -> World:
    days = (LAST - FIRST).days + 1
    UsageDaily.objects.bulk_create(
        UsageDaily(
            line=world.user_line,
            day=FIRST + timedelta(days=n),
            kind=kind,
            roaming=roaming,
            quantity=(n * 7 + len(kind)) % 97 + 1,
            cost=Decimal("0.25"),
            records=1,
        )
        for n in range(days)
        for kind in ("VOICE", "SMS", "DATA")
        for roaming in (False, True)
    )
    refresh_monthly({(world.user_line.pk, date(2026, month, 1)) for month in (8, 9, 10, 11, 12)})
    return world


def test_the_grouping_follows_the_length_of_the_period() -> None:
    assert grouping_for(date(2026, 10, 1), date(2026, 10, 31)) == Grouping.DAY
    assert grouping_for(date(2026, 10, 1), date(2026, 11, 1)) == Grouping.WEEK
    assert grouping_for(date(2026, 9, 1), date(2026, 11, 30)) == Grouping.WEEK
    assert grouping_for(date(2026, 9, 1), date(2026, 12, 1)) == Grouping.WEEK  # 92 days
    assert grouping_for(date(2026, 9, 1), date(2026, 12, 2)) == Grouping.MONTH
    assert grouping_for(date(2025, 11, 1), date(2026, 10, 31)) == Grouping.MONTH


@pytest.mark.parametrize(
    ("start", "end", "grouping", "buckets"),
    [
        (date(2026, 9, 1), date(2026, 9, 30), Grouping.DAY, 30),
        (date(2026, 9, 3), date(2026, 10, 20), Grouping.WEEK, 8),
        (date(2026, 9, 1), date(2026, 11, 30), Grouping.MONTH, 3),  # the monthly aggregates
        (FIRST, LAST, Grouping.MONTH, 5),  # partial months: the daily ones, truncated
    ],
)
def test_grouped_rows_add_up_to_the_daily_aggregates(
    daily: World, start: date, end: date, grouping: Grouping, buckets: int
) -> None:
    rows = usage_by_day(line=daily.user_line, start=start, end=end, grouping=grouping)
    assert len(rows) == buckets
    in_period = UsageDaily.objects.filter(line=daily.user_line, day__range=(start, end))
    for kind in ("VOICE", "SMS", "DATA"):
        expected = in_period.filter(kind=kind).aggregate(q=Sum("quantity"))["q"]
        assert sum(row[kind] for row in rows) == expected
    if grouping == Grouping.WEEK:
        assert all(row["day"].weekday() == 0 for row in rows)  # weeks start on Monday
    if grouping == Grouping.MONTH:
        assert all(row["day"].day == 1 for row in rows)


def test_a_long_period_shows_months_and_says_so(
    daily: World,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    client = client_for(daily.user)
    with django_assert_max_num_queries(12) as month_queries:
        client.get(sim_url(daily), {"month": "2026-10"})
    with django_assert_max_num_queries(len(month_queries)):
        response = client.get(sim_url(daily), {"since": "2026-08-25", "until": "2026-12-31"})
    page = response.content.decode()
    assert "Mese per mese" in page and "raggruppati per mese" in page
    totals = 3  # the rows of the totals' table
    assert page.count('<tr><th scope="row">') == totals + 5
    assert "agosto 2026" in page and "dicembre 2026" in page
    weeks = client.get(sim_url(daily), {"since": "2026-09-03", "until": "2026-10-20"})
    text = weeks.content.decode()
    assert "Settimana per settimana" in text and "03/09–06/09" in text
    days = client.get(sim_url(daily), {"month": "2026-09"}).content.decode()
    assert "Giorno per giorno" in days and days.count('<tr><th scope="row">') == totals + 30


def test_month_names_follow_the_language() -> None:
    from django.utils import translation

    from consumption.periods import month_name

    with translation.override("it"):
        assert month_name(date(2026, 10, 1)) == "ottobre 2026"  # Italian writes it lower case
    with translation.override("en"):
        assert month_name(date(2026, 10, 1)) == "October 2026"
