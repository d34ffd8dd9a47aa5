"""`make bench`: the performance bars of spec/product.md that the built sections have, at
scale, on PostgreSQL. Prints each figure beside its bar; exits 1 if a bar is missed.

Data (made once, kept in its own database): a company with 5,000 SIMs, 36 invoices of 5,000
rows each, and a year of daily usage aggregates (5.5 million rows); for the home, a plan
and a credit on every SIM and the usage of the month under way.

`python bench/run.py home` measures the home alone (after building the data);
`python bench/run.py import [rows]` the usage import alone, without and with thresholds on
every SIM (it builds no year of usage).
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
import warnings
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import Contract
    from billing.models import Invoice

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "area_clienti.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/area_clienti_bench")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
# The bench's own in-process requests need no access log; the served app keeps it.
os.environ.setdefault("ACCESS_LOG_LEVEL", "WARNING")

warnings.filterwarnings("ignore", "No directory at")  # no collectstatic for a bench

SIMS = 5000
INVOICES = 36
ROWS = 5000


class BenchFailed(Exception):
    """What stops the bench, said in one line (exit 1) rather than a traceback."""


def ensure_database() -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        raise BenchFailed(
            f"PostgreSQL refuses {admin} ({_first_line(error)}); `make bench` starts a local"
            " one and lets its role in (scripts/system-packages.sh bench)"
        ) from error


def ensure_tools() -> None:
    """The programs the served figures need, checked before minutes of building data."""
    import shutil

    missing = [tool for tool in ("wrk", "curl") if shutil.which(tool) is None]
    if missing:
        raise BenchFailed(
            f"{' and '.join(missing)} not installed: `make bench` installs them as root, or"
            f" run as root: apt-get install -y {' '.join(missing)}"
        )


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def bench_invoice(
    *,
    contract: Contract,
    number: str,
    period: tuple[date, date],
    charges: list[tuple[Decimal, Decimal | None]],
) -> Invoice:
    """An invoice of `contract` for `period` with the totals and VAT summary of these
    (amount, VAT rate) charges, as the import makes them; the caller adds its rows."""
    from billing.calculations import invoice_totals
    from billing.models import Invoice, InvoiceVat

    totals = invoice_totals(charges)
    start, end = period
    invoice = Invoice.objects.create(
        company_id=contract.company_id,
        contract=contract,
        number=number,
        issue_date=start + timedelta(days=35),
        period_start=start,
        period_end=end,
        due_date=start + timedelta(days=55),
        taxable=totals.taxable,
        vat=totals.vat,
        out_of_scope=totals.out_of_scope,
        total=totals.total,
        payment_method="BANK_TRANSFER",
    )
    InvoiceVat.objects.bulk_create(
        InvoiceVat(invoice=invoice, rate=v.rate, taxable=v.taxable, vat=v.vat)
        for v in totals.vat_lines
    )
    return invoice


def build_data() -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from accounts.models import Company, Contract, Line, User
    from accounts.roles import Profile
    from billing.models import InvoiceItem

    if Company.objects.filter(customer_code="BENCH0001").exists():
        return
    print(f"Building the scale data ({SIMS} SIMs, {INVOICES} invoices of {ROWS} rows)…", flush=True)
    with transaction.atomic():
        company = Company.objects.create(
            name="Benchmark S.p.A.",
            vat_number="01234560017",
            tax_code="01234560017",
            customer_code="BENCH0001",
            legal_street="Via Roma 1",
            legal_postal_code="00100",
            legal_city="Roma",
            legal_province="RM",
            contact_email="bench@example.it",
            legal_rep_first_name="Bruno",
            legal_rep_last_name="Bench",
            legal_rep_tax_code="BNCBRN70A01H501E",
        )
        User.objects.create(
            username="bench-lr",
            password=make_password("bench"),
            company=company,
            profile=Profile.LR,
            first_name="Bruno",
            last_name="Bench",
        )
        contract = Contract.objects.create(
            company=company, number="BENCH-MB", kind="MOBILE", started_on=date(2020, 1, 1)
        )
        Line.objects.bulk_create(
            Line(contract=contract, number=f"+39399{n:07d}", activated_on=date(2020, 1, 1))
            for n in range(SIMS)
        )
        lines = list(Line.objects.filter(contract=contract).order_by("number"))
        start = date(2023, 1, 1)
        for month in range(INVOICES):
            period_start = date(
                start.year + (start.month - 1 + month) // 12, (start.month - 1 + month) % 12 + 1, 1
            )
            items = [
                InvoiceItem(
                    line=lines[row % SIMS],
                    category="FEE",
                    service="Canone Business 100 GB",
                    amount=Decimal("15.00"),
                    vat_rate=Decimal("22"),
                )
                for row in range(ROWS)
            ]
            invoice = bench_invoice(
                contract=contract,
                number=f"BENCH-{month:03d}",
                period=(period_start, period_start + timedelta(days=27)),
                charges=[(item.amount, item.vat_rate) for item in items],
            )
            for item in items:
                item.invoice = invoice
            InvoiceItem.objects.bulk_create(items, batch_size=5000)
        # A one-page invoice for the small-PDF figure.
        small = bench_invoice(
            contract=contract,
            number="BENCH-SMALL",
            period=(date(2025, 12, 1), date(2025, 12, 31)),
            charges=[(Decimal("15.00"), Decimal("22"))] * 10,
        )
        InvoiceItem.objects.bulk_create(
            InvoiceItem(
                invoice=small,
                line=lines[n],
                category="FEE",
                service="Canone",
                amount=Decimal("15.00"),
                vat_rate=Decimal("22"),
            )
            for n in range(10)
        )


def build_usage() -> None:
    """A year of daily aggregates for the 5,000 SIMs (5.5 million rows) and their monthly
    ones, made in SQL (statistics come with the VACUUM ANALYZE that follows)."""
    from django.db import connection

    from consumption.models import UsageDaily

    if UsageDaily.objects.filter(line__contract__number="BENCH-MB").exists():
        return
    print("Building a year of usage aggregates for 5,000 SIMs…", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO consumption_usagedaily
                (line_id, day, kind, roaming, quantity, cost, records)
            SELECT l.id, d::date, k.kind, false,
                   CASE k.kind
                       WHEN 'VOICE' THEN (l.id * 37 + extract(doy FROM d)::int * 11) % 3600
                       WHEN 'SMS' THEN (l.id + extract(doy FROM d)::int) % 5
                       ELSE ((l.id * 13 + extract(doy FROM d)::int * 7) % 500) * 1024
                   END,
                   0, 3
            FROM accounts_line l
            JOIN accounts_contract c ON c.id = l.contract_id AND c.number = 'BENCH-MB'
            CROSS JOIN generate_series(date '2025-11-01', date '2026-10-31', interval '1 day') d
            CROSS JOIN (VALUES ('VOICE'), ('SMS'), ('DATA')) AS k(kind)
            """
        )
        cursor.execute(
            """
            INSERT INTO consumption_usagemonthly
                (line_id, month, kind, roaming, quantity, cost, records)
            SELECT line_id, date_trunc('month', day)::date, kind, roaming,
                   sum(quantity), sum(cost), sum(records)
            FROM consumption_usagedaily GROUP BY 1, 2, 3, 4
            """
        )


