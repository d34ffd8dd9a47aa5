"""The large invoice PDF figures of `make bench` (billing/pdf.py renders past
CHUNKED_FROM_ROWS rows in chunks, in parallel processes, joined with pypdf):

- the 5,000-row invoice BENCH-000: the chunked job's seconds and peak memory against half of
  WeasyPrint rendering the same invoice's HTML in one call, both measured in this run, each
  in a fresh process as a worker would;
- a 50,000-row invoice (BENCH-50K, ten rows for each of the 5,000 SIMs of BENCH-MB, made
  once in the bench database): seconds against 60 and peak memory against 500 MB.

Peak memory is the proportional memory (PSS) of the whole process tree (the job's process
and the children it forks), sampled, summed over the processes (the labels give the resident
memory too). The children are forks of the job's process: the resident memory of each counts
again the pages it still shares with its parent (Django, WeasyPrint, fonts), PSS counts a
shared page once, split between its sharers: what the job takes from the machine.

`python bench/pdf.py` measures them alone against DATABASE_URL (a copy of the bench
database made by `make bench`).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "area_clienti.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")

LARGE = "BENCH-50K"
# Ten charges a SIM a month: (service, amount, VAT rate; None is out of the scope of VAT).
# The long one is wider than its column: the detail cuts it on one line.
CHARGES: list[tuple[str, Decimal, Decimal | None]] = [
    ("Canone Business 100 GB", Decimal("15.00"), Decimal("22")),
    ("Traffico dati nazionale", Decimal("2.35"), Decimal("22")),
    ("Chiamate verso fissi nazionali", Decimal("0.84"), Decimal("22")),
    ("Chiamate verso mobili nazionali", Decimal("1.27"), Decimal("22")),
    ("SMS nazionali", Decimal("0.30"), Decimal("22")),
    ("Traffico dati in roaming UE", Decimal("0.95"), Decimal("22")),
    ("Chiamate internazionali verso Svizzera e Regno Unito", Decimal("3.10"), Decimal("22")),
    ("Opzione Ufficio Mobile con centralino virtuale e numero unico aziendale",
     Decimal("4.00"), Decimal("22")),
    ("Servizi a sovrapprezzo e contenuti digitali", Decimal("1.50"), Decimal("22")),
    ("Tassa di concessione governativa", Decimal("12.91"), None),
]  # fmt: skip

CATEGORIES = ["FEE", *["TRAFFIC"] * 8, "TAX"]

ONE_CALL = """
import django, sys, time
django.setup()
from billing import pdf
from billing.models import Invoice
pdf.CHUNKED_FROM_ROWS = sys.maxsize  # WeasyPrint over the invoice's whole HTML, in one call
invoice = Invoice.objects.get(number=sys.argv[1])
started = time.perf_counter()
pdf.invoice_pdf(invoice)
print(time.perf_counter() - started)
"""

CHUNKED = """
import django, sys, time
django.setup()
from billing.models import Invoice
from billing.pdf import invoice_pdf
invoice = Invoice.objects.get(number=sys.argv[1])
started = time.perf_counter()
invoice_pdf(invoice)
print(time.perf_counter() - started)
"""


def build_large() -> None:
    """BENCH-50K, once: ten rows for each SIM of BENCH-MB, totals as the import makes them."""
    from django.db import transaction

    from accounts.models import Contract, Line
    from bench.run import bench_invoice
    from billing.models import Invoice, InvoiceItem

    if Invoice.objects.filter(number=LARGE).exists():
        return
    print(f"Building {LARGE}…", flush=True)
    contract = Contract.objects.get(number="BENCH-MB")
    lines = list(Line.objects.filter(contract=contract).order_by("number").values_list("pk"))
    with transaction.atomic():
        invoice = bench_invoice(
            contract=contract,
            number=LARGE,
            period=(date(2026, 11, 1), date(2026, 11, 30)),
            charges=[(amount, rate) for _line in lines for _service, amount, rate in CHARGES],
        )
        for first in range(0, len(lines), 500):
            InvoiceItem.objects.bulk_create(
                InvoiceItem(
                    invoice=invoice,
                    line_id=line_id,
                    category=category,
                    service=service,
                    amount=amount,
                    vat_rate=rate,
                )
                for (line_id,) in lines[first : first + 500]
                for category, (service, amount, rate) in zip(CATEGORIES, CHARGES, strict=True)
            )


def run_sampled(code: str, number: str) -> tuple[float, float, float]:
    """Seconds (as the child measured them), peak MB of the child's process tree as the sum
    of its resident memory, and as the sum of its proportional memory (PSS: the libraries
    every process maps counted once; what the machine actually gives the job)."""
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code, number], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    tree = psutil.Process(child.pid)
    peak_rss = peak_pss = 0
    while child.poll() is None:
        rss = pss = 0
        for process in [tree, *tree.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):  # ended meanwhile
                memory = process.memory_full_info()
                rss, pss = rss + memory.rss, pss + memory.pss
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.02)
    output, _ = child.communicate()
    if child.returncode:
        raise RuntimeError(f"rendering {number} failed ({child.returncode})")
    return float(output.split()[-1]), peak_rss / 2**20, peak_pss / 2**20


def pdf_figures() -> list[tuple[str, float, float, str]]:
    """After django.setup(), against the bench database."""
    from django.conf import settings

    build_large()
    processes = f"{settings.PDF_PROCESSES} processes, load {os.getloadavg()[0]:.1f}"
    # In the order one call, chunks, chunks, one call, each figure the mean of its two runs:
    # neither way starts with cold caches alone, and a machine slowing down through the runs
    # weighs on both alike.
    runs = [run_sampled(code, "BENCH-000") for code in (ONE_CALL, CHUNKED, CHUNKED, ONE_CALL)]
    one_s, one_mb, one_pss = (sum(pair) / 2 for pair in zip(runs[0], runs[3], strict=True))
    ours_s, ours_mb, ours_pss = (sum(pair) / 2 for pair in zip(runs[1], runs[2], strict=True))
    large_s, large_mb, large_pss = run_sampled(CHUNKED, LARGE)
    return [
        (f"5,000-row invoice PDF in chunks ({processes}): s, bar half of one call's "
         f"{one_s:.1f} s", ours_s, one_s / 2, "s"),
        (f"5,000-row invoice PDF in chunks: peak PSS MB of the job (RSS {ours_mb:.0f} MB), bar "
         f"half of one call's {one_pss:.0f} MB (RSS {one_mb:.0f} MB)", ours_pss, one_pss / 2, "MB"),
        ("50,000-row invoice PDF in chunks: s", large_s, 60, "s"),
        (f"50,000-row invoice PDF in chunks: peak PSS MB of the job (RSS {large_mb:.0f} MB)",
         large_pss, 500, "MB"),
    ]  # fmt: skip


def main() -> int:
    if "DATABASE_URL" not in os.environ:
        print("DATABASE_URL: a copy of the bench database (make bench builds it)")
        return 2
    import django

    django.setup()
    failed = 0
    for label, value, bar, unit in pdf_figures():
        ok = value <= bar
        failed += not ok
        print(f"{label:<100} {value:>9.1f} {bar:>7.1f} {unit:<2} {'ok' if ok else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
