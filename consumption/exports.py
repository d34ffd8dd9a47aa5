"""Downloads of Consumi, written by core.exports (cells a spreadsheet never evaluates, `;`
and the decimal comma, streamed row by row), with Italian headers and the units the pages
show: minutes, MB, euro."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from accounts.models import Line
from core.exports import Cell, Euro, csv_response, xlsx_response


def billed_services_header() -> tuple[str, ...]:
    return (
        _("Linea"),
        _("Fattura"),
        _("Periodo dal"),
        _("Periodo al"),
        _("Categoria"),
        _("Servizio"),
        _("Importo (€)"),
    )


def _billed_services_rows(
    rows: QuerySet[Any, Any], labels: Mapping[str, Any]
) -> Iterator[tuple[Cell, ...]]:
    for row in rows.iterator(chunk_size=2000):
        yield (
            row["line__number"],
            row["invoice__number"],
            row["invoice__period_start"],
            row["invoice__period_end"],
            str(labels.get(row["category"], row["category"])),
            row["service"],
            Euro(row["amount"]),
        )


def billed_services_csv(
    rows: QuerySet[Any, Any], category_labels: Mapping[str, Any]
) -> StreamingHttpResponse:
    """The report of billed services (C3) as CSV: `rows` as billing.charges.billed_services
    groups them, each category by its name in `category_labels`."""
    return csv_response(
        filename="servizi-fatturati.csv",
        header=billed_services_header(),
        rows=_billed_services_rows(rows, category_labels),
    )


def billed_services_xlsx(
    rows: QuerySet[Any, Any], category_labels: Mapping[str, Any]
) -> FileResponse:
    return xlsx_response(
        filename="servizi-fatturati.xlsx",
        sheet=_("Servizi fatturati"),
        header=billed_services_header(),
        rows=_billed_services_rows(rows, category_labels),
    )


def all_sims_header() -> tuple[str, ...]:
    """The page's columns, in the units its table shows (minutes, MB, euro)."""
    return (
        _("Numero"),
        _("Assegnatario"),
        _("Voce (minuti)"),
        _("SMS"),
        _("Dati (MB)"),
        _("Costo extra (€)"),
        _("Credito residuo (€)"),
        _("Stato"),
    )


Row = tuple[str, str, int, int, Decimal, Euro, Euro, str]


def minutes(seconds: int) -> int:
    """Whole minutes rounded up, as operators bill them and the pages show them."""
    return -(-seconds // 60)


def megabytes(kilobytes: int) -> Decimal:
    return (Decimal(kilobytes) / 1024).quantize(Decimal("0.1"))


def all_sims_rows(sims: QuerySet[Line]) -> Iterator[Row]:
    """`sims` as selectors.all_sims_usage annotates them, one row each."""
    for sim in sims.iterator(chunk_size=2000):
        assignee = sim.assignee.get_full_name() if sim.assignee else ""
        yield (
            sim.number,
            assignee,
            minutes(sim.voice),  # type: ignore[attr-defined]
            sim.sms,  # type: ignore[attr-defined]
            megabytes(sim.data),  # type: ignore[attr-defined]
            Euro(sim.cost),  # type: ignore[attr-defined]
            Euro(sim.balance or 0),  # type: ignore[attr-defined]
            str(sim.get_state_display()),
        )


def _filename(start: date, end: date, extension: str) -> str:
    return f"consumi-sim-{start:%Y%m%d}-{end:%Y%m%d}.{extension}"


def all_sims_csv(sims: QuerySet[Line], start: date, end: date) -> StreamingHttpResponse:
    """Every SIM's usage of the period (C2), streamed: thousands never sit in memory."""
    return csv_response(
        filename=_filename(start, end, "csv"), header=all_sims_header(), rows=all_sims_rows(sims)
    )


def all_sims_xlsx(sims: QuerySet[Line], start: date, end: date) -> FileResponse:
    return xlsx_response(
        filename=_filename(start, end, "xlsx"),
        sheet=_("Consumi"),
        header=all_sims_header(),
        rows=all_sims_rows(sims),
    )
