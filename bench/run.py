"""`make bench`: the performance bars of spec/product.md that the built sections have, at
scale, on PostgreSQL. Prints each figure beside its bar; exits 1 if a bar is missed.

Data (made once, kept in its own database): a company with 5,000 SIMs and 36 invoices of
5,000 rows each.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
import warnings
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "area_clienti.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/area_clienti_bench")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

warnings.filterwarnings("ignore", "No directory at")  # no collectstatic for a bench

SIMS = 5000
INVOICES = 36
ROWS = 5000


def ensure_database() -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def build_data() -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from accounts.models import Company, Contract, Line, User
    from accounts.roles import Profile
    from billing.calculations import invoice_totals
    from billing.models import Invoice, InvoiceItem, InvoiceVat

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
            totals = invoice_totals((item.amount, item.vat_rate) for item in items)
            invoice = Invoice.objects.create(
                company=company,
                contract=contract,
                number=f"BENCH-{month:03d}",
                issue_date=period_start + timedelta(days=35),
                period_start=period_start,
                period_end=period_start + timedelta(days=27),
                due_date=period_start + timedelta(days=55),
                taxable=totals.taxable,
                vat=totals.vat,
                out_of_scope=totals.out_of_scope,
                total=totals.total,
                payment_method="BANK_TRANSFER",
            )
            for item in items:
                item.invoice = invoice
            InvoiceItem.objects.bulk_create(items, batch_size=5000)
            InvoiceVat.objects.bulk_create(
                InvoiceVat(invoice=invoice, rate=v.rate, taxable=v.taxable, vat=v.vat)
                for v in totals.vat_lines
            )
        # A one-page invoice for the small-PDF figure.
        small = Invoice.objects.create(
            company=company,
            contract=contract,
            number="BENCH-SMALL",
            issue_date=date(2026, 1, 5),
            period_start=date(2025, 12, 1),
            period_end=date(2025, 12, 31),
            due_date=date(2026, 1, 25),
            taxable=Decimal("150.00"),
            vat=Decimal("33.00"),
            total=Decimal("183.00"),
            payment_method="BANK_TRANSFER",
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
        InvoiceVat.objects.create(
            invoice=small, rate=22, taxable=Decimal("150.00"), vat=Decimal("33.00")
        )


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


def big_pdf_in_a_child(number: str) -> tuple[float, float]:
    """Seconds and peak MB of rendering one invoice's PDF in a fresh process (a worker)."""
    code = "\n".join(
        [
            "import django, time, resource",
            "django.setup()",
            "from billing.models import Invoice",
            "from billing.pdf import invoice_pdf",
            f"invoice = Invoice.objects.get(number={number!r})",
            "started = time.perf_counter()",
            "invoice_pdf(invoice)",
            "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024",
            "print(time.perf_counter() - started, peak)",
        ]
    )
    output = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return float(output[0]), float(output[1])


def main() -> int:
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    build_data()

    from accounts.models import User
    from billing.models import Invoice
    from billing.pdf import invoice_pdf

    client = Client()
    client.force_login(User.objects.get(username="bench-lr"))
    figures: list[tuple[str, float, float, str]] = []

    for label, path in [
        ("invoice list", "/fatture/"),
        ("invoice list, filtered and sorted", "/fatture/?status=OPEN&sort=-total"),
        ("invoice detail (5,000 rows)", f"/fatture/{Invoice.objects.get(number='BENCH-000').pk}/"),
    ]:
        median, p95, queries = time_page(client, path)
        figures.append(
            (f"{label}: median ms (p95 {p95:.0f} ms, {queries} queries)", median, 150, "ms")
        )

    small = Invoice.objects.get(number="BENCH-SMALL")
    invoice_pdf(small)  # fonts and templates loaded once, as in a running worker
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        invoice_pdf(small)
        runs.append(time.perf_counter() - started)
    figures.append(("one-page invoice PDF: median s", statistics.median(runs), 0.5, "s"))

    seconds, peak_mb = big_pdf_in_a_child("BENCH-000")
    figures.append(("5,000-row invoice PDF (background worker): s", seconds, 15, "s"))
    figures.append(("5,000-row invoice PDF: peak memory MB", peak_mb, 600, "MB"))

    failed = 0
    print(f"\n{'figure':<72} {'value':>9} {'bar':>8}  result")
    for label, value, bar, unit in figures:
        ok = value <= bar
        failed += not ok
        print(f"{label:<72} {value:>9.3f} {bar:>6} {unit:<2} {'ok' if ok else 'MISSED'}")
    print(f"\nself peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
