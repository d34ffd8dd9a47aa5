"""Usage from the billing system: streamed, idempotent, bad rows reported, aggregates true.
Every test runs on both load paths: COPY + SQL (PostgreSQL) and the ORM (`make run`'s SQLite)."""

import io
import tracemalloc
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumption import services
from consumption.models import UsageDaily, UsageMonthly, UsageRecord
from consumption.services import usage_import_csv
from tests.concurrency import twice_while_locked
from tests.conftest import World

HEADER = "record_id,number,started_at,kind,roaming,quantity,cost\n"
ROME = ZoneInfo("Europe/Rome")


@pytest.fixture(autouse=True, params=["copy", "orm"])
def load_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The ORM path is forced on PostgreSQL by taking it off the COPY databases."""
    if request.param == "copy" and connection.vendor not in services.COPY_VENDORS:
        pytest.skip("the COPY path needs PostgreSQL")
    if request.param == "orm":
        monkeypatch.setattr(services, "COPY_VENDORS", frozenset())
    return str(request.param)


def csv_of(rows: list[str]) -> io.StringIO:
    return io.StringIO(HEADER + "".join(row + "\n" for row in rows))


def test_a_file_loaded_twice_counts_once(world: World) -> None:
    rows = [
        f"r1,{world.user_line.number},2026-10-05T08:30:00+02:00,voice,0,120,0.00",
        f"r2,{world.user_line.number},2026-10-05T09:00:00+02:00,data,0,2048,0.00",
        f"r3,{world.user_line.number},2026-10-05T23:30:00+02:00,sms,1,1,0.30",
    ]
    first = usage_import_csv(csv_of(rows))
    second = usage_import_csv(csv_of(rows))
    assert (first.read, first.loaded, first.refused) == (3, 3, 0)
    assert (second.read, second.loaded, second.refused) == (3, 0, 0)
    assert UsageRecord.objects.count() == 3
    daily = {(d.kind, d.roaming): (d.quantity, d.cost) for d in UsageDaily.objects.all()}
    assert daily == {
        ("VOICE", False): (120, Decimal("0.0000")),
        ("DATA", False): (2048, Decimal("0.0000")),
        ("SMS", True): (1, Decimal("0.3000")),
    }


def test_days_are_italian_days(world: World) -> None:
    # 23:30 UTC on 5 October is 01:30 on 6 October in Rome.
    usage_import_csv(
        csv_of([f"r1,{world.user_line.number},2026-10-05T23:30:00+00:00,voice,0,60,0"])
    )
    assert UsageDaily.objects.get().day.isoformat() == "2026-10-06"


def test_bad_rows_are_reported_with_their_line_and_good_ones_loaded(world: World) -> None:
    number = world.user_line.number
    rows = [
        f"ok1,{number},2026-10-05T08:30:00+02:00,voice,0,60,0",
        "bad1,+390000000000,2026-10-05T08:30:00+02:00,voice,0,60,0",
        f"bad2,{number},ieri,voice,0,60,0",
        f"bad3,{number},2026-10-05T08:30:00+02:00,fax,0,60,0",
        f"bad4,{number},2026-10-05T08:30:00+02:00,voice,forse,60,0",
        f"bad5,{number},2026-10-05T08:30:00+02:00,voice,0,-5,0",
        f"bad6,{number},2026-10-05T08:30:00+02:00,voice,0,dieci,0",
        f",{number},2026-10-05T08:30:00+02:00,voice,0,60,0",
        f"ok2,{number},2026-10-05T08:31:00+02:00,sms,0,1,0",
    ]
    report = usage_import_csv(csv_of(rows))
    assert (report.loaded, report.refused) == (2, 7)
    assert [error.split(":")[0] for error in report.errors] == [f"line {n}" for n in range(3, 10)]
    assert "no such line" in report.errors[0] and "ISO 8601" in report.errors[1]


def test_missing_columns_are_refused_at_once(db: None) -> None:
    report = usage_import_csv(io.StringIO("record_id,number\nx,y\n"))
    assert report.refused == 1 and "missing columns" in report.errors[0]


def rows_for(number: str, count: int) -> Iterator[str]:
    start = datetime(2026, 9, 1, tzinfo=ROME)
    for n in range(count):
        moment = (start + timedelta(minutes=7 * n)).isoformat()
        yield f"s{n},{number},{moment},data,0,{n % 5000},0.0010"


# Streaming is the reader's and the batching's, which both paths share: measured on the
# COPY path only, as under tracemalloc the ORM path takes 5 s instead of 1.
@pytest.mark.parametrize("load_path", ["copy"], indirect=True)
def test_the_import_streams(world: World) -> None:
    class Lines(io.TextIOBase):
        """A file of `count` rows that is never whole in memory."""

        def __init__(self, count: int) -> None:
            self.rows = iter([HEADER.rstrip("\n"), *rows_for(world.user_line.number, count)])

        def readable(self) -> bool:
            return True

        def __iter__(self) -> "Lines":
            return self

        def __next__(self) -> str:
            return next(self.rows) + "\n"

    tracemalloc.start()
    report = usage_import_csv(Lines(20_000))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert report.loaded == 20_000
    assert peak < 60 * 1024 * 1024  # a few batches, not the file


def test_the_command_prints_a_summary(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "consumi.csv"
    path.write_text(
        HEADER
        + "".join(r + "\n" for r in rows_for(world.user_line.number, 10))
        + "x,y,z,voice,0,1,0\n"
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("import_usage", str(path), stdout=out, stderr=err)
    assert "11 read, 10 new, 0 already loaded, 1 refused" in out.getvalue()
    assert "line 12" in err.getvalue()


records = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=60 * 24 * 20),  # minutes after the start
        st.sampled_from(["voice", "sms", "data"]),
        st.booleans(),
        st.integers(min_value=0, max_value=10**7),
        st.decimals(min_value=0, max_value=100, places=4),
    ),
    min_size=1,
    max_size=60,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=records, second=records)
def test_aggregates_equal_the_raw_records(first, second, world: World) -> None:  # type: ignore[no-untyped-def]
    UsageRecord.objects.all().delete()
    UsageDaily.objects.all().delete()
    UsageMonthly.objects.all().delete()
    # Across the end of summer time and the end of a month.
    start = datetime(2026, 10, 20, 22, 0, tzinfo=ROME)
    lines = [world.user_line, world.lr_line]

    def rows(batch, prefix):  # type: ignore[no-untyped-def]
        return [
            ",".join(
                [
                    f"{prefix}{n}",
                    lines[n % 2].number,
                    (start + timedelta(minutes=m)).isoformat(),
                    k,
                    str(int(r)),
                    str(q),
                    str(c),
                ]
            )
            for n, (m, k, r, q, c) in enumerate(batch)
        ]

    usage_import_csv(csv_of(rows(first, "a")))
    usage_import_csv(csv_of(rows(second, "b") + rows(first, "a")))  # overlapping reload
    raw = UsageRecord.objects.aggregate(q=Sum("quantity"), c=Sum("cost"))
    daily = UsageDaily.objects.aggregate(q=Sum("quantity"), c=Sum("cost"), n=Sum("records"))
    assert (daily["q"], daily["c"], daily["n"]) == (raw["q"], raw["c"], UsageRecord.objects.count())
    for line in lines:
        for kind in ("VOICE", "SMS", "DATA"):
            raw_line = UsageRecord.objects.filter(line=line, kind=kind).aggregate(q=Sum("quantity"))
            daily_line = UsageDaily.objects.filter(line=line, kind=kind).aggregate(
                q=Sum("quantity")
            )
            assert raw_line["q"] == daily_line["q"]
    assert_months_agree_with_days()


def assert_months_agree_with_days() -> None:
    by_month = (
        UsageDaily.objects.annotate(month=TruncMonth("day"))
        .values("line_id", "month", "kind", "roaming")
        .annotate(q=Sum("quantity"), c=Sum("cost"), n=Sum("records"))
        .order_by()
    )
    expected = {
        (r["line_id"], r["month"], r["kind"], r["roaming"]): (r["q"], r["c"], r["n"])
        for r in by_month
    }
    months = {
        (m.line_id, m.month, m.kind, m.roaming): (m.quantity, m.cost, m.records)
        for m in UsageMonthly.objects.all()
    }
    assert months == expected


def test_a_reload_across_midnight_keeps_days_and_months(world: World) -> None:
    number = world.user_line.number
    rows = [
        f"p1,{number},2026-10-05T08:30:00+02:00,voice,0,120,0",
        f"p2,{number},2026-10-05T23:30:00+00:00,data,1,2048,1.5",
    ]
    assert usage_import_csv(csv_of(rows)).loaded == 2
    assert usage_import_csv(csv_of(rows)).loaded == 0
    days = sorted((d.day.isoformat(), d.kind, d.quantity) for d in UsageDaily.objects.all())
    assert days == [("2026-10-05", "VOICE", 120), ("2026-10-06", "DATA", 2048)]
    assert_months_agree_with_days()


def test_any_form_of_a_row_reads_as_the_plain_one_across_batches(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The COPY path sends plain lines as they are and reads the others with csv: batches
    # of two records mix both, and the line numbers count the lines a quoted field spans.
    monkeypatch.setattr(services, "BATCH", 2)
    number = world.user_line.number
    text = HEADER + "".join(
        row + "\n"
        for row in [
            f"a1,{number},2026-10-05T08:30:00+02:00,voice,0,60,0.5",  # line 2, plain
            f'"a2",{number},2026-10-05T08:31:00+02:00,VOICE,1,60,0.5000',
            f"a3,{number},2026-10-05 08:32:00,Voice, si ,60,",  # Rome's time, no offset
            "",  # line 5: no row
            f'"a4\nx",{number},2026-10-05T06:33:00Z,sms,0,1,0',  # lines 6-7
            f"bad1,{number},2026-02-30T08:00:00+01:00,sms,0,1,0",  # line 8
            f"a5,{number},2024-02-29T08:00:00+01:00,data,false,1024,1",
            f"bad2,{number},2026-10-05T08:34:00+02:00,voice,0,-1,0",  # line 10
            f"a6,{number},2026-10-05T08:35:00.123+02:00,data,1,1,12345678.1234",
        ]
    )
    report = usage_import_csv(io.StringIO(text))
    assert (report.read, report.loaded, report.refused) == (8, 6, 2)
    assert [error.split(":")[0] for error in report.errors] == ["line 8", "line 10"]
    records = {r.record_id: r for r in UsageRecord.objects.all()}
    assert sorted(records) == ["a1", "a2", "a3", "a4\nx", "a5", "a6"]
    assert (records["a2"].kind, records["a2"].roaming, records["a2"].cost) == (
        "VOICE",
        True,
        Decimal("0.5"),
    )
    assert records["a3"].started_at == datetime(2026, 10, 5, 8, 32, tzinfo=ROME)
    assert (records["a3"].roaming, records["a3"].cost) == (True, Decimal("0"))
    assert records["a6"].started_at.microsecond == 123000
    assert records["a6"].cost == Decimal("12345678.1234")
    voice = UsageDaily.objects.get(kind="VOICE", roaming=False)
    assert (voice.quantity, voice.records, voice.cost) == (60, 1, Decimal("0.5"))
    assert_months_agree_with_days()


@pytest.mark.django_db(transaction=True)
def test_the_same_file_imported_twice_at_once_loads_once(load_path: str) -> None:
    """Two imports of the same records (a retry while the first still runs) queue on the
    usage lock: one stores them, the other finds them there. Without the lock the second
    would fail on the records' key."""

    from tests.conftest import build_world

    if load_path == "orm":
        pytest.skip("imports at once run on the COPY path (SQLite has one writer)")
    world = build_world()
    rows = [
        f"same-{n},{world.user_line.number},2026-10-05T08:{n:02d}:00+02:00,voice,0,60,0.10"
        for n in range(20)
    ]
    usage_import_csv(
        csv_of([f"seed,{world.user_line.number},2026-10-01T08:00:00+02:00,voice,0,1,0"])
    )
    # The month's aggregate is held meanwhile, so both imports are under way before either
    # can finish (without the usage lock, both would have inserted the records by then).
    answers = twice_while_locked(
        lambda: usage_import_csv(csv_of(rows)), UsageMonthly.objects.filter(line=world.user_line)
    )
    assert all(isinstance(answer, services.ImportReport) for answer in answers), answers
    assert sorted(answer.loaded for answer in answers) == [0, 20]  # type: ignore[union-attr]
    assert UsageRecord.objects.count() == 21
    assert UsageMonthly.objects.get().quantity == 1 + 20 * 60


def test_a_nul_in_a_record_id_refuses_that_row_only(world: World) -> None:
    number = world.user_line.number
    report = usage_import_csv(
        csv_of(
            [
                f"ok1,{number},2026-10-05T08:30:00+02:00,voice,0,60,0",
                f"bad\x00,{number},2026-10-05T08:31:00+02:00,voice,0,60,0",
            ]
        )
    )
    assert (report.loaded, report.refused) == (1, 1)
    assert "line 3" in report.errors[0]
