"""Downloads of Fatture e pagamenti, written by core.exports (cells a spreadsheet never
evaluates, `;` and the decimal comma, streamed row by row), with Italian headers: the
invoice list (also the monthly report's invoices, costs.reports) and one invoice's rows."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Invoice, InvoiceItem, PaymentMethod
from core.exports import Cell, Euro


def invoice_list_header() -> list[str]:
    return [
        _("Numero"),
        _("Data di emissione"),
        _("Periodo dal"),
        _("Periodo al"),
        _("Contratto"),
        _("Scadenza"),
        _("Imponibile"),
        _("IVA"),
        _("Fuori campo IVA"),
        _("Totale"),
        _("Stato"),
        _("Modalità di pagamento"),
        _("Pagata il"),
    ]


def invoice_list_rows(invoices: QuerySet[Invoice]) -> Iterator[list[Cell]]:
    """`invoices` with their contract (select_related), one row each."""
    for invoice in invoices.iterator(chunk_size=2000):
        yield [
            invoice.number,
            invoice.issue_date,
            invoice.period_start,
            invoice.period_end,
            invoice.contract.number,
            invoice.due_date,
            Euro(invoice.taxable),
            Euro(invoice.vat),
            Euro(invoice.out_of_scope),
            Euro(invoice.total),
            invoice.status_label,
            str(PaymentMethod(invoice.payment_method).label),
            timezone.localtime(invoice.paid_at).date() if invoice.paid_at else None,
        ]


def invoice_rows_header() -> list[str]:
    return [
        _("Linea"),
        _("Centro di costo"),
        _("Categoria"),
        _("Servizio"),
        _("Quantità"),
        _("Importo"),
        _("Aliquota IVA"),
    ]


def invoice_item_rows(items: QuerySet[InvoiceItem]) -> Iterator[list[Cell]]:
    """`items` with their line and cost centre (select_related), one row each."""
    for item in items.iterator(chunk_size=2000):
        centre = item.cost_centre
        yield [
            item.line.number if item.line else _("Contratto"),
            str(centre) if centre else "",
            str(InvoiceItem.Category(item.category).label),
            item.service,
            item.quantity.normalize(),
            Euro(item.amount),
            item.vat_rate if item.vat_rate is not None else _("Fuori campo IVA"),
        ]
