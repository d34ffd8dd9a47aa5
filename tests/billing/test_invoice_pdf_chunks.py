"""A large invoice's PDF rendered in chunks and joined (billing/pdf.py), shrunk to a hundred
rows and pages of 10: every row once, "Pagina X di Y" continuous, summary first; and one chunk
at the real page sizes."""

from __future__ import annotations

import contextlib
import os
import re
import zipfile
from datetime import timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import psutil
import pytest
from django.db.models import F
from django.utils import timezone
from pypdf import PageObject, PdfReader

from billing import pdf, tasks
from billing.archives import archive_build
from billing.models import Invoice, InvoiceArchive, InvoiceDocument, InvoiceItem
from tests.conftest import World

LONG_SERVICE = "Opzione dal nome molto lungo " + "W" * 90  # past its column: one line, cut


def as_printed(service: str) -> str:
    """A 22% service as its row prints it: cut with an ellipsis where it passes its column."""
    charge = f"22% · {service}"
    if len(charge) <= pdf.CHARGE_CHARS:
        return service
    return charge[: pdf.CHARGE_CHARS - 1].removeprefix("22% · ") + "…"


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "CHUNKED_FROM_ROWS", 10)
    monkeypatch.setattr(pdf, "ROWS_PER_PAGE", 10)
    monkeypatch.setattr(pdf, "FIRST_PAGE_ROWS", 8)
    monkeypatch.setattr(pdf, "PAGES_PER_CHUNK", 3)


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A folder where each child process that starts leaves a file named by its pid."""
    start_child, marks = pdf._start_child, tmp_path / "children"
    marks.mkdir()

    def marking_start(parent: int) -> None:
        start_child(parent)
        (marks / str(os.getpid())).touch()

    monkeypatch.setattr(pdf, "_start_child", marking_start)
    return marks


def assert_one_child_ran(marks: Path) -> None:
    children = [int(path.name) for path in marks.iterdir()]
    assert len(children) == 1 and children != [os.getpid()]  # one child, beside this process


def add_rows(world: World) -> list[str]:
    """20 rows on each of five lines and 6 of the contract: 107 with the factory's."""
    lines = [world.lr_line, world.full_line, world.light_line, world.user_line, world.spare_line]
    items = [
        InvoiceItem(
            invoice=world.invoice,
            line=line,
            category="TRAFFIC",
            service=LONG_SERVICE if (n, i) == (1, 7) else f"Traffico {n}-{i:02d}",
            amount=Decimal("1.25"),
            vat_rate=Decimal("22"),
        )
        for n, line in enumerate(lines)
        for i in range(20)
    ]
    items += [
        InvoiceItem(
            invoice=world.invoice, category="TAX", service=f"Tassa {i:02d}", amount=Decimal(5)
        )
        for i in range(6)
    ]
    InvoiceItem.objects.bulk_create(items)
    return [item.service for item in InvoiceItem.objects.filter(invoice=world.invoice)]


def runs_by_line(page: PageObject) -> dict[float, list[str]]:
    """The page's text runs, drawn one after the other, by the height they sit at."""
    runs: dict[float, list[str]] = {}

    def visit(text: str, cm: Any, tm: list[float], font: Any, size: Any) -> None:
        if text.strip():
            runs.setdefault(round(tm[5]), []).append(text.strip())

    page.extract_text(visitor_text=visit)
    return runs


def assert_whole(content: bytes, services: list[str], *, invoice_number: str) -> None:
    reader = PdfReader(BytesIO(content))
    assert reader.metadata and reader.metadata.title == f"Fattura {invoice_number}"
    assert str(reader.root_object["/Lang"]) == "it"
    pages = [page.extract_text() for page in reader.pages]
    total = len(pages)
    assert total == 1 + 11  # the summary, then 8 + 10 × 10 rows ≥ 107
    for number, text in enumerate(pages, start=1):
        assert f"Pagina {number} di {total}" in text
    assert "Riepilogo IVA" in pages[0] and "Traffico" not in pages[0]
    assert "Dettaglio per linea" in pages[1]
    detail = "\n".join(pages[1:])
    for service in services:
        assert len(re.findall(rf"{re.escape(as_printed(service))}(?!\d)", detail)) == 1, service
    # Each page's first row names the line it belongs to, continued or not.
    for text in pages[1:]:
        lines = text.splitlines()
        heading = next(
            n for n, line in enumerate(lines) if "Importo" in line and "Servizio" in line
        )
        first_row = lines[heading + 1]
        assert re.search(r"\+39333\d{7}|Contratto", first_row), first_row
    assert_rate_beside_long_service(reader)


def assert_rate_beside_long_service(reader: PdfReader) -> None:
    """A long service is cut with an ellipsis at its end, on its one row: its VAT rate comes
    before it, never in the part cut, and its amount after it, in the amounts' column."""
    rows = ["".join(row) for page in reader.pages for row in runs_by_line(page).values()]
    (long_row,) = [row for row in rows if "Opzione dal nome molto lungo" in row]
    assert long_row.startswith("22% · Opzione dal nome molto lungo"), long_row
    assert re.search(r"W… +1,25\s€$", long_row), long_row


def test_chunks_joined_have_every_row_once(world: World, settings, small_chunks) -> None:  # type: ignore[no-untyped-def]
    settings.PDF_PROCESSES = 1
    services = add_rows(world)
    assert_whole(pdf.invoice_pdf(world.invoice), services, invoice_number=world.invoice.number)


