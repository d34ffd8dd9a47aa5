"""Loading usage from the billing system, and keeping the daily aggregates true."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Company, Line
from consumption.models import UsageDaily, UsageKind, UsageMonthly, UsageRecord
from consumption.selectors import first_of_next_month
from consumption.thresholds import thresholds_evaluate, thresholds_evaluate_staged

# Records a transaction loads: each batch touches a month's aggregate of a line once, so
# larger batches mean fewer updates of the same rows (50,000: 6% faster than 20,000).
BATCH = 50_000
# The same for a CSV on PostgreSQL, whose batch is streamed to the staging table and never
# held in memory: a day's or a line's aggregate that two batches share is updated (a new
# row version and index entry) where one batch inserts it once; on the bench's million
# records, batches of 250,000 cost 1.8 times the CPU of one batch.
COPY_BATCH = 1_000_000
MAX_REPORTED_ERRORS = 1000
COLUMNS = ("record_id", "number", "started_at", "kind", "roaming", "quantity", "cost")
TRUE, FALSE = {"1", "true", "si", "sì", "yes", "y"}, {"0", "false", "no", "n", ""}
BOOLEANS = TRUE | FALSE
KINDS = frozenset(UsageKind.values)  # the enum's `values` is rebuilt on every access


class UsageRowError(ValueError):
    pass


@dataclass
class ImportReport:
    read: int = 0
    loaded: int = 0  # new records (a record seen before counts once)
    errors: list[str] = field(default_factory=list)
    refused: int = 0

    def refuse(self, line_number: int, reason: str) -> None:
        self.refused += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(f"line {line_number}: {reason}")


def usage_import_csv(stream: IO[str]) -> ImportReport:
    """Load a CSV export (header: record_id,number,started_at,kind,roaming,quantity,cost),
    streaming: memory stays flat whatever the file's size. Bad rows are reported with their
    line numbers and skipped; good ones are loaded."""
    lines = iter(stream)
    reader = csv.reader(lines)
    header = next(reader, [])
    missing = set(COLUMNS) - set(header)
    if missing:
        report = ImportReport()
        report.refuse(1, f"missing columns: {', '.join(sorted(missing))}")
        return report
    if connection.vendor in COPY_VENDORS and tuple(header) == COLUMNS:
        return _import_csv_postgresql(lines, reader.line_num)
    # As csv.DictReader: the last column of a name wins, blank lines are no rows.
    return usage_import_rows(
        (reader.line_num, dict(zip(header, row, strict=False))) for row in reader if row
    )


# A CSV line in the plain form every billing export uses, in the header's order: no quotes;
# a record_id of 1-64 characters with no space at either end; a number; a time as
# YYYY-MM-DDTHH:MM:SS[.ffffff] with an offset or Z, on a day its month has (29 February
# excepted); VOICE/SMS/DATA in upper or lower case; roaming 1/0/empty or true/false/si/yes/
# y/no/n; a quantity of digits; a cost of at most 8 digits and 4 decimals, or empty. It
# takes only what _record takes too, and PostgreSQL reads its fields as _record does: such
# a line goes to COPY as it is, with its number's line id, and no Python parsing.
_DATE = (
    r"[1-9][0-9]{3}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    r"|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
)
_PLAIN_LINE = re.compile(
    r'([^,"\s\x00](?:[^,"\r\n\x00]{0,62}[^,"\s\x00])?),([^,"\s\x00]+),'
    rf"({_DATE}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{{1,6}})?"
    r"(?:Z|[-+](?:0[0-9]|1[0-4]):[0-5][0-9])),"
    r"(VOICE|SMS|DATA|voice|sms|data),(0|1|true|false|si|yes|y|no|n|),"
    r"([0-9]{1,18}),(-?[0-9]{1,8}(?:\.[0-9]{0,4})?|)\r?\n?\Z"
).match
_PLAIN_BOOLEANS = {value: "t" if value in TRUE else "f" for value in BOOLEANS if value.isascii()}


def _import_csv_postgresql(stream: Iterator[str], line_number: int) -> ImportReport:
    """usage_import_rows for a CSV whose header has the usual order, on PostgreSQL: a line
    in the plain form (_PLAIN_LINE) goes to COPY with only its number looked up; any other
    (a bad row, or a valid one in another form: quoted fields, a time without offset...)
    is read by csv and _record as usage_import_rows does, refused with its line's number
    and _record's message or staged as _record reads it."""
    report = ImportReport()
    lines = dict(Line.objects.values_list("number", "id"))
    number = line_number  # the physical line last read
    put_back: list[str] = []

    def counted() -> Iterator[str]:
        nonlocal number
        while True:
            if put_back:
                yield put_back.pop()
                continue
            text = next(stream, None)
            if text is None:
                return
            number += 1
            yield text

    source = counted()
    rows = csv.reader(source)
    exhausted = False
    while not exhausted:
        taken = staged = 0
        with transaction.atomic(), connection.cursor() as cursor:
            # The batch's sorts and groupings in memory rather than in temporary files.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute(_STAGE_TABLE_SQL)
            with cursor.copy(_COPY_PLAIN_SQL) as copy:
                chunk: list[str] = []
                for text in source:
                    plain = _PLAIN_LINE(text)
                    line_id = lines.get(plain[2]) if plain else None
                    if plain and line_id is not None:
                        record_id, _, started_at, kind, roaming, quantity, cost = plain.groups()
                        chunk.append(
                            f"{record_id},{line_id},{started_at},{kind.upper()},"
                            f"{_PLAIN_BOOLEANS[roaming]},{quantity},{cost or '0'}\n"
                        )
                    else:
                        put_back.append(text)
                        row = next(rows)  # this line, and the next ones a quoted field spans
                        if not row:
                            continue  # a blank line: no row, as for csv.DictReader
                        try:
                            record = _record(dict(zip(COLUMNS, row, strict=False)), lines)
                        except UsageRowError as error:
                            report.refuse(number, str(error))
                        else:
                            chunk.append(_csv_line(record))
                    taken += 1
                    if len(chunk) >= 1000:
                        staged += len(chunk)
                        copy.write("".join(chunk))
                        chunk = []
                    if taken >= COPY_BATCH:
                        break
                else:
                    exhausted = True
                staged += len(chunk)
                copy.write("".join(chunk))
            report.read += taken
            if staged:
                report.loaded += _load_staged(cursor)
    return report


