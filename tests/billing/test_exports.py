"""The accountant's spreadsheets (B8): the invoice list with its filters, one invoice's rows;
`;` and decimal comma in CSV, numbers and € in XLSX, nothing a spreadsheet would run."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import CostCentre
from billing.models import Invoice, InvoiceItem
from core.exports import sheet_name
from tests.conftest import World, client_for
from tests.consumption.test_export_injection import NS, sheet_cells
from tests.factories import InvoiceFactory

HOSTILE = '=HYPERLINK("http://x","y")'


def _content(response) -> bytes:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


def _csv(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    text = _content(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))


def test_the_invoice_list_as_csv_keeps_the_filters(world: World) -> None:
    paid = InvoiceFactory(
        company=world.company, contract=world.mobile, status="PAID", paid_at="2026-10-20T10:00Z"
    )
    response = client_for(world.full).get(
        reverse("billing:invoice-export"), {"formato": "csv", "status": "OPEN"}
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][:2] == ["Numero", "Data di emissione"]
    assert rows[0][6:10] == ["Imponibile", "IVA", "Fuori campo IVA", "Totale"]
    numbers = [row[0] for row in rows[1:]]
    assert numbers == [world.invoice.number]  # open only: not the paid one, not personal
    assert paid.number not in numbers
    row = rows[1]
    assert row[1] == "05/10/2026"
    assert row[6:10] == ["100,00", "22,00", "0,00", "122,00"]
    assert row[10] == world.invoice.status_label
    assert row[11] == "Bonifico"


def test_the_invoice_list_as_xlsx(world: World) -> None:
    response = client_for(world.lr).get(reverse("billing:invoice-export"), {"formato": "xlsx"})
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    cells = sheet_cells(_content(response))
    assert cells["A1"].get("text") == "Numero"
    assert cells["A2"].get("text") == world.invoice.number
    total = cells["J2"]
    assert total.get("t") is None and total.findtext("x:v", namespaces=NS) == "122"
    assert "A3" not in cells  # neither the personal nor the outsider's invoice


def test_an_unknown_format_is_400(world: World) -> None:
    url = reverse("billing:invoice-export")
    assert client_for(world.lr).get(url, {"formato": "pdf"}).status_code == 400


def test_the_list_export_has_a_query_bar(world: World, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    for _ in range(30):
        InvoiceFactory(company=world.company, contract=world.mobile)
    client = client_for(world.lr)
    with django_assert_max_num_queries(12):
        rows = _csv(client.get(reverse("billing:invoice-export"), {"formato": "csv"}))
    assert len(rows) == 32


@pytest.fixture
def rows_world(world: World) -> World:
    centre = CostCentre.objects.create(company=world.company, code="VEND", name="Vendite")
    InvoiceItem.objects.create(
        invoice=world.invoice,
        line=world.lr_line,
        cost_centre=centre,
        category="TRAFFIC",
        service=HOSTILE,
        quantity=Decimal("12.500"),
        amount=Decimal("3.45"),
        vat_rate=22,
    )
    InvoiceItem.objects.create(
        invoice=world.invoice, category="TAX", service="TCG", amount=Decimal("12.91")
    )
    return world


def test_one_invoices_rows_as_csv(rows_world: World) -> None:
    world = rows_world
    url = reverse("billing:invoice-rows-export", args=[world.invoice.pk])
    rows = _csv(client_for(world.lr).get(url, {"formato": "csv"}))
    assert rows[0] == [
        "Linea",
        "Centro di costo",
        "Categoria",
        "Servizio",
        "Quantità",
        "Importo",
        "Aliquota IVA",
    ]
    by_service = {row[3]: row for row in rows[1:]}
    hostile = by_service["'" + HOSTILE]  # written as text, never run
    assert hostile[0].removeprefix("'") == world.lr_line.number
    assert hostile[1] == "VEND · Vendite"
    assert hostile[2] == "Traffico"
    assert hostile[4:7] == ["12,5", "3,45", "22,00"]
    assert by_service["TCG"][0] == "Contratto"
    assert by_service["TCG"][6] == "Fuori campo IVA"


def test_one_invoices_rows_as_xlsx_are_text_and_numbers(rows_world: World) -> None:
    world = rows_world
    url = reverse("billing:invoice-rows-export", args=[world.invoice.pk])
    cells = sheet_cells(_content(client_for(world.light).get(url, {"formato": "xlsx"})))
    assert not [ref for ref, cell in cells.items() if cell.find("x:f", NS) is not None]
    row = next(ref[1:] for ref, cell in cells.items() if cell.get("text") == HOSTILE)
    assert cells[f"F{row}"].get("t") is None
    assert cells[f"F{row}"].findtext("x:v", namespaces=NS) == "3.45"


def test_exports_of_another_companys_or_a_personal_invoice_are_404(world: World) -> None:
    client = client_for(world.lr)
    for invoice in (world.outsider_invoice, world.personal_invoice):
        url = reverse("billing:invoice-rows-export", args=[invoice.pk])
        assert client.get(url).status_code == 404


def test_exports_without_the_capability_are_403(world: World) -> None:
    client = client_for(world.user)
    assert client.get(reverse("billing:invoice-export")).status_code == 403
    url = reverse("billing:invoice-rows-export", args=[world.invoice.pk])
    assert client.get(url).status_code == 403


def test_the_pages_offer_the_exports_to_who_may(world: World) -> None:
    page = client_for(world.lr).get(reverse("billing:index"), {"status": "OPEN"}).content.decode()
    assert f"{reverse('billing:invoice-export')}?formato=csv&amp;status=OPEN" in page
    assert reverse("billing:archives") in page
    detail = client_for(world.lr).get(reverse("billing:invoice-detail", args=[world.invoice.pk]))
    assert (
        reverse("billing:invoice-rows-export", args=[world.invoice.pk]) in detail.content.decode()
    )
    assert Invoice.objects.filter(pk=world.invoice.pk).exists()


def test_an_invoice_number_excel_refuses_in_a_sheet_name_still_exports(world: World) -> None:
    # / \ ? * [ ] : cannot be in a sheet's name: xlsxwriter raised, and the export was a 500.
    Invoice.objects.filter(pk=world.invoice.pk).update(number="FT/2026\\1?*[a]:b-lunghissimo")
    url = reverse("billing:invoice-rows-export", args=[world.invoice.pk])
    content = _content(client_for(world.lr).get(url, {"formato": "xlsx"}))
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        workbook = book.read("xl/workbook.xml").decode()
    name = re.search(r'<sheet name="([^"]*)"', workbook)
    assert name is not None
    assert name[1] == "Fattura FT-2026-1---a--b-lunghi"


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("Fatture", "Fatture"),
        ("a/b\\c?d*e[f]g:h", "a-b-c-d-e-f-g-h"),
        ("x" * 40, "x" * 31),
        ("'quoted'", "quoted"),
        ("", "Foglio1"),
    ],
)
def test_any_sheet_name_is_made_valid(name: str, written: str) -> None:
    assert sheet_name(name) == written
