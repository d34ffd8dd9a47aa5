"""The monthly roll-up by cost centre (K1): invoice rows by the centre they were issued with,
usage by the centre each line had at the month's end, the month before beside them."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from costs.selectors import (
    add_months,
    cost_centre_rollup,
    next_month,
    previous_month,
    rollup_header,
    rollup_rows,
)
from costs.services import lines_assign
from tests.accounts.helpers import signed_in
from tests.conftest import World
from tests.costs.helpers import centre, invoice_with_rows, moved, usage
from tests.factories import InvoiceFactory, LineFactory

pytestmark = pytest.mark.django_db

OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)


def by_code(rollup):  # type: ignore[no-untyped-def]
    return {row.centre.code if row.centre else None: row for row in rollup.rows}


def test_invoices_roll_up_by_their_rows_snapshot(world: World) -> None:
    offices, sites = centre(world), centre(world, code="CANT", name="Cantieri")
    # The line is in the sites' centre now, but the October invoice was issued with offices.
    moved(world.lr_line, sites, date(2026, 11, 20))
    invoice_with_rows(
        world,
        date(2026, 10, 5),
        [(world.lr_line, offices, "30.00"), (world.full_line, None, "5.50"), (None, None, "1.00")],
    )
    invoice_with_rows(world, date(2026, 11, 5), [(world.lr_line, offices, "12.34")])
    invoice_with_rows(world, date(2026, 11, 28), [(world.lr_line, sites, "7.00")])
    # A personal invoice of a Dual Billing line is its holder's, not the company's cost.
    InvoiceFactory(
        company=world.company,
        contract=world.mobile,
        personal_line=world.light_line,
        issue_date=date(2026, 11, 5),
    )
    rows = by_code(cost_centre_rollup(user=world.lr, month=date(2026, 11, 17)))
    assert rows["UFF"].current.invoiced == Decimal("12.34")
    assert rows["UFF"].previous.invoiced == Decimal("30.00")
    assert rows["UFF"].invoiced_difference == Decimal("-17.66")
    assert rows["CANT"].current.invoiced == Decimal("7.00")
    assert rows["CANT"].previous.invoiced == Decimal("0.00")
    # With the world's own invoice of October (100 € on no line).
    assert rows[None].previous.invoiced == Decimal("106.50")
    assert rows[None].current.invoiced == Decimal("0.00")


def test_a_moved_line_keeps_its_past_month_in_the_old_centre(world: World) -> None:
    offices, sites = centre(world), centre(world, code="CANT", name="Cantieri")
    moved(world.lr_line, offices, date(2026, 9, 15), by=world.lr)
    moved(world.lr_line, sites, date(2026, 11, 3), by=world.lr)  # during November
    usage(world.lr_line, OCT, data_kb=2048 * 1024, seconds=600, sms=3, cost="4.5")
    usage(world.lr_line, NOV, data_kb=1024, seconds=90, cost="1.25")
    usage(world.full_line, NOV, sms=7)  # in no centre
    rollup = cost_centre_rollup(user=world.lr, month=NOV)
    rows = by_code(rollup)
    assert rows["UFF"].previous.data_mb == Decimal("2048.0")
    assert rows["UFF"].previous.voice_minutes == Decimal("10.0")
    assert rows["UFF"].previous.sms == 3 and rows["UFF"].previous.usage_cost == Decimal("4.50")
    assert rows["UFF"].current.usage_cost == Decimal("0.00")
    assert rows["CANT"].current.data_mb == Decimal("1.0")
    assert rows["CANT"].current.voice_minutes == Decimal("1.5")
    assert rows["CANT"].current.usage_cost == Decimal("1.25")
    assert rows["CANT"].previous.usage_cost == Decimal("0.00")
    assert rows[None].current.sms == 7
    assert rollup.total.current.sms == 7 and rollup.total.previous.sms == 3
    # Moving it again today does not rewrite October or November.
    lines_assign(user=world.lr, cost_centre=offices, line_ids=[world.lr_line.pk])
    assert by_code(cost_centre_rollup(user=world.lr, month=NOV))["CANT"].current.sms == 0
    assert by_code(cost_centre_rollup(user=world.lr, month=NOV))["CANT"].current.data_mb == 1


def test_the_spreadsheet_rows_match_the_page(world: World) -> None:
    offices = centre(world)
    moved(world.lr_line, offices, date(2026, 9, 15))
    usage(world.lr_line, OCT, data_kb=2048 * 1024, seconds=600, sms=3)
    usage(world.lr_line, NOV, data_kb=1024, seconds=90, sms=1)
    invoice_with_rows(world, date(2026, 11, 5), [(world.lr_line, offices, "12.34")])
    rows = list(rollup_rows(cost_centre_rollup(user=world.lr, month=NOV)))
    header = rollup_header()
    assert len(header) == len(rows[0])
    assert rows[0][:3] == ["UFF", "Uffici", Decimal("12.34")]
    # As the page: VAT excluded, and the month before's usage beside the month's.
    assert header[2:4] == [
        "Fatturato del mese (IVA esclusa)",
        "Fatturato del mese prima (IVA esclusa)",
    ]
    figures = dict(zip(header, rows[0], strict=True))
    assert figures["Dati del mese (MB)"] == Decimal("1.0")
    assert figures["Dati del mese prima (MB)"] == Decimal("2048.0")
    assert figures["Voce del mese (minuti)"] == Decimal("1.5")
    assert figures["Voce del mese prima (minuti)"] == Decimal("10.0")
    assert (figures["SMS del mese"], figures["SMS del mese prima"]) == (1, 3)


def test_page_defaults_to_the_last_month_with_an_invoice(world: World) -> None:
    offices = centre(world)
    invoice_with_rows(world, date(2026, 8, 5), [(world.lr_line, offices, "99.00")])
    page = signed_in(world.full).get(reverse("costs:cost-centre-rollup"))
    html = page.content.decode()
    # The world's invoice is issued on 5 October 2026.
    assert "Centri di costo: ottobre 2026" in html
    assert 'value="2026-10"' in html
    chart = json.loads(
        html.split('id="cost-centre-chart-data" type="application/json">')[1].split("</script>")[0]
    )
    assert chart["labels"][0] == "UFF"
    page = signed_in(world.full).get(reverse("costs:cost-centre-rollup"), {"month": "2026-08"})
    assert "Centri di costo: agosto 2026" in page.content.decode()
    assert "99,00" in page.content.decode()


def test_page_downloads_csv(world: World) -> None:
    centre(world)
    response = signed_in(world.lr).get(
        reverse("costs:cost-centre-rollup"), {"month": "2026-10", "formato": "csv"}
    )
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert "centri-di-costo-2026-10.csv" in response["Content-Disposition"]
    assert body.splitlines()[1].startswith("UFF;Uffici;0,00")


def test_a_bad_month_falls_back_to_the_default(world: World) -> None:
    page = signed_in(world.lr).get(reverse("costs:cost-centre-rollup"), {"month": "2026-13"})
    assert page.status_code == 200


@pytest.mark.parametrize("month", ["0001-01", "1999-12", "9999-12", "2100-01"])
@pytest.mark.parametrize("export", [None, "csv", "xlsx"])
def test_a_month_out_of_range_is_a_form_error_not_a_500(
    world: World, month: str, export: str | None
) -> None:
    params = {"month": month, **({"formato": export} if export else {})}
    page = signed_in(world.lr).get(reverse("costs:cost-centre-rollup"), params)
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert "Scegli un mese tra gennaio 2000 e dicembre" in html
    # The page shows the default month meanwhile (the world's invoice: October 2026).
    assert "Centri di costo: ottobre 2026" in html


def test_the_month_helpers_never_fail() -> None:
    assert next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    assert previous_month(date(2026, 1, 1)) == date(2025, 12, 1)
    assert add_months(date(2026, 3, 1), -15) == date(2024, 12, 1)
    assert previous_month(date(1, 1, 1)) == date(1, 1, 1)
    assert next_month(date(9999, 12, 1)) == date(9999, 12, 1)
    assert add_months(date(9999, 12, 1), 10**6) == date(9999, 12, 1)


def test_the_roll_up_brings_a_month_out_of_range_to_its_end(world: World) -> None:
    assert cost_centre_rollup(user=world.lr, month=date(1, 1, 1)).month == date(2000, 1, 1)
    far = cost_centre_rollup(user=world.lr, month=date(9999, 12, 1))
    assert far.month.month == 12 and far.month.year < 9999


@pytest.mark.parametrize("profile", ["LIGHT", "USER"])
def test_roll_up_needs_the_capability(world: World, profile: str) -> None:
    client = signed_in(world.by_profile(profile))
    assert client.get(reverse("costs:cost-centre-rollup")).status_code == 403


def test_roll_up_shows_only_the_companys_figures(world: World) -> None:
    """The page takes no object: another company's invoices and usage never count."""
    offices = centre(world)
    moved(world.lr_line, offices, date(2026, 1, 1))
    InvoiceFactory(company=world.outsider_company, issue_date=date(2026, 10, 9))
    usage(world.outsider_line, OCT, sms=40, cost="9")
    rollup = cost_centre_rollup(user=world.lr, month=OCT)
    assert rollup.total.current.sms == 0
    assert rollup.total.current.invoiced == Decimal("100.00")  # the world's own invoice


def test_roll_up_queries_do_not_grow_with_lines(
    world: World,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    centres = [centre(world, code=f"C{n}", name=f"Centro {n}") for n in range(5)]
    for n in range(60):
        line = LineFactory(contract=world.mobile)
        moved(line, centres[n % 5], date(2026, 9, 1))
        usage(line, OCT, data_kb=1024, seconds=60, sms=1, cost="0.5")
        usage(line, NOV, data_kb=2048, cost="0.25")
    invoice_with_rows(world, NOV.replace(day=5), [(world.lr_line, centres[0], "1.00")])
    client = signed_in(world.lr)
    url = reverse("costs:cost-centre-rollup")
    client.get(url)
    with django_assert_max_num_queries(14):
        response = client.get(url, {"month": "2026-11"})
    assert response.status_code == 200
    rows = by_code(cost_centre_rollup(user=world.lr, month=NOV))
    assert rows["C0"].current.data_mb == Decimal("24.0")
    assert rows["C0"].previous.sms == 12