@pytest.mark.django_db(transaction=True)
def test_the_worker_renders_chunks_in_processes(  # type: ignore[no-untyped-def]
    world: World, settings, small_chunks, children: Path
) -> None:
    settings.PDF_PROCESSES = 2
    services = add_rows(world)
    document = InvoiceDocument.objects.create(
        invoice=world.invoice, revision=world.invoice.revision
    )
    tasks.make_invoice_document.call(document.pk)
    document.refresh_from_db()
    assert document.status == InvoiceDocument.Status.READY
    assert_whole(document.file.read(), services, invoice_number=world.invoice.number)
    assert_one_child_ran(children)


def test_an_invoice_changed_while_rendered_is_not_stored(  # type: ignore[no-untyped-def]
    world: World, settings, small_chunks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import replaces the items after the summary is laid out: the chunks would show the
    new ones under the old totals."""
    settings.PDF_PROCESSES = 1
    add_rows(world)
    document = InvoiceDocument.objects.create(
        invoice=world.invoice, revision=world.invoice.revision
    )
    render_chunk = pdf.render_chunk

    def import_first(chunk: pdf.Chunk) -> None:
        if chunk.opens_detail:  # as billing.services does on an import
            world.invoice.items.filter(category="TAX").delete()
            Invoice.objects.filter(pk=world.invoice.pk).update(revision=F("revision") + 1)
        render_chunk(chunk)

    monkeypatch.setattr(pdf, "render_chunk", import_first)
    with pytest.raises(pdf.InvoiceChanged):
        pdf.invoice_pdf(world.invoice)
    tasks.make_invoice_document.call(document.pk)  # the document of the old revision
    document.refresh_from_db()
    assert document.status == InvoiceDocument.Status.PENDING and not document.file


@pytest.mark.django_db(transaction=True)
def test_an_archive_renders_a_large_invoice_in_processes(  # type: ignore[no-untyped-def]
    world: World, settings, small_chunks, children: Path
) -> None:
    """The archive reads its invoices through a cursor the PDF's processes must leave open."""
    settings.PDF_PROCESSES = 2
    services = add_rows(world)
    archive = InvoiceArchive.objects.create(
        company=world.company,
        requested_by=world.lr,
        period_start=world.invoice.issue_date,
        period_end=world.invoice.issue_date,
        expires_at=timezone.now() + timedelta(days=7),
    )
    archive_build(archive.pk)
    archive.refresh_from_db()
    assert archive.status == InvoiceArchive.Status.READY
    with zipfile.ZipFile(archive.file.open("rb")) as bundle:
        (name,) = [name for name in bundle.namelist() if name.endswith(".pdf")]
        assert_whole(bundle.read(name), services, invoice_number=world.invoice.number)
    assert_one_child_ran(children)


def test_a_chunk_fills_its_pages_at_the_real_sizes(world: World, tmp_path: Path) -> None:
    """Two full detail pages, the first with its heading, a long service name and names
    with line breaks and tabs from the feed among the rows: render_chunk lays them out to
    exactly two pages (it raises otherwise), each row on one line."""
    rows = pdf.FIRST_PAGE_ROWS + pdf.ROWS_PER_PAGE
    world.invoice.items.all().delete()
    InvoiceItem.objects.bulk_create(
        InvoiceItem(
            invoice=world.invoice,
            line=world.lr_line,
            category="TRAFFIC",
            service=(
                LONG_SERVICE
                if i == rows - 1
                else f"Traffico {i:03d}\r\n\n\tsu più\u2028righe"
                if i < 10
                else f"Traffico {i:03d}"
            ),
            amount=Decimal("1.25"),
            vat_rate=Decimal("22"),
        )
        for i in range(rows)
    )
    chunk = pdf.Chunk(
        invoice_id=world.invoice.pk,
        language="it",
        start=0,
        sizes=(pdf.FIRST_PAGE_ROWS, pdf.ROWS_PER_PAGE),
        opens_detail=True,
        first_number=2,
        total_pages=3,
        path=str(tmp_path / "chunk.pdf"),
    )
    pdf.render_chunk(chunk)
    reader = PdfReader(chunk.path)
    assert [page.extract_text().count("Traffico") for page in reader.pages] == [
        pdf.FIRST_PAGE_ROWS,
        pdf.ROWS_PER_PAGE - 1,
    ]
    assert "Pagina 3 di 3" in reader.pages[1].extract_text()
    assert "22% · Traffico 003 su più righe" in reader.pages[0].extract_text()
    assert_rate_beside_long_service(reader)


@pytest.mark.django_db(transaction=True)
def test_a_failed_chunk_ends_the_job_and_its_processes(  # type: ignore[no-untyped-def]
    world: World, settings, small_chunks, children: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of more rows than a page holds: every chunk fails its layout, in the child and
    in this process; the job raises it and leaves no process behind."""
    settings.PDF_PROCESSES = 2
    add_rows(world)
    monkeypatch.setattr(pdf, "ROWS_PER_PAGE", 90)
    monkeypatch.setattr(pdf, "FIRST_PAGE_ROWS", 88)
    monkeypatch.setattr(pdf, "PAGES_PER_CHUNK", 1)
    with pytest.raises(pdf.ChunkLayoutError):
        pdf.invoice_pdf(world.invoice)
    assert_one_child_ran(children)
    (child,) = [int(path.name) for path in children.iterdir()]
    with contextlib.suppress(psutil.NoSuchProcess):  # ended and reaped already
        psutil.Process(child).wait(timeout=5)  # ending: killed, or told to stop
