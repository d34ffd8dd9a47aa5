"""Forms and copy of issue 15 in a real browser, with axe-core and at 390 px: a phone typed as
people type it, one clear message per field, the product's own 404 page."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import assert_accessible, open_section, sign_in

pytestmark = pytest.mark.browser


def fits_the_phone(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_person_types_their_phone_as_they_say_it(page: Page, demo_site: str) -> None:
    sign_in(page, demo_site, "utente")
    open_section(page, "Visualizza profilo e dati azienda")
    page.get_by_role("link", name="Modifica i tuoi dati personali").click()
    phone = page.get_by_label("Telefono")
    expect(phone).to_have_value("+39 335 100 0004")  # stored in E.164, shown grouped
    expect(
        page.get_by_text("Cellulare o fisso, ad esempio 333 1234567 o 06 5550101.")
    ).to_be_visible()

    phone.fill("333 12")
    page.get_by_role("button", name="Salva").click()
    errors = page.locator(".invalid-feedback p")
    expect(errors).to_have_count(1)
    expect(errors).to_contain_text("Numero di telefono non valido")
    assert_accessible(page, "utente-personal-data-phone-error")
    fits_the_phone(page)

    page.get_by_label("Telefono").fill("06 5550101")
    page.get_by_role("button", name="Salva").click()
    expect(page.get_by_role("status")).to_contain_text("Dati personali salvati.")
    expect(page.get_by_label("Telefono")).to_have_value("+39 06 555 0101")


def test_a_missing_page_is_the_products_own(page: Page, demo_site: str) -> None:
    sign_in(page, demo_site, "legale")
    response = page.goto(f"{demo_site}/fatture/999999/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagina non trovata")
    expect(page.get_by_role("link", name="Torna alla home")).to_be_visible()
    assert_accessible(page, "legale-404")
    fits_the_phone(page)
