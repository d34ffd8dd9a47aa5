"""Downloads of Consumi, written by core.exports (cells a spreadsheet never evaluates, `;`
and the decimal comma, streamed row by row)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from accounts.models import Line
from core.exports import Cell, csv_response, xlsx_response

BILLED_SERVICES_HEADER = (
    "linea",
    "fattura",
    "periodo_dal",
    "periodo_al",
    "categoria",
    "servizio",
    "importo",
)


def _billed_services_rows(rows: QuerySet[Any, Any]) -> Iterator[tuple[Cell, ...]]:
    for row in rows.iterator(chunk_size=2000):
        yield (
            row["line__number"],
            row["invoice__number"],
            row["invoice__period_start"],
            row["invoice__period_end"],
            row["category"],
            row["service"],
            row["amount"].quantize(Decimal("0.01")),
        )


def billed_services_csv(rows: QuerySet[Any, Any]) -> StreamingHttpResponse:
    """The report of billed services (C3) as CSV: `rows` as billing.charges.billed_services
    groups them."""
    return csv_response(
        filename="servizi-fatturati.csv",
        header=BILLED_SERVICES_HEADER,
        rows=_billed_services_rows(rows),
    )


ALL_SIMS_HEADER = (
    "numero",
    "assegnatario",
    "voce_secondi",
    "sms",
    "dati_kb",
    "costo_euro",
    "credito_euro",
    "stato",
)

Row = tuple[str, str, int, int, int, Decimal, Decimal, str]


def _all_sims_rows(sims: QuerySet[Line]) -> Iterator[Row]:
    for sim in sims.iterator(chunk_size=2000):
        assignee = sim.assignee.get_full_name() if sim.assignee else ""
        cost = sim.cost.quantize(Decimal("0.01"))  # type: ignore[attr-defined]
        credit = sim.balance or Decimal("0.00")  # type: ignore[attr-defined]
        usage = (sim.voice, sim.sms, sim.data)  # type: ignore[attr-defined]
        yield (sim.number, assignee, *usage, cost, credit, str(sim.get_state_display()))


def _filename(start: date, end: date, extension: str) -> str:
    return f"consumi-sim-{start:%Y%m%d}-{end:%Y%m%d}.{extension}"


def all_sims_csv(sims: QuerySet[Line], start: date, end: date) -> StreamingHttpResponse:
    """Every SIM's usage of the period (C2), streamed: thousands never sit in memory."""
    return csv_response(
        filename=_filename(start, end, "csv"), header=ALL_SIMS_HEADER, rows=_all_sims_rows(sims)
    )


def all_sims_xlsx(sims: QuerySet[Line], start: date, end: date) -> FileResponse:
    return xlsx_response(
        filename=_filename(start, end, "xlsx"),
        sheet=_("Consumi"),
        header=ALL_SIMS_HEADER,
        rows=_all_sims_rows(sims),
    )
