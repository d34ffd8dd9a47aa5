"""The personal e-mail change (issue 13, item 6) in a real browser, with axe-core."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import assert_accessible, open_section, sign_in

pytestmark = pytest.mark.browser


def test_user_asks_to_change_their_email(page: Page, demo_site: str) -> None:
    sign_in(page, demo_site, "utente")  # signing in counts as the recent password
    open_section(page, "Visualizza profilo e dati azienda")
    page.get_by_role("link", name="Modifica i tuoi dati personali").click()
    expect(page.get_by_label("E-mail")).to_have_count(0)  # no longer a plain field
    assert_accessible(page, "utente-personal-data")
    page.get_by_role("link", name="Cambia l'e-mail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("La tua e-mail")
    assert_accessible(page, "utente-personal-email")
    page.get_by_label("Nuovo indirizzo e-mail").fill("sara.nuova@example.it")
    page.get_by_role("button", name="Invia il link di conferma").click()
    expect(page).to_have_url(f"{demo_site}/profilo/dati-personali/")
    expect(page.get_by_role("status")).to_contain_text("sara.nuova@example.it")
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{demo_site}/profilo/dati-personali/email/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
