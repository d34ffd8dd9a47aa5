"""Invoices as PDF, with WeasyPrint. WeasyPrint fetches nothing but an allowlist of the
app's own static files: no network, no file paths, no redirects.

WeasyPrint lays out a whole document at once: memory and time grow with the rows (a
50,000-row invoice would need gigabytes and minutes). Past CHUNKED_FROM_ROWS rows the detail
pages are laid out at a fixed row height and a fixed number of rows a page, so every page's
rows and number are known before rendering; chunks of pages are rendered in parallel
processes (forks of the job's own), each reading its own slice of rows from the database,
and joined with pypdf. An import may replace the invoice's items meanwhile: a PDF that would
mix two revisions raises InvoiceChanged instead."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import tempfile
import threading
import unicodedata
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from multiprocessing import get_context
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connections
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from billing.models import Invoice, InvoiceItem
from core.money import euro, vat_rate

STATIC_SCHEME = "static:"
ALLOWED_STATIC = {"css/invoice-pdf.css": "text/css"}

# One WeasyPrint call up to this many rows, and past it chunks: billing.views renders up to
# this many in the request (no request thread forks) and leaves larger ones to a worker.
CHUNKED_FROM_ROWS = 1000
# Rows of a detail page at the fixed row height of css/invoice-pdf.css (`.row`), with room
# to spare at the foot; the first detail page gives three rows to its heading.
ROWS_PER_PAGE = 56
FIRST_PAGE_ROWS = ROWS_PER_PAGE - 3
# Pages a process renders at once: the fewer, the less memory (WeasyPrint holds a chunk's
# boxes), the more often a process starts a document.
PAGES_PER_CHUNK = 16
# A detail row's characters in css/invoice-pdf.css's monospaced font (`.rows`): 100 fit the
# page's width at 8pt, with room to spare. Laid out as plain text, a page costs a quarter of
# a page of rows with positioned cells.
ROW_CHARS = 100
LINE_CHARS = 16
AMOUNT_CHARS = 15  # '-1.234.567,89 €'
CHARGE_CHARS = ROW_CHARS - LINE_CHARS - AMOUNT_CHARS - 2
# prctl(2): the signal the kernel sends a process when its parent ends.
PR_SET_PDEATHSIG = 1


class InvoiceChanged(Exception):
    """The invoice got a new revision (an import replaced its items) while its PDF was being
    rendered: the PDF would mix the two."""


class ChunkLayoutError(Exception):
    """A chunk laid out to another number of pages than its rows were numbered for."""


class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint ships no types
    """Serves `static:<path>` for the allowlisted paths; refuses every other URL."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = url.removeprefix(STATIC_SCHEME) if url.startswith(STATIC_SCHEME) else None
        if path not in ALLOWED_STATIC:
            raise ValueError(f"Refused to fetch {url!r}: not an allowed static file")
        found = finders.find(path)
        if not found:
            raise ValueError(f"Static file {path!r} is missing")
        with open(found, "rb") as file:
            body = file.read()
        return URLFetcherResponse(url, body, {"Content-Type": ALLOWED_STATIC[path]})


def _html(html: str) -> HTML:
    return HTML(string=html, base_url=STATIC_SCHEME, url_fetcher=StaticOnlyFetcher())


def invoice_pdf(invoice: Invoice, *, language: str = "it") -> bytes:
    """The invoice as a PDF: a summary page, then every charge, line by line, with "Pagina
    X di Y" on every page."""
    rows = invoice.items.count()
    if rows <= CHUNKED_FROM_ROWS:
        with translation.override(language):
            html = _invoice_html(invoice, summary_only=False)
        pdf: bytes = _html(html).write_pdf()
        return pdf
    # The revision the caller holds, summary and all: the chunks read their rows later.
    revision = invoice.revision
    with tempfile.TemporaryDirectory(prefix="invoice-pdf-") as folder:
        joined = _chunked_pdf(invoice, rows=rows, language=language, folder=Path(folder))
        if Invoice.objects.filter(pk=invoice.pk, revision=revision).exists():
            return joined.read_bytes()
    raise InvoiceChanged(f"Invoice {invoice.pk} changed from revision {revision} while rendered")


def _invoice_html(invoice: Invoice, *, summary_only: bool, total_pages: int = 0) -> str:
    return render_to_string(
        "billing/pdf/invoice.html",
        {
            "invoice": invoice,
            "seller": settings.INVOICE_SELLER,
            "vat_lines": invoice.vat_lines.all(),
            "items": invoice.items.select_related("line").order_by("line__number", "id"),
            "summary_only": summary_only,
            "total_pages": total_pages,
        },
    )


