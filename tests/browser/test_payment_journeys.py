"""Payments in a real browser: a card page left open is resumed or cancelled by the person
who started it while a colleague sees who is paying; operators watch the refunds due."""

import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from billing.models import Invoice, Payment
from tests.browser.test_journeys import assert_accessible, sign_in
from tests.browser.test_support_journeys import sign_in_operator

pytestmark = pytest.mark.browser


def test_an_abandoned_card_page_is_resumed_or_cancelled(
    page: Page, browser: Browser, demo_site: str
) -> None:
    sign_in(page, demo_site, "full")
    page.goto(f"{demo_site}/fatture/?status=OPEN")
    number = page.locator("tbody th a").first.inner_text()
    page.locator("tbody th a").first.click()
    invoice_url = page.url
    page.get_by_role("button", name="Paga online").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagamento con carta")
    page.goto(invoice_url)  # the card page left for the invoice
    expect(page.get_by_role("status").first).to_contain_text("Hai avviato il pagamento")
    assert_accessible(page, "full-invoice-payment-in-progress")
    page.get_by_role("link", name="Riprendi il pagamento").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagamento con carta")

    colleague = browser.new_context(locale="it-IT", timezone_id="Europe/Rome").new_page()
    sign_in(colleague, demo_site, "legale")
    colleague.goto(invoice_url)
    expect(colleague.get_by_role("status").first).to_contain_text("avviato da Laura Conti")
    expect(colleague.get_by_role("button", name="Paga online")).to_have_count(0)
    assert_accessible(colleague, "legale-invoice-colleague-paying")
    colleague.set_viewport_size({"width": 390, "height": 800})
    assert colleague.evaluate("document.documentElement.scrollWidth") <= 390

    page.goto(invoice_url)
    page.get_by_role("button", name="Annulla").click()
    expect(page.get_by_text("Pagamento annullato: non è stato addebitato nulla.")).to_be_visible()
    colleague.reload()
    colleague.get_by_role("button", name="Paga online").click()
    expect(colleague.get_by_role("heading", level=1)).to_have_text("Pagamento con carta")
    expect(colleague.get_by_text(f"Fattura {number}")).to_be_visible()
    colleague.context.close()


def test_operators_see_the_refunds_still_due(page: Page, demo_site: str) -> None:
    invoice = Invoice.objects.filter(status=Invoice.Status.OPEN).first()
    assert invoice is not None
    Payment.objects.create(
        invoice=invoice,
        invoice_revision=invoice.revision,
        amount=invoice.total,
        description=f"Fattura {invoice.number}",
        provider="sandbox",
        provider_reference="sbx_browser_refund",
        idempotency_key=uuid.uuid4().hex,
        status=Payment.Status.REFUND_DUE,
        failure_reason="already_paid",
        refund_attempts=2,
        refund_error="503 from the provider",
        refund_tried_at=timezone.now(),
        completed_at=timezone.now(),
        created_by=User.objects.get(username="full"),
    )
    sign_in_operator(page, demo_site)
    page.get_by_role("link", name="Rimborsi da eseguire").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rimborsi da eseguire")
    expect(page.get_by_role("table")).to_contain_text("sbx_browser_refund")
    assert_accessible(page, "operator-refunds")
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