def _csv_line(record: Parsed) -> str:
    """A record _record read, as a line of the staging COPY in CSV form: quoted where a
    field needs it, its time with its offset."""
    record_id, line_id, started_at, kind, roaming, quantity, cost = record
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow(
        (record_id, line_id, started_at.isoformat(), kind, "t" if roaming else "f", quantity, cost)
    )
    return line.getvalue()


def usage_import_rows(
    rows: Iterable[tuple[int, dict[str, str]]], *, companies: QuerySet[Company] | None = None
) -> ImportReport:
    """Load (position, record) pairs, in batches; the position names a refused row. With
    `companies`, only their lines: a record of any other is refused as of no such line."""
    report = ImportReport()
    known = (
        Line.objects.all()
        if companies is None
        else Line.objects.filter(contract__company__in=companies)
    )
    lines = dict(known.values_list("number", "id"))
    batch: list[Parsed] = []
    for position, row in rows:
        report.read += 1
        try:
            batch.append(_record(row, lines))
        except UsageRowError as error:
            report.refuse(position, str(error))
            continue
        if len(batch) >= BATCH:
            report.loaded += usage_load(batch)
            batch = []
    if batch:
        report.loaded += usage_load(batch)
    return report


# (record_id, line_id, started_at, kind, roaming, quantity, cost)
Parsed = tuple[str, int, datetime, str, bool, int, Decimal]


def _record(row: dict[str, str], lines: dict[str, int]) -> Parsed:
    record_id = (row.get("record_id") or "").strip()
    if not record_id or len(record_id) > 64 or "\x00" in record_id:
        # PostgreSQL's text cannot hold NUL: the whole batch would fail, not this row.
        raise UsageRowError("record_id: missing, longer than 64 characters or with a NUL")
    line_id = lines.get((row.get("number") or "").strip())
    if line_id is None:
        raise UsageRowError(f"number: no such line {row.get('number')!r}")
    try:
        started_at = datetime.fromisoformat((row.get("started_at") or "").strip())
    except ValueError as exc:
        raise UsageRowError(
            "started_at: expected ISO 8601, e.g. 2026-10-05T08:30:00+02:00"
        ) from exc
    if timezone.is_naive(started_at):
        started_at = timezone.make_aware(started_at)
    kind = (row.get("kind") or "").strip().upper()
    if kind not in KINDS:
        raise UsageRowError(f"kind: one of {', '.join(UsageKind.values)}")
    roaming = (row.get("roaming") or "").strip().lower()
    if roaming not in BOOLEANS:
        raise UsageRowError("roaming: 1 or 0")
    try:
        quantity = int(row.get("quantity") or "")
        cost = Decimal((row.get("cost") or "0").strip())
    except (ValueError, InvalidOperation) as exc:
        raise UsageRowError("quantity or cost: not a number") from exc
    if quantity < 0 or not cost.is_finite() or abs(cost) >= 10**8:
        raise UsageRowError("quantity or cost: out of range")
    return (
        record_id,
        line_id,
        started_at,
        kind,
        roaming in TRUE,
        quantity,
        cost.quantize(Decimal("0.0001")),
    )


