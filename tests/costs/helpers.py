from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from django.utils import timezone

from accounts.models import CostCentre, Line, LineCostCentreChange, User
from billing.models import Invoice, InvoiceItem
from consumption.models import UsageKind, UsageMonthly
from tests.conftest import World
from tests.factories import InvoiceFactory


def centre(world: World, code: str = "UFF", name: str = "Uffici", **fields: object) -> CostCentre:
    return CostCentre.objects.create(company=world.company, code=code, name=name, **fields)


def outsider_centre(world: World) -> CostCentre:
    return CostCentre.objects.create(company=world.outsider_company, code="ALTRO", name="Altro")


def at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def moved(line: Line, to: CostCentre | None, on: date, by: User | None = None) -> None:
    """A past move of `line` (the history the roll-up reads), and its current centre."""
    LineCostCentreChange.objects.create(line=line, cost_centre=to, since=at(on), changed_by=by)
    Line.objects.filter(pk=line.pk).update(cost_centre=to)


def usage(
    line: Line, month: date, *, data_kb: int = 0, seconds: int = 0, sms: int = 0, cost: str = "0"
) -> None:
    for kind, quantity, amount in (
        (UsageKind.DATA, data_kb, Decimal(cost)),
        (UsageKind.VOICE, seconds, Decimal("0")),
        (UsageKind.SMS, sms, Decimal("0")),
    ):
        if quantity or amount:
            UsageMonthly.objects.create(
                line=line, month=month, kind=kind, quantity=quantity, cost=amount, records=1
            )


def invoice_with_rows(
    world: World, issued: date, rows: list[tuple[Line | None, CostCentre | None, str]]
) -> Invoice:
    """A company invoice issued on `issued` whose rows name a line, the centre it was issued
    with and an amount (the factory's own 100 € contract-level row is removed)."""
    invoice = InvoiceFactory(company=world.company, contract=world.mobile, issue_date=issued)
    invoice.items.all().delete()
    for line, cost_centre, amount in rows:
        InvoiceItem.objects.create(
            invoice=invoice,
            line=line,
            category=InvoiceItem.Category.FEE,
            service="Canone",
            amount=Decimal(amount),
            vat_rate=22,
            cost_centre=cost_centre,
        )
    return invoice
