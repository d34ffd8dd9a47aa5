"""The offer's terms before activating, on a 390 px phone, with axe-core (issue 15)."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_the_summary_shows_the_terms_to_accept_on_a_phone(page: Page, demo_site: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, demo_site, "legale")
    page.goto(f"{demo_site}/offerte/centralino-cloud/")
    page.locator("input[name=lines]").first.check()
    page.get_by_role("button", name="Vedi il riepilogo dei costi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Riepilogo dell'attivazione")
    terms = page.get_by_role("region", name="Condizioni dell'offerta")
    expect(terms).to_contain_text("Durata minima: 24 mesi.")
    expect(terms).to_contain_text("Costo di recesso anticipato per linea: 99,00 €.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "legale-offer-terms-phone")
    # Without the acceptance the browser does not send the confirmation.
    page.get_by_role("button", name="Conferma l'attivazione").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Riepilogo dell'attivazione")
    page.get_by_label("Ho letto e accetto le condizioni dell'offerta").check()
    page.get_by_role("button", name="Conferma l'attivazione").click()
    expect(page.get_by_text("l'offerta comparirà tra i servizi delle linee")).to_be_visible()
