"""Paying several invoices at once in a real browser: ticked on the list (the sum shown as
they are ticked), confirmed with the total, paid on the sandbox's card page, both paid."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from billing.models import Invoice, Payment
from tests.browser.test_journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def fits_a_phone(page: Page) -> None:
    size = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    if size is not None:
        page.set_viewport_size(size)


def euro(amount: Decimal) -> str:
    whole, cents = f"{amount:.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return f"{grouped},{cents}"


def test_two_invoices_ticked_are_paid_in_one_go(page: Page, demo_site: str) -> None:
    sign_in(page, demo_site, "full")
    page.goto(f"{demo_site}/fatture/?status=OPEN")
    boxes = page.locator('input[name="invoice"]')
    assert boxes.count() >= 2
    ids = [int(boxes.nth(i).get_attribute("value") or 0) for i in range(2)]
    invoices = [Invoice.objects.get(pk=pk) for pk in ids]
    total = sum((invoice.total for invoice in invoices), Decimal("0.00"))
    summary = page.locator(".pay-several-sum")
    expect(summary).to_have_text("Nessuna fattura selezionata.")
    page.get_by_label(f"Seleziona la fattura {invoices[0].number} da pagare").check()
    # One plural message, both forms from the server: never "{n}" left on screen.
    expect(summary).to_have_text(
        re.compile(rf"^1 fattura selezionata: {re.escape(euro(invoices[0].total))}\s€$")
    )
    page.get_by_label(f"Seleziona la fattura {invoices[1].number} da pagare").check()
    expect(summary).to_contain_text("2 fatture selezionate:")
    expect(summary).to_contain_text(euro(total))
    assert_accessible(page, "full-invoices-pay-several")
    fits_a_phone(page)

    page.get_by_role("button", name="Paga le selezionate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Paga più fatture")
    table = page.get_by_role("table")
    for invoice in invoices:
        expect(table).to_contain_text(invoice.number)
    expect(table).to_contain_text(euro(total))
    assert_accessible(page, "full-invoices-pay-several-confirm")
    fits_a_phone(page)

    page.get_by_role("button", name="Paga online").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagamento con carta")
    # Left for a moment: each invoice's page tells it is one payment of both.
    page.goto(f"{demo_site}/fatture/{ids[0]}/")
    status = page.locator(".alert-info")
    expect(status).to_contain_text("un unico pagamento di 2 fatture, compresa questa")
    expect(status).to_contain_text(euro(total))
    page.get_by_text("Fatture di questo pagamento").click()
    expect(status.get_by_role("link", name=invoices[1].number)).to_be_visible()
    cancel = page.get_by_role("button", name="Annulla il pagamento di tutte le 2 fatture")
    expect(cancel).to_be_visible()
    assert_accessible(page, "full-invoices-pay-several-detail")
    fits_a_phone(page)
    page.get_by_role("link", name="Riprendi il pagamento delle 2 fatture").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagamento con carta")
    page.get_by_label("Numero della carta").fill("4242 4242 4242 4242")
    page.get_by_label("Scadenza (MM/AA)").fill("12/39")
    page.get_by_label("Codice di sicurezza (CVC)").fill("123")
    page.get_by_role("button", name="Paga").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Pagamento riuscito")
    expect(page.get_by_role("status").first).to_contain_text("Le 2 fatture sono pagate")
    paid = page.get_by_role("table", name="Fatture di questo pagamento, con l'importo di ciascuna")
    for invoice in invoices:
        expect(paid).to_contain_text(invoice.number)
        expect(paid).to_contain_text(euro(invoice.total))
    expect(paid).to_contain_text(euro(total))
    assert_accessible(page, "full-invoices-pay-several-receipt")
    fits_a_phone(page)

    assert {invoice.status for invoice in Invoice.objects.filter(pk__in=ids)} == {
        Invoice.Status.PAID
    }
    payment = Payment.objects.get(purpose=Payment.Purpose.INVOICES)
    assert payment.status == Payment.Status.SUCCEEDED and payment.amount == total
    receipt = [m for m in mail.outbox if m.subject == "Ricevuta del pagamento di 2 fatture"]
    assert len(receipt) == 1 and all(i.number in receipt[0].body for i in invoices)

    page.goto(f"{demo_site}/fatture/?status=OPEN")
    for invoice in invoices:
        expect(page.get_by_role("link", name=invoice.number)).to_have_count(0)
