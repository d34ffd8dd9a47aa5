"""The demo's cost centres (costs/demo.py, called by seed_demo): idempotent, most SIMs in a
centre, a line that moved, and invoice rows naming the centre of their issue date."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import Count

from accounts.models import Company, CostCentre, Line, LineCostCentreChange, User
from billing.models import InvoiceItem
from costs.selectors import cost_centre_rollup, default_month


def snapshot() -> tuple[object, ...]:
    return (
        list(CostCentre.objects.order_by("code").values_list("code", "name", "manager_id")),
        list(LineCostCentreChange.objects.order_by("id").values_list("id", "cost_centre_id")),
        list(InvoiceItem.objects.order_by("id").values_list("id", "cost_centre_id")),
    )


@pytest.mark.django_db
def test_demo_cost_centres(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = True
    call_command("seed_demo")
    rossi = Company.objects.get(name="Rossi Costruzioni S.r.l.")
    codes = set(CostCentre.objects.filter(company=rossi).values_list("code", flat=True))
    assert codes == {"CANT-NORD", "UFF", "COMM"}
    sims = Line.objects.filter(contract__company=rossi, contract__kind="MOBILE")
    assert sims.filter(cost_centre__isnull=False).count() > sims.count() // 2
    # The line that moved: two history rows, and its old invoices keep the old centre.
    moved = (
        LineCostCentreChange.objects.values("line").order_by().annotate(n=Count("id")).filter(n=2)
    )
    assert moved.count() == 1
    items = InvoiceItem.objects.filter(invoice__company=rossi, line__isnull=False)
    assert items.filter(cost_centre__isnull=False).exists()
    assert items.filter(cost_centre__code="CANT-NORD", line=moved[0]["line"]).exists()
    lr = User.objects.get(username="legale")
    rollup = cost_centre_rollup(user=lr, month=default_month(company_id=rossi.pk))
    assert sum(row.current.invoiced for row in rollup.rows if row.centre) > 0
    before = snapshot()
    call_command("seed_demo")
    assert snapshot() == before