def _detail_page_sizes(rows: int) -> list[int]:
    """Rows on each detail page: FIRST_PAGE_ROWS, then ROWS_PER_PAGE, the last the rest."""
    sizes = [min(rows, FIRST_PAGE_ROWS)]
    for start in range(FIRST_PAGE_ROWS, rows, ROWS_PER_PAGE):
        sizes.append(min(ROWS_PER_PAGE, rows - start))
    return sizes


@dataclass(frozen=True)
class Chunk:
    """Consecutive detail pages of an invoice: `sizes` rows each from row `start` (in the
    detail's order), numbered from `first_number`. It carries all a child process needs."""

    invoice_id: int
    language: str
    start: int
    sizes: tuple[int, ...]
    opens_detail: bool
    first_number: int
    total_pages: int
    path: str


def _chunked_pdf(invoice: Invoice, *, rows: int, language: str, folder: Path) -> Path:
    sizes = _detail_page_sizes(rows)
    with translation.override(language):
        # The summary's own length fixes the number of every detail page: lay it out once
        # to count its pages, then again with the total in its footer.
        summary_pages = len(_html(_invoice_html(invoice, summary_only=True)).render().pages)
        total = summary_pages + len(sizes)
        summary_html = _invoice_html(invoice, summary_only=True, total_pages=total)
    chunks = [
        Chunk(
            invoice_id=invoice.pk,
            language=language,
            start=sum(sizes[:first]),
            sizes=tuple(sizes[first : first + PAGES_PER_CHUNK]),
            opens_detail=first == 0,
            first_number=summary_pages + first + 1,
            total_pages=total,
            path=str(folder / f"chunk-{first:06d}.pdf"),
        )
        for first in range(0, len(sizes), PAGES_PER_CHUNK)
    ]
    processes = min(settings.PDF_PROCESSES, len(chunks))
    # Children read committed rows only, on their own connections: inside a transaction
    # (a caller's, a test's) this process renders every chunk itself.
    in_transaction = any(c.in_atomic_block for c in connections.all(initialized_only=True))
    summary = folder / "summary.pdf"
    if processes <= 1 or in_transaction:
        _html(summary_html).write_pdf(summary)
        for chunk in chunks:
            render_chunk(chunk)
    else:
        _render_in_processes(chunks, processes=processes, summary_html=summary_html, out=summary)
    joined = folder / "invoice.pdf"
    _join([summary, *(Path(chunk.path) for chunk in chunks)], joined)
    return joined


def _render_in_processes(
    chunks: list[Chunk], *, processes: int, summary_html: str, out: Path
) -> None:
    """The chunks in `processes - 1` children and this process, each taking the next chunk
    when it is free: a process given its share up front would sit idle while another still
    had several to do. The children are forks of this process, started after it laid the
    summary out: Django, WeasyPrint and the fonts are already loaded, shared copy-on-write,
    so a child's first page costs what any other does. Fork is safe here: the caller is in
    no transaction (see _chunked_pdf), a child never uses this process's database
    connections (_start_child), and a child only runs render_chunk."""
    left = iter(chunks)
    taking = threading.Lock()
    stop = threading.Event()  # a failure anywhere: nobody takes another chunk

    def take() -> Chunk | None:
        with taking:
            return None if stop.is_set() else next(left, None)

    children = processes - 1
    with ProcessPoolExecutor(
        max_workers=children,
        mp_context=get_context("fork"),
        initializer=_start_child,
        initargs=(os.getpid(),),
    ) as pool:

        def feed_a_child(first: Future[None]) -> None:
            # One chunk at a time: the pool never holds a chunk that a free process could take.
            try:
                first.result()
                while (chunk := take()) is not None:
                    pool.submit(render_chunk, chunk).result()
            except BaseException:
                stop.set()
                raise

        feeders = ThreadPoolExecutor(max_workers=children)
        try:
            # The first submit forks the children, from this thread and before it renders
            # anything: no other thread holds a lock (WeasyPrint's libraries') at the fork.
            firsts = [pool.submit(render_chunk, c) for c in islice(iter(take, None), children)]
            feeding = [feeders.submit(feed_a_child, first) for first in firsts]
            _html(summary_html).write_pdf(out)
            while (chunk := take()) is not None:
                render_chunk(chunk)
            for fed in feeding:
                fed.result()  # a child's exception, raised here
        except BaseException:
            # A child's exception, this process's own, a job's timeout: the PDF is lost, so
            # is the children's work. They ignore SIGTERM (see _start_child): killed, which
            # ends the feeders' waits too.
            stop.set()
            running = list(pool._processes.values())  # shutdown() forgets them
            pool.shutdown(wait=False, cancel_futures=True)
            for child in running:
                child.kill()
            raise
        finally:
            feeders.shutdown()