def build_home_data() -> None:
    """What the home reads for the month under way: a plan on every SIM, a remaining credit,
    and the month's usage so far (daily and monthly aggregates, 1% of the SIMs roaming).
    Made once a month: the other figures read fixed months and do not see it."""
    from django.db import connection
    from django.utils import timezone

    from consumption.models import UsageMonthly

    month = timezone.localdate().replace(day=1)
    if UsageMonthly.objects.filter(line__contract__number="BENCH-MB", month=month).exists():
        return
    print("Building this month's usage, plans and credit for the home…", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO consumption_plan (name, voice_minutes, sms, data_mb)
            VALUES ('Bench Business 100 GB', 2000, 500, 102400) ON CONFLICT (name) DO NOTHING
            """
        )
        cursor.execute(
            """
            INSERT INTO consumption_lineplan (line_id, plan_id)
            SELECT l.id, p.id FROM accounts_line l
            JOIN accounts_contract c ON c.id = l.contract_id AND c.number = 'BENCH-MB'
            JOIN consumption_plan p ON p.name = 'Bench Business 100 GB'
            ON CONFLICT (line_id) DO NOTHING
            """
        )
        cursor.execute(
            """
            INSERT INTO consumption_simcredit (line_id, balance, updated_at)
            SELECT l.id, (l.id % 50) + 0.5, now() FROM accounts_line l
            JOIN accounts_contract c ON c.id = l.contract_id AND c.number = 'BENCH-MB'
            ON CONFLICT (line_id) DO NOTHING
            """
        )
        cursor.execute(
            """
            INSERT INTO consumption_usagedaily
                (line_id, day, kind, roaming, quantity, cost, records)
            SELECT l.id, d::date, k.kind, l.id %% 100 = 0,
                   CASE k.kind
                       WHEN 'VOICE' THEN (l.id * 37 + extract(doy FROM d)::int * 11) %% 3600
                       WHEN 'SMS' THEN (l.id + extract(doy FROM d)::int) %% 5
                       ELSE ((l.id * 13 + extract(doy FROM d)::int * 7) %% 5000) * 1024
                   END,
                   0, 3
            FROM accounts_line l
            JOIN accounts_contract c ON c.id = l.contract_id AND c.number = 'BENCH-MB'
            CROSS JOIN generate_series(%s::date, %s::date, interval '1 day') d
            CROSS JOIN (VALUES ('VOICE'), ('SMS'), ('DATA')) AS k(kind)
            ON CONFLICT DO NOTHING
            """,
            [month, timezone.localdate()],
        )
        cursor.execute(
            """
            INSERT INTO consumption_usagemonthly
                (line_id, month, kind, roaming, quantity, cost, records)
            SELECT line_id, date_trunc('month', day)::date, kind, roaming,
                   sum(quantity), sum(cost), sum(records)
            FROM consumption_usagedaily WHERE day >= %s GROUP BY 1, 2, 3, 4
            ON CONFLICT DO NOTHING
            """,
            [month],
        )


def build_cost_centres() -> None:
    """20 cost centres of 250 SIMs each, with a history row per SIM and the invoice rows'
    snapshot, for the roll-up page (made in SQL, once)."""
    from django.db import connection

    from accounts.models import Company, CostCentre

    company = Company.objects.get(customer_code="BENCH0001")
    if CostCentre.objects.filter(company=company).exists():
        return
    print("Building 20 cost centres of the 5,000 SIMs…", flush=True)
    centres = CostCentre.objects.bulk_create(
        CostCentre(company=company, code=f"CC{n:02d}", name=f"Centro {n}") for n in range(20)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH numbered AS (
                SELECT l.id, row_number() OVER (ORDER BY l.number) AS n
                FROM accounts_line l
                JOIN accounts_contract c ON c.id = l.contract_id AND c.number = 'BENCH-MB'
            )
            UPDATE accounts_line l SET cost_centre_id = (%s::bigint[])[numbered.n %% 20 + 1]
            FROM numbered WHERE l.id = numbered.id
            """,
            [[centre.pk for centre in centres]],
        )
        cursor.execute(
            """
            INSERT INTO accounts_linecostcentrechange (line_id, cost_centre_id, since)
            SELECT l.id, l.cost_centre_id, timestamptz '2023-01-01 00:00+01'
            FROM accounts_line l
            JOIN accounts_contract c ON c.id = l.contract_id AND c.number = 'BENCH-MB'
            """
        )
        cursor.execute(
            """
            UPDATE billing_invoiceitem i SET cost_centre_id = l.cost_centre_id
            FROM accounts_line l
            JOIN accounts_contract c ON c.id = l.contract_id AND c.number = 'BENCH-MB'
            WHERE i.line_id = l.id
            """
        )


