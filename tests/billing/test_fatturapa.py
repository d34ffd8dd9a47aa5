"""The electronic invoice (FatturaPA 1.2, FPR12): valid for a38, totals to the cent, and
downloadable beside the PDF by whoever may print the invoice."""

from __future__ import annotations

import uuid
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from a38.fattura import auto_from_etree
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.fatturapa import (
    InvalidFatturaPA,
    build,
    filename,
    invoice_fatturapa,
    sdi_errors,
    validation_errors,
)
from billing.models import BillingProfile, Invoice, PaymentMethod
from billing.services import InvoiceDataError, invoice_import
from tests.conftest import World, client_for

NS = "{http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2}"


def _find(root: ElementTree.Element, path: str) -> list[str]:
    return [element.text or "" for element in root.iter() if element.tag.endswith(path)]


def _xml(invoice: Invoice) -> ElementTree.Element:
    return ElementTree.fromstring(invoice_fatturapa(invoice))  # noqa: S314 - our own XML


def _imported(world: World, items: list[dict[str, object]], **extra: object) -> Invoice:
    record: dict[str, object] = {
        "number": f"FT-{uuid.uuid4().hex[:10]}",
        "company_vat_number": world.company.vat_number,
        "contract": world.mobile.number,
        "issue_date": "2026-10-05",
        "period_start": "2026-09-01",
        "period_end": "2026-09-30",
        "due_date": "2026-10-25",
        "items": items,
        **extra,
    }
    return invoice_import(record).invoice


def test_an_invoice_with_vat_and_out_of_scope_items_is_valid(world: World) -> None:
    BillingProfile.objects.create(company=world.company, sdi_code="m5uxcr1")
    invoice = _imported(
        world,
        [
            {
                "line": world.lr_line.number,
                "category": "FEE",
                "service": "Canone",
                "amount": "15.00",
                "vat_rate": "22",
            },
            {
                "line": world.lr_line.number,
                "category": "TRAFFIC",
                "service": "Roaming “UE” – 5 €",
                "amount": "3.33",
                "vat_rate": "22",
            },
            {"category": "ONE_OFF", "service": "Attivazione", "amount": "10.00", "vat_rate": "10"},
            {
                "line": world.lr_line.number,
                "category": "TAX",
                "service": "TCG",
                "amount": "12.91",
                "vat_rate": None,
            },
        ],
    )
    assert validation_errors(build(invoice)) == []
    root = _xml(invoice)
    assert root.attrib["versione"] == "FPR12"
    assert _find(root, "CodiceDestinatario") == ["M5UXCR1"]
    assert _find(root, "PECDestinatario") == []
    assert _find(root, "TipoDocumento") == ["TD01"]
    assert _find(root, "Divisa") == ["EUR"]
    assert _find(root, "Numero") == [invoice.number]
    assert _find(root, "ImportoTotaleDocumento") == [str(invoice.total)]
    assert Decimal(_find(root, "ImportoTotaleDocumento")[0]) == Decimal("46.27")
    assert _find(root, "Natura") == ["N1", "N1"]  # the TCG item and its summary
    # SDI takes Basic Latin and Latin-1 only: typographic signs are made plain.
    assert f'Roaming "UE" - 5 EUR - {world.lr_line.number}' in _find(root, "Descrizione")
    assert all(ord(char) < 256 for char in invoice_fatturapa(invoice).decode())
    assert len(_find(root, "DettaglioLinee")) == 4
    # The operator sells, the company buys.
    assert "09876540010" in _find(root, "IdCodice")
    assert world.company.vat_number in _find(root, "IdCodice")
    assert _find(root, "Denominazione")[-1] == world.company.name
    assert _find(root, "ModalitaPagamento") == ["MP05"]
    assert _find(root, "DataScadenzaPagamento") == ["2026-10-25"]
    assert _find(root, "ImportoPagamento") == [str(invoice.total)]
    # a38 reads back what it wrote.
    parsed = auto_from_etree(root)
    assert validation_errors(parsed) == []


def test_the_recipient_is_the_pec_when_there_is_no_code(world: World) -> None:
    BillingProfile.objects.create(company=world.company, pec="fatture@pec.acme.it")
    root = _xml(world.invoice)
    assert _find(root, "CodiceDestinatario") == ["0000000"]
    assert _find(root, "PECDestinatario") == ["fatture@pec.acme.it"]
    assert validation_errors(build(world.invoice)) == []


def test_without_code_or_pec_the_xml_goes_to_the_cassetto_fiscale(world: World) -> None:
    # SDI accepts "0000000" with no PEC (the invoice waits in the company's cassetto
    # fiscale); a38 is stricter and asks for a PEC, so only the XML is checked here.
    root = _xml(world.invoice)
    assert _find(root, "CodiceDestinatario") == ["0000000"]
    assert _find(root, "PECDestinatario") == []


@pytest.mark.parametrize(
    ("method", "mode"),
    [
        (PaymentMethod.BANK_TRANSFER, "MP05"),
        (PaymentMethod.DIRECT_DEBIT, "MP19"),
        (PaymentMethod.CARD, "MP08"),
        (PaymentMethod.POSTAL, "MP18"),
    ],
)
def test_payment_modes(method: str, mode: str, world: World) -> None:
    BillingProfile.objects.create(company=world.company, sdi_code="ABC1234")
    Invoice.objects.filter(pk=world.invoice.pk).update(payment_method=method)
    world.invoice.refresh_from_db()
    assert _find(_xml(world.invoice), "ModalitaPagamento") == [mode]
    assert validation_errors(build(world.invoice)) == []


