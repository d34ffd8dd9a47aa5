"""Demo invoices, loaded through the same importer the billing system feeds."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import Company, Contract, Line
from billing.models import Invoice, PaymentMethod
from billing.services import invoice_import

MOBILE_FEE = Decimal("15.00")
FIXED_FEE = Decimal("39.00")
# Tassa di concessione governativa on business SIMs: monthly, out of the scope of VAT.
TCG = Decimal("12.91")


def month_start(day: date, months_back: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months_back, 12)
    return date(year, month + 1, 1)


def month_end(start: date) -> date:
    return month_start(start, -1) - timedelta(days=1)


def seed_invoices(company: Company, prefix: str, *, months: int = 24) -> None:
    """Monthly invoices of the mobile contract, bimonthly ones of the fixed contract; all
    paid but the last two months, one of them past its due date."""
    today = timezone.localdate()
    for contract in company.contracts.all():
        lines = list(Line.objects.filter(contract=contract).order_by("number"))
        step = 1 if contract.kind == Contract.Kind.MOBILE else 2
        for back in range(months, 0, -step):
            start = month_start(today, back)
            end = month_end(month_start(today, back - step + 1))
            issue = end + timedelta(days=5)
            record = _record(company, contract, lines, prefix, start, end, issue)
            outcome = invoice_import(record)
            if back > 2:
                _mark_paid(outcome.invoice)


def seed_personal_invoices(line: Line, prefix: str, *, months: int = 6) -> None:
    today = timezone.localdate()
    company = line.contract.company
    for back in range(months, 0, -1):
        start = month_start(today, back)
        end = month_end(start)
        rng = random.Random(f"{line.number}-personal-{start}")
        record = {
            "number": f"{prefix}P{start:%Y%m}",
            "company_vat_number": company.vat_number,
            "contract": line.contract.number,
            "personal_line": line.number,
            "issue_date": (end + timedelta(days=5)).isoformat(),
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "due_date": (end + timedelta(days=25)).isoformat(),
            "payment_method": PaymentMethod.CARD,
            "items": [
                {
                    "line": line.number,
                    "category": "TRAFFIC",
                    "service": "Traffico personale",
                    "amount": str(Decimal(rng.randrange(300, 2500)) / 100),
                    "vat_rate": "22",
                },
            ],
        }
        outcome = invoice_import(record)
        if back > 1:
            _mark_paid(outcome.invoice)


def _record(
    company: Company,
    contract: Contract,
    lines: list[Line],
    prefix: str,
    start: date,
    end: date,
    issue: date,
) -> dict[str, Any]:
    mobile = contract.kind == Contract.Kind.MOBILE
    items: list[dict[str, Any]] = []
    for line in lines:
        rng = random.Random(f"{line.number}-{start}")
        if mobile:
            items.append(_item(line, "FEE", "Canone Business Unlimited 100 GB", MOBILE_FEE, "22"))
            items.append(_item(line, "TAX", "Tassa di concessione governativa", TCG, None))
            if rng.random() < 0.4:
                amount = Decimal(rng.randrange(50, 1500)) / 100
                items.append(
                    _item(line, "TRAFFIC", "Traffico extra soglia e roaming", amount, "22")
                )
        else:
            items.append(_item(line, "FEE", "Canone Business Fibra 2.5 Giga", FIXED_FEE * 2, "22"))
            amount = Decimal(rng.randrange(200, 4000)) / 100
            items.append(
                _item(line, "TRAFFIC", "Traffico verso numerazioni non incluse", amount, "22")
            )
    if mobile and start.month == 1:
        items.append(
            {
                "category": "ONE_OFF",
                "service": "Gestione annuale SIM",
                "amount": "30.00",
                "vat_rate": "22",
            }
        )
    return {
        "number": f"{prefix}{'M' if mobile else 'F'}{start:%Y%m}",
        "company_vat_number": company.vat_number,
        "contract": contract.number,
        "issue_date": issue.isoformat(),
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "due_date": (issue + timedelta(days=20)).isoformat(),
        "payment_method": PaymentMethod.BANK_TRANSFER,
        "items": items,
    }


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


def _mark_paid(invoice: Invoice) -> None:
    if invoice.status != Invoice.Status.PAID:
        paid_at = timezone.make_aware(
            datetime.combine(invoice.due_date - timedelta(days=3), time(10, 0))
        )
        Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAID, paid_at=paid_at)