def _usage_csv(rows: int, crossing: bool = False) -> IO[str]:
    """A usage CSV of `rows` records on the bench SIMs (days of 2020), in a temporary file.
    `crossing`: one SIM in ten has its first record in roaming at 60 € (the thresholds
    bench's 50 € of roaming crosses there, so a tenth of the SIMs alert and notify)."""
    import tempfile

    from accounts.models import Line

    numbers = list(
        Line.objects.filter(contract__number="BENCH-MB").values_list("number", flat=True)
    )
    csv_file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115 - the caller closes it
    csv_file.write("record_id,number,started_at,kind,roaming,quantity,cost\n")
    kinds = ("DATA", "VOICE", "SMS")
    for n in range(rows):
        day = 1 + (n // len(numbers)) % 28
        roaming, cost = (
            ("1", "60.00") if crossing and n < len(numbers) and n % 10 == 0 else ("0", "0")
        )
        csv_file.write(
            f"bench-import-{n},{numbers[n % len(numbers)]},2020-02-{day:02d}T10:00:00+01:00,"
            f"{kinds[n % 3]},{roaming},{n % 9000},{cost}\n"
        )
    csv_file.seek(0)
    return csv_file


def time_bare_copy(rows: int = 1_000_000, runs: int = 3) -> float:
    """Seconds for PostgreSQL to COPY the same CSV into an unindexed table, the median of
    `runs`: the import's bar is a multiple of it, measured in the same run (this machine's
    speed varies; one COPY of a second varies by a tenth). A table like the import's, whose
    rows go through the write-ahead log (a temporary table's do not: a tenth faster), made
    and rolled back with each COPY."""
    from django.db import connection, transaction

    timings = []
    with _usage_csv(rows) as csv_file:
        for _ in range(runs):
            csv_file.seek(0)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "CREATE TABLE bench_bare_copy (record_id text, number text, started_at "
                    "timestamptz, kind text, roaming text, quantity bigint, cost numeric)"
                )
                started = time.perf_counter()
                copy_sql = "COPY bench_bare_copy FROM STDIN WITH (FORMAT csv, HEADER)"
                with cursor.copy(copy_sql) as copy:
                    while chunk := csv_file.read(1 << 20):
                        copy.write(chunk)
                timings.append(time.perf_counter() - started)
                transaction.set_rollback(True)
    return statistics.median(timings)


