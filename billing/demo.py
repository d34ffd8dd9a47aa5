"""Demo invoices, loaded through the same importer the billing system feeds.

They charge what the other sections show (seed_demo gathers it into `LineCharges`): the
fees of the offers, options and services on the line pages, and as traffic the cost of the
usage the usage pages add up, month by month. An invoice is issued after its period and
never after today, and is paid after it is issued."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import Company, Contract, Line, LineCostCentreChange
from billing.models import Invoice, InvoiceItem, PaymentMethod
from billing.services import invoice_import

# Tassa di concessione governativa on business SIMs: monthly, out of the scope of VAT.
TCG = Decimal("12.91")
# Days after its period an invoice is issued, and after that it falls due.
ISSUED_AFTER = 5
DUE_AFTER = 20


@dataclass(frozen=True)
class Fee:
    service: str
    monthly: Decimal
    since: date


@dataclass(frozen=True)
class LineCharges:
    """What a line's invoices charge: `fees` on the company's, `personal_fees` on its
    holder's own (Dual Billing), and its usage's cost by month as traffic: on the holder's
    invoice once their personal profile is active, on the company's before and on any
    other line."""

    fees: tuple[Fee, ...] = ()
    personal_fees: tuple[Fee, ...] = ()
    traffic: Mapping[date, Decimal] = field(default_factory=dict)

    def billed_personally(self, month: date) -> bool:
        return any(fee.since <= month_end(month) for fee in self.personal_fees)


def month_start(day: date, months_back: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months_back, 12)
    return date(year, month + 1, 1)


def month_end(start: date) -> date:
    return month_start(start, -1) - timedelta(days=1)


def _months(start: date, end: date) -> list[date]:
    months, month = [], start
    while month <= end:
        months.append(month)
        month = month_start(month, -1)
    return months


def _issued(end: date, today: date) -> tuple[date, date]:
    """(issue date, due date) of an invoice for a period ending on `end`: issued a few days
    after it, or today for a period just over; never in the future."""
    issue = min(end + timedelta(days=ISSUED_AFTER), today)
    return issue, issue + timedelta(days=DUE_AFTER)


def seed_invoices(
    company: Company, prefix: str, *, charges: Mapping[str, LineCharges], months: int = 24
) -> None:
    """Monthly invoices of the mobile contract, bimonthly ones of the fixed contract; all
    paid but the last two months, one of them past its due date. `charges`: by line number."""
    today = timezone.localdate()
    for contract in company.contracts.all():
        lines = list(Line.objects.filter(contract=contract).order_by("number"))
        if not lines:
            continue
        step = 1 if contract.kind == Contract.Kind.MOBILE else 2
        for back in range(months, 0, -step):
            start = month_start(today, back)
            end = month_end(month_start(today, back - step + 1))
            issue, due = _issued(end, today)
            items = _items(contract, lines, charges, start, end)
            record = {
                "number": f"{prefix}{'M' if step == 1 else 'F'}{start:%Y%m}",
                "company_vat_number": company.vat_number,
                "contract": contract.number,
                "issue_date": issue.isoformat(),
                "period_start": start.isoformat(),
                "period_end": end.isoformat(),
                "due_date": due.isoformat(),
                "payment_method": PaymentMethod.BANK_TRANSFER,
                "items": items,
            }
            _import(record, paid=back > 2)


def seed_personal_invoices(
    line: Line, prefix: str, *, charges: LineCharges, months: int = 6
) -> None:
    """The holder's own invoices of a Dual Billing line: its personal profile and its
    traffic; all paid but the last."""
    today = timezone.localdate()
    company = line.contract.company
    for back in range(months, 0, -1):
        start = month_start(today, back)
        end = month_end(start)
        issue, due = _issued(end, today)
        items = [
            _item(line, "FEE", fee.service, fee.monthly, "22")
            for fee in charges.personal_fees
            if fee.since <= end
        ]
        traffic = charges.traffic.get(start)
        if traffic and charges.billed_personally(start):
            items.append(_item(line, "TRAFFIC", "Traffico personale", traffic, "22"))
        record = {
            "number": f"{prefix}P{start:%Y%m}",
            "company_vat_number": company.vat_number,
            "contract": line.contract.number,
            "personal_line": line.number,
            "issue_date": issue.isoformat(),
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "due_date": due.isoformat(),
            "payment_method": PaymentMethod.CARD,
            "items": items,
        }
        _import(record, paid=back > 1)


def _items(
    contract: Contract,
    lines: list[Line],
    charges: Mapping[str, LineCharges],
    start: date,
    end: date,
) -> list[dict[str, Any]]:
    mobile = contract.kind == Contract.Kind.MOBILE
    months = _months(start, end)
    items: list[dict[str, Any]] = []
    for line in lines:
        charged = charges.get(line.number, LineCharges())
        for fee in charged.fees:
            if fee.since <= end:
                items.append(_item(line, "FEE", fee.service, fee.monthly * len(months), "22"))
                items[-1]["quantity"] = str(len(months))
        if mobile:
            items.append(_item(line, "TAX", "Tassa di concessione governativa", TCG, None))
        company_months = [month for month in months if not charged.billed_personally(month)]
        traffic = sum(
            (charged.traffic.get(month, Decimal()) for month in company_months), Decimal()
        )
        if traffic:
            items.append(_item(line, "TRAFFIC", "Traffico extra soglia e roaming", traffic, "22"))
    if mobile and start.month == 1:
        items.append(
            {
                "category": "ONE_OFF",
                "service": "Gestione annuale SIM",
                "amount": "30.00",
                "vat_rate": "22",
            }
        )
    return items


def _item(
    line: Line, category: str, service: str, amount: Decimal, rate: str | None
) -> dict[str, Any]:
    return {
        "line": line.number,
        "category": category,
        "service": service,
        "amount": str(amount),
        "vat_rate": rate,
    }


def _import(record: dict[str, Any], *, paid: bool) -> None:
    """A paid invoice never changes through the importer: one of the demo's history (`paid`),
    paid in an earlier version of the demo, is reopened to take the current content, then
    paid again."""
    paid_before = Invoice.objects.filter(number=record["number"], status=Invoice.Status.PAID)
    if not paid:
        if paid_before.exists():
            return  # paid by someone trying the demo: it stays as they left it
    else:
        paid_before.update(status=Invoice.Status.OPEN, paid_at=None)
    invoice = invoice_import(record).invoice
    if paid:
        # Paid three days before it falls due, so after it was issued.
        paid_at = timezone.make_aware(
            datetime.combine(invoice.due_date - timedelta(days=3), time(10, 0))
        )
        Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAID, paid_at=paid_at)


def seed_invoice_cost_centres(company: Company) -> None:
    """The rows of the company's invoices name the cost centre their line had when the
    invoice was issued, by the lines' history (the demo backdates it, after the invoices
    were imported: the importer takes the line's centre of the import's day). Idempotent:
    only rows that differ are written."""
    histories: dict[int, list[tuple[datetime, int | None]]] = {}
    for line_id, since, centre_id in (
        LineCostCentreChange.objects.filter(line__contract__company=company)
        .order_by("since", "id")
        .values_list("line_id", "since", "cost_centre_id")
    ):
        histories.setdefault(line_id, []).append((since, centre_id))
    by_centre: dict[int | None, list[int]] = {}
    items = InvoiceItem.objects.filter(
        invoice__company=company, line__isnull=False, invoice__personal_line__isnull=True
    ).values_list("pk", "line_id", "invoice__issue_date", "cost_centre_id")
    for pk, line_id, issued, centre_id in items:
        issued_at = timezone.make_aware(datetime.combine(issued, time.min))
        then: int | None = None
        for since, centre in histories.get(line_id, []):
            if since <= issued_at:
                then = centre
        if then != centre_id:
            by_centre.setdefault(then, []).append(pk)
    for target, pks in by_centre.items():
        InvoiceItem.objects.filter(pk__in=pks).update(cost_centre_id=target)