def test_file_name_follows_sdi_rules(world: World) -> None:
    name = filename(world.invoice)
    assert name.startswith("IT09876540010_")
    progressive = name.removeprefix("IT09876540010_").removesuffix(".xml")
    assert len(progressive) == 5 and progressive.isalnum()
    assert filename(world.outsider_invoice) != name


amounts = st.decimals(min_value=Decimal("-50"), max_value=Decimal("500"), places=2).filter(
    lambda amount: amount != 0
)
rates = st.sampled_from(["22", "10", "4", None])
items = st.lists(st.tuples(amounts, rates), min_size=1, max_size=12)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=items)
def test_the_xml_totals_equal_the_invoice(
    rows: list[tuple[Decimal, str | None]], world: World
) -> None:
    BillingProfile.objects.update_or_create(company=world.company, defaults={"sdi_code": "ABC1234"})
    invoice = _imported(
        world,
        [
            {"category": "FEE", "service": f"Voce {n}", "amount": str(amount), "vat_rate": rate}
            for n, (amount, rate) in enumerate(rows)
        ],
    )
    fattura = build(invoice)
    assert validation_errors(fattura) == []
    root = _xml(invoice)
    assert Decimal(_find(root, "ImportoTotaleDocumento")[0]) == invoice.total
    taxable = sum(Decimal(v) for v in _find(root, "ImponibileImporto"))
    vat = sum(Decimal(v) for v in _find(root, "Imposta"))
    assert taxable == invoice.taxable + invoice.out_of_scope
    assert vat == invoice.vat
    assert taxable + vat == invoice.total
    # Each summary is the sum of its lines, as SDI checks.
    lines = sum(Decimal(v) for v in _find(root, "PrezzoTotale"))
    assert lines == taxable


# --- The download (B2) ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["lr", "full", "light"])
def test_admins_download_the_xml(who: str, world: World) -> None:
    response = client_for(getattr(world, who)).get(
        reverse("billing:invoice-xml", args=[world.invoice.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert f'attachment; filename="{filename(world.invoice)}"' == response["Content-Disposition"]
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own XML
    assert root.attrib["versione"] == "FPR12"


def test_another_companys_or_personal_invoice_is_404(world: World) -> None:
    client = client_for(world.lr)
    for invoice in (world.outsider_invoice, world.personal_invoice):
        url = reverse("billing:invoice-xml", args=[invoice.pk])
        assert client.get(url).status_code == 404


def test_without_the_capability_403(world: World) -> None:
    url = reverse("billing:invoice-xml", args=[world.invoice.pk])
    assert client_for(world.user).get(url).status_code == 403


def test_the_detail_links_the_xml_beside_the_pdf(world: World) -> None:
    page = client_for(world.lr).get(reverse("billing:invoice-detail", args=[world.invoice.pk]))
    assert reverse("billing:invoice-xml", args=[world.invoice.pk]) in page.content.decode()
    personal = client_for(world.light).get(
        reverse("billing:invoice-detail", args=[world.personal_invoice.pk])
    )
    assert "fattura-elettronica" not in personal.content.decode()


# --- Never an invalid file (review of issue 17) ----------------------------------------------


def test_an_xml_a38_finds_invalid_is_not_served(
    world: World, caplog: pytest.LogCaptureFixture, settings: object
) -> None:
    # A VAT number longer than IdCodice's 28 characters: SDI would reject the file.
    seller = {**settings.INVOICE_SELLER, "vat_number": "IT" + "1" * 40}  # type: ignore[attr-defined]
    settings.INVOICE_SELLER = seller  # type: ignore[attr-defined]
    response = client_for(world.lr).get(reverse("billing:invoice-xml", args=[world.invoice.pk]))
    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/html")
    assert "Fattura elettronica non disponibile" in response.content.decode()
    logged = [r for r in caplog.records if r.levelname == "ERROR" and r.name.startswith("billing")]
    assert logged and world.invoice.number in logged[0].getMessage()
    with pytest.raises(InvalidFatturaPA):
        invoice_fatturapa(world.invoice)


def test_the_cassetto_fiscale_is_not_taken_for_an_error(world: World) -> None:
    # a38 asks for a PEC with the code 0000000; SDI does not: that alone is served.
    assert sdi_errors(build(world.invoice)) == []
    assert validation_errors(build(world.invoice)) != []


@pytest.mark.parametrize("rate", ["0", "0.00", "-22"])
def test_the_import_refuses_a_vat_rate_of_zero_or_less(rate: str, world: World) -> None:
    item = {"category": "FEE", "service": "Canone", "amount": "10.00", "vat_rate": rate}
    before = Invoice.objects.count()
    with pytest.raises(InvoiceDataError, match=r"items\[0\]\.vat_rate: greater than 0"):
        _imported(world, [item])
    assert Invoice.objects.count() == before


def test_the_import_refuses_numbers_longer_than_sdis_twenty_characters(world: World) -> None:
    item = {"category": "FEE", "service": "Canone", "amount": "10.00", "vat_rate": "22"}
    with pytest.raises(InvoiceDataError, match="number: at most 20 characters"):
        _imported(world, [item], number="F" * 21)
    assert _imported(world, [item], number="F" * 20).number == "F" * 20