# The spec's bar: the import takes at most this many times a bare COPY of its file.
IMPORT_TIMES_BARE_COPY = 10


def time_import(rows: int = 1_000_000, crossing: bool = False) -> float:
    """Seconds to import a CSV of `rows` records (on days of 2020, removed afterwards);
    `crossing`: see _usage_csv."""
    from django.db import connection

    from consumption.services import usage_import_csv

    with _usage_csv(rows, crossing) as csv_file:
        started = time.perf_counter()
        report = usage_import_csv(csv_file)
        seconds = time.perf_counter() - started
    assert report.loaded == rows, report.errors[:3]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM consumption_usagerecord WHERE record_id LIKE 'bench-import-%%'")
        cursor.execute("DELETE FROM consumption_usagedaily WHERE day < '2021-01-01'")
        cursor.execute("DELETE FROM consumption_usagemonthly WHERE month < '2021-01-01'")
        # This server runs without autovacuum: the next import would meet a million dead
        # records under the same record_ids (about three times as slow after a few runs).
        cursor.execute(
            "VACUUM consumption_usagerecord, consumption_usagedaily, consumption_usagemonthly"
        )
    return seconds


def import_figures(rows: int) -> list[tuple[str, float, float, str]]:
    """The import without and with thresholds, each against 10 times a bare COPY of the
    same file, measured just before."""
    bar = IMPORT_TIMES_BARE_COPY * time_bare_copy(rows)
    return [
        (
            f"import of a {rows:,}-row usage CSV: s (bar: {IMPORT_TIMES_BARE_COPY} × bare COPY)",
            time_import(rows),
            bar,
            "s",
        ),
        (
            f"import of a {rows:,}-row usage CSV, thresholds on all 5,000 SIMs: s",
            time_import_with_thresholds(rows),
            bar,
            "s",
        ),
    ]


