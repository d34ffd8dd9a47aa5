"""Billing of issue 15 in a real browser, with axe-core and at 390 px: a LIGHT pays the
personal invoice of their Dual Billing line."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_light_pays_their_personal_invoice_on_a_phone(page: Page, demo_site: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, demo_site, "light")
    page.goto(f"{demo_site}/fatture/personali/")
    page.locator("tbody th a").first.click()
    pay = page.get_by_role("button", name="Paga online")
    expect(pay).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "light-personal-invoice-to-pay")
    pay.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagamento con carta")


def test_lr_switches_nocarta_off_on_a_phone(page: Page, demo_site: str) -> None:
    from accounts.models import User
    from billing.models import BillingProfile

    company = User.objects.get(username="legale").company
    BillingProfile.objects.update_or_create(company=company, defaults={"paperless": True})
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, demo_site, "legale")
    page.goto(f"{demo_site}/fatture/impostazioni/")
    expect(page.get_by_role("link", name="Attiva NoCarta", exact=True)).to_have_count(0)
    page.get_by_role("link", name="Disattiva NoCarta").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "legale-nocarta-off")
    page.get_by_label("Voglio ricevere di nuovo anche la fattura cartacea").check()
    page.get_by_role("button", name="Invia la richiesta").click()
    expect(page.get_by_text("la seguirai da questa pagina")).to_be_visible()
    expect(page.get_by_role("link", name="Disattiva NoCarta")).to_have_count(0)
