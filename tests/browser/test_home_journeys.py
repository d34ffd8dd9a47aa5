"""The home of each demo profile, on a laptop and on a 390×844 phone: the cards its
capabilities allow, no accessibility violation (axe-core), no horizontal scroll."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser

CARDS = {
    "legale": ["Da pagare", "Consumi di", "Richieste aperte dell'azienda", "Dipendenti"],
    "full": ["Da pagare", "Consumi di", "Richieste aperte dell'azienda"],
    "light": ["Da pagare", "Consumi di", "Le tue richieste aperte"],
    "utente": ["Consumi di", "Le tue richieste aperte"],
}
ALL_CARDS = ["Da pagare", "Consumi di", "Richieste aperte", "Le tue richieste", "Dipendenti"]


@pytest.mark.parametrize("username", list(CARDS))
def test_home_of_each_profile_on_a_laptop_and_a_phone(
    page: Page, demo_site: str, username: str
) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, demo_site, username)
    cards = page.locator(".home-cards").get_by_role("heading", level=2)
    expect(cards).to_have_count(len(CARDS[username]))
    for heading, expected in zip(cards.all(), CARDS[username], strict=True):
        expect(heading).to_contain_text(expected)
    assert_accessible(page, f"{username}-home-desktop")

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, f"{username}-home-390")


def test_the_pay_button_takes_one_click(page: Page, demo_site: str) -> None:
    sign_in(page, demo_site, "legale")
    pay = page.locator(".home-cards").get_by_role("button", name="Paga la fattura")
    if pay.count() == 0:
        pytest.skip("the demo company has no overdue invoice today")
    pay.first.click()
    expect(page).not_to_have_url(f"{demo_site}/")