# The databases that load through COPY and one SQL statement; any other (`make run`'s
# SQLite) takes the ORM path. The tests empty it to run the ORM path on PostgreSQL too.
COPY_VENDORS = frozenset({"postgresql"})


@transaction.atomic
def usage_load(records: list[Parsed]) -> int:
    """Store new records (ones already there are skipped) and bring the daily aggregates
    of the (line, day) pairs they touch back in line with the raw records, then evaluate
    the thresholds on those lines' months (consumption.thresholds). Returns how many were
    new."""
    if connection.vendor in COPY_VENDORS:
        return _load_postgresql(records)
    return _load_orm(records)


def _load_orm(records: list[Parsed]) -> int:
    """The portable path: the same outcome as _load_postgresql's, with the ORM."""
    ids = [record[0] for record in records]
    before = set(UsageRecord.objects.filter(record_id__in=ids).values_list("record_id", flat=True))
    fresh = {record[0]: record for record in records if record[0] not in before}
    UsageRecord.objects.bulk_create(
        (UsageRecord(**dict(zip(FIELDS, record, strict=True))) for record in fresh.values()),
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    days = {(record[1], local_day(record[2])) for record in fresh.values()}
    refresh_daily(days)
    refresh_monthly({(line_id, day.replace(day=1)) for line_id, day in days})
    # Every record of the batch, as the COPY path does: a threshold added since the first
    # load is evaluated by a re-import too.
    thresholds_evaluate({(record[1], local_day(record[2]).replace(day=1)) for record in records})
    return len(fresh)


FIELDS = ("record_id", "line_id", "started_at", "kind", "roaming", "quantity", "cost")

# One import batch at a time stores raw records (the key of a transaction-level advisory
# lock, taken before _LOAD_SQL and held to the batch's commit). Then the records not seen
# before are exactly those the table lacks when the statement starts, and a plain INSERT
# of them is exact: ON CONFLICT DO NOTHING's speculative insertion cost three times a
# plain insert a record. The aggregates keep ON CONFLICT DO UPDATE, as fast here as an
# UPDATE then an INSERT, and exact whoever else writes them.
USAGE_LOAD_LOCK = 0x75736167  # "usag"

# One statement: insert the records not seen before (once each, whatever a batch repeats),
# and add exactly those to the daily and monthly aggregates. Each table is written in its
# key's order, so that its index is walked once rather than at random; the records sorted
# by their bytes ("C"): the primary key's order on a database collated C or C.UTF-8 (as
# here), close to it on others, and a million records sorted in two thirds of the time a
# language's collation takes.
_LOAD_SQL = """
WITH fresh AS (
    INSERT INTO consumption_usagerecord
        (record_id, line_id, started_at, kind, roaming, quantity, cost)
    SELECT DISTINCT ON (s.record_id COLLATE "C")
        s.record_id, s.line_id, s.started_at, s.kind, s.roaming, s.quantity, s.cost
    FROM usage_stage s
    -- OFFSET 0 keeps this a probe of the primary key per staged record: as a join, the
    -- planner would read the whole table (or its index), whose size grows without end.
    WHERE NOT EXISTS (
        SELECT FROM consumption_usagerecord r WHERE r.record_id = s.record_id OFFSET 0
    )
    ORDER BY s.record_id COLLATE "C"
    RETURNING line_id, started_at, kind, roaming, quantity, cost
), per_day AS (
    SELECT line_id, (started_at AT TIME ZONE %(tz)s)::date AS day, kind, roaming,
           sum(quantity) AS quantity, sum(cost) AS cost, count(*) AS records
    FROM fresh GROUP BY 1, 2, 3, 4
), added_days AS (
    INSERT INTO consumption_usagedaily AS daily
        (line_id, day, kind, roaming, quantity, cost, records)
    SELECT * FROM per_day ORDER BY 1, 2, 3, 4
    ON CONFLICT (line_id, day, kind, roaming) DO UPDATE
    SET quantity = daily.quantity + EXCLUDED.quantity,
        cost = daily.cost + EXCLUDED.cost,
        records = daily.records + EXCLUDED.records
), added_months AS (
    INSERT INTO consumption_usagemonthly AS monthly
        (line_id, month, kind, roaming, quantity, cost, records)
    SELECT line_id, date_trunc('month', day)::date, kind, roaming,
           sum(quantity), sum(cost), sum(records)
    FROM per_day GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (line_id, month, kind, roaming) DO UPDATE
    SET quantity = monthly.quantity + EXCLUDED.quantity,
        cost = monthly.cost + EXCLUDED.cost,
        records = monthly.records + EXCLUDED.records
)
SELECT count(*) FROM fresh
"""


_STAGE_TABLE_SQL = (
    "CREATE TEMP TABLE IF NOT EXISTS usage_stage (record_id varchar(64), "
    "line_id bigint, started_at timestamptz, kind varchar(5), roaming boolean, "
    "quantity bigint, cost numeric(12, 4)) ON COMMIT DELETE ROWS"
)

_COPY_SQL = f"COPY usage_stage ({', '.join(FIELDS)}) FROM STDIN"
_COPY_PLAIN_SQL = f"{_COPY_SQL} WITH (FORMAT csv)"


def _load_postgresql(records: list[Parsed]) -> int:
    """COPY into a staging table, then one set-based statement: the fast path that keeps
    a million-row file well under a minute."""
    with connection.cursor() as cursor:
        cursor.execute(_STAGE_TABLE_SQL)
        with cursor.copy(_COPY_SQL) as copy:
            for record in records:
                copy.write_row(record)
        return _load_staged(cursor)


def _load_staged(cursor: Any) -> int:
    """_LOAD_SQL on the staged records, then the thresholds they touch; returns how many
    records were new."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [USAGE_LOAD_LOCK])
    cursor.execute(_LOAD_SQL, {"tz": settings.TIME_ZONE})
    fresh: int = cursor.fetchone()[0]
    # A statement of its own: it reads the aggregates _LOAD_SQL has just updated.
    thresholds_evaluate_staged()
    return fresh


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def refresh_daily(keys: Iterable[tuple[int, date]]) -> None:
    """Recompute the aggregates of these (line, day) pairs from the raw records."""
    by_day: dict[date, set[int]] = {}
    for line_id, day in keys:
        by_day.setdefault(day, set()).add(line_id)
    for chunk in _chunks(sorted(by_day.items()), 31):
        raw_filter, daily_filter = Q(), Q()
        for day, line_ids in chunk:
            start, end = _day_bounds(day)
            raw_filter |= Q(line_id__in=line_ids, started_at__gte=start, started_at__lt=end)
            daily_filter |= Q(line_id__in=line_ids, day=day)
        UsageDaily.objects.filter(daily_filter).delete()
        rows = (
            UsageRecord.objects.filter(raw_filter)
            .annotate(day=TruncDate("started_at", tzinfo=timezone.get_current_timezone()))
            .values("line_id", "day", "kind", "roaming")
            .annotate(total=Sum("quantity"), spent=Sum("cost"), count=Count("record_id"))
            .order_by()
        )
        _store_aggregates(UsageDaily, rows)


def refresh_monthly(keys: Iterable[tuple[int, date]]) -> None:
    """Recompute the aggregates of these (line, first day of a month) pairs from the daily
    ones."""
    by_month: dict[date, set[int]] = {}
    for line_id, month in keys:
        by_month.setdefault(month, set()).add(line_id)
    for month, line_ids in sorted(by_month.items()):
        UsageMonthly.objects.filter(line_id__in=line_ids, month=month).delete()
        days = UsageDaily.objects.filter(
            line_id__in=line_ids, day__gte=month, day__lt=first_of_next_month(month)
        )
        rows = (
            days.values("line_id", "kind", "roaming")
            .annotate(total=Sum("quantity"), spent=Sum("cost"), count=Sum("records"))
            .order_by()
        )
        _store_aggregates(UsageMonthly, rows, month=month)


Aggregate = TypeVar("Aggregate", UsageDaily, UsageMonthly)

# The sums of a grouped query of usage, by the aggregate field each fills.
_SUMS = {"total": "quantity", "spent": "cost", "count": "records"}


def _store_aggregates(
    model: type[Aggregate], rows: Iterable[Mapping[str, object]], **common: Any
) -> None:
    """Store grouped rows (their group keys, and the sums `total`, `spent`, `count`) as
    `model`'s aggregates; `common` holds what every row shares."""
    model.objects.bulk_create(
        (
            model(**common, **{_SUMS.get(key, key): value for key, value in row.items()})
            for row in rows
        ),
        batch_size=BATCH,
    )


def _chunks(items: list[tuple[date, set[int]]], size: int) -> Iterator[list[tuple[date, set[int]]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