def _start_child(parent: int) -> None:
    # The parent's connections are on sockets this child shares: forgotten, never closed
    # (closing ends the parent's session, and with it the cursor an archive iterates;
    # psycopg does not close a connection collected in another process than its own).
    # The child opens its own on its first query and closes it when it ends.
    for connection in connections.all(initialized_only=True):
        connection.connection = None
    Finalize(None, connections.close_all, exitpriority=0)
    # A worker's graceful shutdown (SIGTERM, or ^C to its process group) lets the job finish:
    # the children too. The parent ends them when it stops waiting for them.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A parent killed outright (SIGKILL, the OOM killer) cannot: the kernel does.
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # it ended before prctl took effect
            os._exit(1)


def render_chunk(chunk: Chunk) -> None:
    """Render a chunk's detail pages into chunk.path, reading only their rows."""
    with translation.override(chunk.language):
        html = render_to_string(
            "billing/pdf/invoice_detail_pages.html",
            {
                "seller": settings.INVOICE_SELLER,
                "pages": list(_pages(chunk)),
                "first_page": chunk.first_number,
                "total_pages": chunk.total_pages,
            },
        )
    document = _html(html).render()
    if len(document.pages) != len(chunk.sizes):
        raise ChunkLayoutError(
            f"Invoice {chunk.invoice_id}: {len(chunk.sizes)} pages of rows from row "
            f"{chunk.start} laid out to {len(document.pages)}"
        )
    document.write_pdf(chunk.path)


@dataclass(frozen=True)
class Page:
    first: bool
    heading: str
    rows: list[str]


def detail_row(line: str, charge: str, amount: str) -> str:
    """A detail row as a line of ROW_CHARS characters in the monospaced font: the line's
    number, the charge (VAT rate first, then the service, cut with an ellipsis where it is
    too long: the rate is never the part cut) and the amount, right-aligned. A line break, a
    tab or another control character from the billing feed becomes a space: in preformatted
    text it would start a line of its own, or move the columns, and push the page's rows
    past its foot."""
    line, charge = _one_line(line), _one_line(charge)
    if len(charge) > CHARGE_CHARS:
        charge = charge[: CHARGE_CHARS - 1] + "…"
    return f"{line[:LINE_CHARS]:<{LINE_CHARS}} {charge:<{CHARGE_CHARS}} {amount:>{AMOUNT_CHARS}}"


def _one_line(text: str) -> str:
    return " ".join(
        "".join(" " if unicodedata.category(c).startswith("C") else c for c in text).split()
    )


def _pages(chunk: Chunk) -> Iterator[Page]:
    items = iter(
        InvoiceItem.objects.filter(invoice_id=chunk.invoice_id)
        .order_by("line__number", "id")
        .values_list("line_id", "line__number", "service", "vat_rate", "amount")[
            chunk.start : chunk.start + sum(chunk.sizes)
        ]
    )
    contract = gettext("Contratto")
    heading = detail_row(
        gettext("Linea"), f"{gettext('Aliquota IVA')} · {gettext('Servizio')}", gettext("Importo")
    )
    read = 0
    for index, size in enumerate(chunk.sizes):
        rows: list[str] = []
        previous: object = None
        for line_id, number, service, rate, amount in islice(items, size):
            # The line's number on its first row, and again atop a page its rows continue on.
            shown = "" if rows and line_id == previous else (number or contract)
            rows.append(detail_row(shown, f"{vat_rate(rate)} · {service}", euro(amount)))
            previous = line_id
        read += len(rows)
        yield Page(first=chunk.opens_detail and index == 0, heading=heading, rows=rows)
    if read != sum(chunk.sizes):
        raise InvoiceChanged(
            f"Invoice {chunk.invoice_id}: {read} rows from row {chunk.start} "
            f"where {sum(chunk.sizes)} were counted"
        )


def _join(parts: list[Path], out: Path) -> None:
    """The parts one after the other, with the first's title, author and language."""
    writer = PdfWriter()
    for part in parts:
        writer.append(str(part))
    first = PdfReader(parts[0])
    if first.metadata:
        writer.add_metadata(first.metadata)
    if "/Lang" in first.root_object:
        writer.root_object[NameObject("/Lang")] = first.root_object["/Lang"]
    with open(out, "wb") as file:
        writer.write(file)