def time_import_with_thresholds(rows: int = 1_000_000) -> float:
    """time_import with three thresholds on every one of the 5,000 SIMs (data at 80% of the
    plan, 50 € of roaming, 100 € of extra spend; the LR warned) and, when the full bench
    built cost centres, two on each centre (500 € of roaming, 10,000 € of extra spend):
    each batch evaluates them for the (SIM, month) pairs it touched. The file crosses the
    roaming ones of a tenth of the SIMs: their 500 alerts, notifications and e-mail task
    are part of the time. Made before the file's months (2020), so they read them; the
    centres' history starts in 2023, so in 2020 the SIMs were in none and the centres'
    thresholds cost their evaluation only. Removed afterwards."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO consumption_threshold (company_id, line_id, metric, "limit", created_at)
            SELECT c.company_id, l.id, m.metric, m.amount, timestamptz '2020-01-01 00:00+01'
            FROM accounts_line l
            JOIN accounts_contract c ON c.id = l.contract_id AND c.number = 'BENCH-MB'
            CROSS JOIN (VALUES ('DATA_PERCENT', 80), ('ROAMING_SPEND', 50), ('EXTRA_SPEND', 100))
                AS m(metric, amount)
            ON CONFLICT DO NOTHING
            """
        )
        cursor.execute(
            """
            INSERT INTO consumption_threshold
                (company_id, cost_centre_id, metric, "limit", created_at)
            SELECT cc.company_id, cc.id, m.metric, m.amount, timestamptz '2020-01-01 00:00+01'
            FROM accounts_costcentre cc
            JOIN accounts_company co ON co.id = cc.company_id AND co.customer_code = 'BENCH0001'
            CROSS JOIN (VALUES ('ROAMING_SPEND', 500), ('EXTRA_SPEND', 10000))
                AS m(metric, amount)
            ON CONFLICT DO NOTHING
            """
        )
        cursor.execute(
            """
            INSERT INTO consumption_threshold_recipients (threshold_id, user_id)
            SELECT t.id, u.id FROM consumption_threshold t
            JOIN accounts_user u ON u.username = 'bench-lr' AND u.company_id = t.company_id
            ON CONFLICT DO NOTHING
            """
        )
    try:
        return time_import(rows, crossing=True)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM accounts_notification WHERE kind = 'threshold' AND recipient_id IN "
                "(SELECT id FROM accounts_user WHERE username = 'bench-lr')"
            )
            # The bench company's thresholds are all this function's.
            for table, column in [
                ("consumption_thresholdalert", "threshold_id"),
                ("consumption_threshold_recipients", "threshold_id"),
                ("consumption_threshold", "id"),
            ]:
                cursor.execute(
                    f"DELETE FROM {table} WHERE {column} IN (SELECT t.id FROM "  # noqa: S608 - no input
                    "consumption_threshold t JOIN accounts_user u ON u.username = 'bench-lr' "
                    "AND u.company_id = t.company_id)"
                )


def import_alone(rows: int) -> int:
    """`python bench/run.py import [rows]`: the usage import alone, without and with
    thresholds, on the company's 5,000 SIMs with their plans (no year of usage to build)."""
    return report(import_figures(rows))


def time_page(client, path: str, runs: int = 30) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)  # warm up
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(timings), sorted(timings)[int(runs * 0.95) - 1], len(queries)


