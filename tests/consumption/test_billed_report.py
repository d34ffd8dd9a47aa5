"""Reports of services already billed, per company line (C3)."""

import csv
import io
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.roles import Profile
from billing.models import InvoiceItem
from tests.conftest import World, client_for
from tests.factories import InvoiceFactory

URL = reverse("consumption:billed-report")


@pytest.fixture
def billed(world: World) -> World:
    InvoiceItem.objects.create(
        invoice=world.invoice,
        line=world.user_line,
        category="TRAFFIC",
        service="Traffico roaming",
        amount=Decimal("7.50"),
        vat_rate=22,
    )
    InvoiceItem.objects.create(
        invoice=world.personal_invoice,
        line=world.light_line,
        category="TRAFFIC",
        service="Traffico personale",
        amount=Decimal("3.00"),
        vat_rate=22,
    )
    other = InvoiceFactory(company=world.outsider_company, contract=world.outsider_line.contract)
    InvoiceItem.objects.create(
        invoice=other,
        line=world.outsider_line,
        category="FEE",
        service="Canone concorrente",
        amount=Decimal("99.00"),
        vat_rate=22,
    )
    return world


@pytest.mark.parametrize("profile", [Profile.LR, Profile.FULL, Profile.LIGHT])
def test_admins_see_the_services_billed_on_company_lines(profile: Profile, billed: World) -> None:
    page = client_for(billed.by_profile(profile)).get(URL).content.decode()
    assert "Traffico roaming" in page and billed.user_line.number in page
    assert "Traffico personale" not in page  # a personal invoice is not the company's
    assert "Canone concorrente" not in page


def test_users_have_no_reports(billed: World) -> None:
    assert client_for(billed.user).get(URL).status_code == 403


def test_filter_by_line_and_csv(billed: World) -> None:
    client = client_for(billed.lr)
    page = client.get(URL, {"line": billed.user_line.pk}).content.decode()
    assert "Traffico roaming" in page and "7,50\xa0€" in page
    assert "Totale fatturato, IVA esclusa: 7,50\xa0€." in page
    response = client.get(URL, {"line": billed.user_line.pk, "formato": "csv"})
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert (
        rows[0][0] == "Linea"
        and rows[0][-1] == "Importo (€)"
        and rows[1][0] == "'" + billed.user_line.number
        and rows[1][-1] == "7,50"
    )

    # Italian words and dates, the category by its name.
    assert rows[1][2] == f"{billed.invoice.period_start:%d/%m/%Y}"
    assert rows[1][4] == str(InvoiceItem.Category("TRAFFIC").label)


def test_xlsx_of_billed_services(billed: World) -> None:
    response = client_for(billed.lr).get(URL, {"formato": "xlsx"})
    assert response["Content-Disposition"].endswith('servizi-fatturati.xlsx"')
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as workbook:
        sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
        styles = workbook.read("xl/styles.xml").decode()
    assert "Importo (€)" in sheet and "Traffico roaming" in sheet
    assert "<v>7.5</v>" in sheet  # a number, shown with the euro format
    assert "&quot;€&quot;" in styles or '"€"' in styles
    assert "Canone concorrente" not in sheet


def test_another_companys_line_cannot_be_chosen(billed: World) -> None:
    response = client_for(billed.lr).get(URL, {"line": billed.outsider_line.pk})
    assert response.status_code == 200
    page = response.content.decode()
    assert "invalid-feedback" in page and "Canone concorrente" not in page
