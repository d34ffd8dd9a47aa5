"""A large invoice's PDF rendered in chunks and joined (billing/pdf.py), shrunk to a hundred
rows and pages of 10: every row once, "Pagina X di Y" continuous, summary first."""

from __future__ import annotations

import os
import re
import zipfile
from datetime import timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from django.utils import timezone
from pypdf import PdfReader

from billing import pdf, tasks
from billing.archives import archive_build
from billing.models import InvoiceArchive, InvoiceDocument, InvoiceItem
from tests.conftest import World

LONG_SERVICE = "Opzione dal nome molto lungo " + "W" * 90  # past its column: one line, cut


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "CHUNKED_FROM_ROWS", 10)
    monkeypatch.setattr(pdf, "ROWS_PER_PAGE", 10)
    monkeypatch.setattr(pdf, "FIRST_PAGE_ROWS", 8)
    monkeypatch.setattr(pdf, "PAGES_PER_CHUNK", 3)


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


def assert_whole(content: bytes, services: list[str]) -> None:
    pages = [page.extract_text() for page in PdfReader(BytesIO(content)).pages]
    total = len(pages)
    assert total == 1 + 11  # the summary, then 8 + 10 × 10 rows ≥ 107
    for number, text in enumerate(pages, start=1):
        assert f"Pagina {number} di {total}" in text
    assert "Riepilogo IVA" in pages[0] and "Traffico" not in pages[0]
    assert "Dettaglio per linea" in pages[1]
    detail = "\n".join(pages[1:])
    for service in services:
        if service == LONG_SERVICE:
            assert detail.count("Opzione dal nome molto lungo") == 1
        else:
            assert len(re.findall(rf"{service} \(", detail)) == 1, service
    # Each page names the line its first row belongs to, continued or not.
    for text in pages[1:]:
        assert re.search(r"\+39333\d{7}|Contratto", text)


def test_chunks_joined_have_every_row_once(world: World, settings, small_chunks) -> None:  # type: ignore[no-untyped-def]
    settings.PDF_PROCESSES = 1
    services = add_rows(world)
    assert_whole(pdf.invoice_pdf(world.invoice), services)


@pytest.mark.django_db(transaction=True)
def test_the_worker_renders_chunks_in_processes(world: World, settings, small_chunks) -> None:  # type: ignore[no-untyped-def]
    settings.PDF_PROCESSES = 2
    services = add_rows(world)
    document = InvoiceDocument.objects.create(
        invoice=world.invoice, revision=world.invoice.revision
    )
    tasks.make_invoice_document.call(document.pk)
    document.refresh_from_db()
    assert document.status == InvoiceDocument.Status.READY
    assert_whole(document.file.read(), services)


@pytest.mark.django_db(transaction=True)
def test_an_archive_renders_a_large_invoice_in_processes(  # type: ignore[no-untyped-def]
    world: World, settings, small_chunks, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The archive reads its invoices through a cursor the PDF's processes must leave open."""
    settings.PDF_PROCESSES = 2
    start_child, marks = pdf._start_child, tmp_path / "children"
    marks.mkdir()

    def marking_start() -> None:
        start_child()
        (marks / str(os.getpid())).touch()

    monkeypatch.setattr(pdf, "_start_child", marking_start)
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
        assert_whole(bundle.read(name), services)
    children = [int(path.name) for path in marks.iterdir()]
    assert len(children) == 1 and children != [os.getpid()]  # one child, beside this process