def main() -> int:
    if not sys.argv[1:]:  # the whole bench: its served figures need wrk
        ensure_tools()
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    build_data()
    if sys.argv[1:2] == ["import"]:  # `python bench/run.py import [rows]`: the import alone
        build_home_data()  # the plans the data thresholds read
        return import_alone(int(sys.argv[2]) if sys.argv[2:] else 1_000_000)
    build_usage()
    build_home_data()
    build_cost_centres()
    from django.db import connection

    with connection.cursor() as cursor:
        # Statistics and visibility maps after the bulk loads, as autovacuum keeps them on a
        # live database (index-only scans and the planner's estimates depend on them).
        cursor.execute("VACUUM ANALYZE")

    from accounts.models import Line, User
    from billing.models import Invoice
    from billing.pdf import invoice_pdf

    client = Client()
    client.force_login(User.objects.get(username="bench-lr"))
    client.get("/")  # the session as a browser has it, after its first page
    figures: list[tuple[str, float, float, str]] = []

    if sys.argv[1:] != ["costs"]:
        median, p95, queries = time_page(client, "/")
        figures.append(
            (f"home, every card (5,000 SIMs): median ms (p95 {p95:.0f} ms, {queries} queries)",
             median, 150, "ms")
        )  # fmt: skip
        if sys.argv[1:] == ["home"]:  # `python bench/run.py home`: this figure alone
            return report(figures)

    # The last month with an invoice: a 5,000-row invoice and 5,000 SIMs' usage.
    rollup = "/costi/centri/riepilogo/"
    median, p95, queries = time_page(client, rollup)
    figures.append(
        (f"cost centres' roll-up (20 centres, 5,000 SIMs): median ms (p95 {p95:.0f} ms, "
         f"{queries} queries)", median, 150, "ms")
    )  # fmt: skip
    if sys.argv[1:] == ["costs"]:  # `python bench/run.py costs`: this figure alone
        return report(figures)

    for label, path in [
        ("invoice list", "/fatture/"),
        ("invoice list, filtered and sorted", "/fatture/?status=OPEN&sort=-total"),
        ("invoice detail (5,000 rows)", f"/fatture/{Invoice.objects.get(number='BENCH-000').pk}/"),
    ]:
        median, p95, queries = time_page(client, path)
        figures.append(
            (f"{label}: median ms (p95 {p95:.0f} ms, {queries} queries)", median, 150, "ms")
        )

    sim = Line.objects.filter(contract__number="BENCH-MB").order_by("number").first()
    assert sim is not None
    for label, path in [
        ("all SIMs, a month (5,000 SIMs)", "/consumi/tutte-le-sim/?month=2026-10"),
        ("all SIMs, sorted by data", "/consumi/tutte-le-sim/?month=2026-10&sort=-data"),
        ("a SIM's usage, a month", f"/consumi/sim/{sim.pk}/?month=2026-10"),
        ("a SIM's usage, a year", f"/consumi/sim/{sim.pk}/?since=2025-11-01&until=2026-10-31"),
    ]:
        median, p95, queries = time_page(client, path)
        figures.append(
            (f"{label}: median ms (p95 {p95:.0f} ms, {queries} queries)", median, 150, "ms")
        )

    figures.extend(import_figures(1_000_000))

    small = Invoice.objects.get(number="BENCH-SMALL")
    invoice_pdf(small)  # fonts and templates loaded once, as in a running worker
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        invoice_pdf(small)
        runs.append(time.perf_counter() - started)
    figures.append(("one-page invoice PDF: median s", statistics.median(runs), 0.5, "s"))

    for label, path in [
        ("line list, 50 a page (5,000 lines)", "/linee/"),
        ("line list, searched", "/linee/?q=33500&kind=MOBILE"),
    ]:
        median, p95, queries = time_page(client, path)
        figures.append(
            (f"{label}: median ms (p95 {p95:.0f} ms, {queries} queries)", median, 150, "ms")
        )

    from bench.pdf import pdf_figures

    figures.extend(pdf_figures())

    from bench.throughput import throughput_figures

    figures.extend(throughput_figures(client.cookies["sessionid"].value))

    from load.run import run_load

    load = run_load()
    figures.append(("50 people for 2 minutes (make load): errors", load.failures, 0, ""))
    figures.append(("50 people for 2 minutes (make load): p95 ms", load.p95, 300, "ms"))

    return report(figures)


def report(figures: list[tuple[str, float, float, str]]) -> int:
    """Prints each figure beside its bar; 1 if a bar is missed."""
    failed = 0
    print(f"\n{'figure':<72} {'value':>9} {'bar':>8}  result")
    for label, value, bar, unit in figures:
        ok = value >= bar if unit == ">=" else value <= bar
        failed += not ok
        print(f"{label:<72} {value:>9.3f} {bar:>6.4g} {unit:<2} {'ok' if ok else 'MISSED'}")
    print(f"\nself peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
    return 1 if failed else 0


def run() -> int:
    """main(), with any failure (no database, a missing program, a page not 200, a
    figure's own check) said in one line and exit 1."""
    try:
        return main()
    except BenchFailed as error:
        print(f"bench: {error}", file=sys.stderr)
    except Exception as error:  # every failure ends the same way: one line, exit 1
        print(f"bench failed: {type(error).__name__}: {_first_line(error)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(run())
