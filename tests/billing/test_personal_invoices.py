"""Dual Billing personal invoices belong to the person they were issued to, whoever holds
the line later (issue 13, item 5)."""

import uuid
from io import BytesIO

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Line
from billing.models import Invoice
from billing.services import InvoiceDataError, invoice_import
from tests.conftest import World, client_for


def personal_record(world: World, number: str, amount: str = "20.00") -> dict[str, object]:
    return {
        "number": number,
        "company_vat_number": world.company.vat_number,
        "contract": world.mobile.number,
        "personal_line": world.light_line.number,
        "issue_date": "2026-10-05",
        "period_start": "2026-09-01",
        "period_end": "2026-09-30",
        "due_date": "2026-10-25",
        "items": [
            {
                "line": world.light_line.number,
                "category": "TRAFFIC",
                "service": "Traffico personale",
                "amount": amount,
                "vat_rate": "22",
            }
        ],
    }


def sees(user, invoice: Invoice) -> bool:  # type: ignore[no-untyped-def]
    client = client_for(user)
    listed = invoice.number in client.get(reverse("billing:personal-invoices")).content.decode()
    detail = client.get(reverse("billing:invoice-detail", args=[invoice.pk])).status_code
    pdf = client.get(reverse("billing:invoice-pdf", args=[invoice.pk])).status_code
    assert (detail == 200) == listed == (pdf == 200), (listed, detail, pdf)
    return listed


def move_line(world: World, to) -> None:  # type: ignore[no-untyped-def]
    Line.objects.filter(pk=world.light_line.pk).update(assignee=to)


def test_a_personal_invoice_stays_with_the_person_it_was_issued_to(world: World) -> None:
    old = invoice_import(personal_record(world, "FT-P-1")).invoice
    assert old.billed_to == world.light
    move_line(world, world.full)  # the SIM goes to a colleague

    assert sees(world.light, old)  # still the first holder's
    assert not sees(world.full, old)  # not handed to the new holder
    assert not sees(world.lr, old)
    # The next month's invoice is the new holder's.
    new = invoice_import(personal_record(world, "FT-P-2")).invoice
    assert new.billed_to == world.full
    assert sees(world.full, new) and not sees(world.light, new)


def test_a_correction_after_the_move_stays_with_the_person_billed(world: World) -> None:
    invoice_import(personal_record(world, "FT-P-3"))
    move_line(world, world.full)
    corrected = invoice_import(personal_record(world, "FT-P-3", amount="25.00")).invoice
    assert corrected.revision == 2 and corrected.billed_to == world.light
    assert sees(world.light, corrected) and not sees(world.full, corrected)


def test_the_pdf_names_the_person_billed_not_the_holder_of_today(world: World) -> None:
    invoice = invoice_import(personal_record(world, "FT-P-4")).invoice
    move_line(world, world.full)
    response = client_for(world.light).get(reverse("billing:invoice-pdf", args=[invoice.pk]))
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    assert world.light.get_full_name() in text and world.full.get_full_name() not in text


# --- The billing system names the person billed (D1) ---------------------------------------


def test_an_invoice_imported_after_the_line_moved_goes_to_the_person_the_record_names(
    world: World,
) -> None:
    """September's invoice, issued to the LIGHT admin, arrives after the SIM went to a
    colleague: it is still the LIGHT admin's, not the new holder's."""
    move_line(world, world.full)
    record = personal_record(world, "FT-P-5") | {"billed_to_tax_code": world.light.tax_code}
    invoice = invoice_import(record).invoice
    assert invoice.billed_to == world.light
    assert sees(world.light, invoice) and not sees(world.full, invoice)


def test_a_correction_naming_another_person_moves_the_open_invoice_to_them(
    world: World,
) -> None:
    invoice_import(personal_record(world, "FT-P-6"))  # no name: the holder, LIGHT
    record = personal_record(world, "FT-P-6") | {"billed_to_tax_code": world.full.tax_code.lower()}
    corrected = invoice_import(record)
    assert corrected.changed and corrected.invoice.revision == 2
    assert corrected.invoice.billed_to == world.full
    assert not invoice_import(record).changed  # the same record again changes nothing


@pytest.mark.parametrize(
    ("named", "why"),
    [
        ("outsider", "billed_to_tax_code: not a person of that customer"),
        ("unknown", "billed_to_tax_code: not a person of that customer"),
        ("not-personal", "billed_to_tax_code: only for a personal invoice"),
    ],
)
def test_a_person_billed_who_is_not_one_of_the_companys_people_is_refused(
    world: World, named: str, why: str
) -> None:
    record = personal_record(world, "FT-P-7")
    if named == "outsider":
        record["billed_to_tax_code"] = world.outsider_lr.tax_code
    elif named == "unknown":
        record["billed_to_tax_code"] = "ZZZZZZ00Z00Z000Z"
    else:
        record["billed_to_tax_code"] = world.light.tax_code
        del record["personal_line"]
    with pytest.raises(InvoiceDataError, match=why):
        invoice_import(record)
    assert not Invoice.objects.filter(number="FT-P-7").exists()


# --- Paying a personal invoice: only the person it is issued to (issue 15) ----------------


def _start(client, invoice: Invoice):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("billing:invoice-pay", args=[invoice.pk]), {"idempotency_key": uuid.uuid4().hex}
    )


def test_the_person_billed_sees_paga_and_pays_their_personal_invoice(world: World) -> None:
    from billing.models import Payment
    from tests.billing.test_settlement import provider_says

    invoice = invoice_import(personal_record(world, "FT-P-5")).invoice
    client = client_for(world.light)
    page = client.get(reverse("billing:invoice-detail", args=[invoice.pk])).content.decode()
    assert reverse("billing:invoice-pay", args=[invoice.pk]) in page
    assert _start(client, invoice).status_code == 302
    payment = Payment.objects.get(invoice=invoice)
    assert payment.created_by == world.light
    provider_says(payment)
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.SUCCEEDED
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID


def test_nobody_else_pays_a_personal_invoice(world: World) -> None:
    from billing.models import Payment
    from billing.payments import PaymentRefused, payment_start

    invoice = invoice_import(personal_record(world, "FT-P-6")).invoice
    move_line(world, world.full)  # the new holder of the line is not the person billed
    for other in (world.full, world.lr):
        client = client_for(other)
        assert client.get(reverse("billing:invoice-detail", args=[invoice.pk])).status_code == 404
        assert _start(client, invoice).status_code == 404
        with pytest.raises(PaymentRefused):
            payment_start(
                user=other, invoice=invoice, idempotency_key=uuid.uuid4().hex, base_url=""
            )
    assert not Payment.objects.exists()


def test_settlement_refuses_a_personal_invoice_paid_by_someone_else(world: World) -> None:
    from billing.models import Payment
    from tests.billing.test_settlement import provider_says

    invoice = invoice_import(personal_record(world, "FT-P-7")).invoice
    _start(client_for(world.light), invoice)
    Payment.objects.update(created_by=world.full)  # not the person billed
    provider_says(Payment.objects.get())
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.REFUND_DUE and payment.failure_reason == "payer_changed"
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.OPEN
