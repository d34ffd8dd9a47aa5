"""Each demo profile signs in, sees exactly its sections, meets no accessibility violation
(axe-core, WCAG 2.1 A and AA) and signs out, in a real browser."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "Demo-2026!"
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
ALL_SECTIONS = [
    "Fatture e pagamenti",
    "Consumi",
    "Controllo costi",
    "Visualizza profilo e dati azienda",
    "Linee e servizi",
    "Offerte per te",
    "Assistenza online",
    "Tracking delle richieste",
]
HEADINGS: dict[str, str] = {}
MENUS = {
    "legale": ("Rappresentante Legale", ALL_SECTIONS),
    "full": ("Amministratore Full", ALL_SECTIONS),
    # No cost control (K1–K4) nor company-wide tracking (T1).
    "light": (
        "Amministratore Light",
        [
            name
            for name in ALL_SECTIONS
            if name not in {"Controllo costi", "Tracking delle richieste"}
        ],
    ),
    "utente": (
        "Utilizzatore",
        ["Consumi", "Visualizza profilo e dati azienda", "Assistenza online"],
    ),
}


def assert_accessible(page: Page, name: str) -> None:
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


def open_section(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Sezioni").get_by_role("link", name=name).click()


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accedi/")
    page.get_by_label("Nome utente").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Accedi", exact=True).click()
    expect(page).to_have_url(f"{base}/")


def tab_to(page: Page, text: str, limit: int = 120) -> None:
    """Press Tab until the focused element is the one showing `text` (its own text, or
    its label's): the way a keyboard user gets there."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
                const el = document.activeElement;
                const label = el.labels && el.labels.length ? el.labels[0].textContent : "";
                return (el.textContent + " " + label + " " + (el.value || "")).trim();
            }"""
        )
        if text in focused:
            return
    raise AssertionError(f"{text!r} cannot be reached with the keyboard")


@pytest.mark.parametrize("username", list(MENUS))
def test_profile_journey(page: Page, demo_site: str, username: str) -> None:
    profile, sections = MENUS[username]
    page.goto(f"{demo_site}/accedi/")
    assert_accessible(page, "login")
    sign_in(page, demo_site, username)
    expect(page.locator(".user-profile")).to_have_text(profile)

    menu = page.get_by_role("navigation", name="Sezioni").get_by_role("link")
    expect(menu).to_have_text(sections)
    assert_accessible(page, f"{username}-dashboard")
    for label in sections:
        open_section(page, label)
        expect(page.get_by_role("heading", level=1)).to_have_text(HEADINGS.get(label, label))
        assert_accessible(page, f"{username}-{label}")

    page.get_by_role("button", name="Esci").click()
    expect(page).to_have_url(f"{demo_site}/accedi/")
    page.goto(f"{demo_site}/")
    expect(page).to_have_url(f"{demo_site}/accedi/?next=/")


def test_forbidden_section_shows_the_403_page(page: Page, demo_site: str) -> None:
    sign_in(page, demo_site, "utente")
    response = page.goto(f"{demo_site}/fatture/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Accesso non consentito")
    assert_accessible(page, "utente-403")


def test_keyboard_only_sign_in_and_skip_link(page: Page, demo_site: str) -> None:
    page.goto(f"{demo_site}/accedi/")
    expect(page.get_by_label("Nome utente")).to_be_focused()  # autofocus
    page.keyboard.type("full")
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{demo_site}/")
    expect(page.locator(".user-profile")).to_have_text("Amministratore Full")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Vai al contenuto principale")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    # The next stop is inside the content, past the header and the menu.
    assert page.evaluate(
        "document.activeElement !== document.querySelector('main')"
        " && document.querySelector('main').contains(document.activeElement)"
    )


def test_language_switch_in_the_browser(page: Page, demo_site: str) -> None:
    sign_in(page, demo_site, "legale")
    page.get_by_label("Lingua").select_option("en")
    page.get_by_role("button", name="Cambia").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".user-profile")).to_have_text("Legal Representative")
    assert_accessible(page, "legale-dashboard-en")


def test_lr_changes_an_employees_profile_r3(page: Page, demo_site: str, browser) -> None:  # type: ignore[no-untyped-def]
    """R3: log in → Visualizza profilo e dati azienda → select the employee → Modifica →
    choose the profile → save; the employee's open session shows the new sections."""
    employee = browser.new_context(locale="it-IT").new_page()
    sign_in(employee, demo_site, "utente")
    menu = employee.get_by_role("navigation", name="Sezioni").get_by_role("link")
    expect(menu).to_have_text(MENUS["utente"][1])

    sign_in(page, demo_site, "legale")
    open_section(page, "Visualizza profilo e dati azienda")
    page.get_by_role("link", name="Dipendenti e profili web").click()
    assert_accessible(page, "legale-employees")
    page.get_by_role("link", name="Modifica Sara Galli").click()
    assert_accessible(page, "legale-employee-edit")
    page.get_by_label("Amministratore Full").check()
    page.get_by_role("button", name="Salva", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Conferma il cambio di profilo")
    assert_accessible(page, "legale-employee-confirm")
    # "Annulla" brings the page back, the profile as it was; then the change again.
    page.get_by_role("button", name="Annulla").click()
    expect(page.get_by_label("Utilizzatore")).to_be_checked()
    page.get_by_label("Amministratore Full").check()
    page.get_by_role("button", name="Salva", exact=True).click()
    page.get_by_role("button", name="Conferma").click()
    expect(page.get_by_role("status")).to_contain_text("Profilo di Sara Galli aggiornato")
    expect(page.get_by_text("profilo web attuale: Amministratore Full")).to_be_visible()

    employee.reload()  # the next request, no new login
    expect(employee.locator(".user-profile")).to_have_text("Amministratore Full")
    expect(menu).to_have_text(ALL_SECTIONS)
    employee.context.close()


def test_full_admin_pays_an_open_invoice_in_the_sandbox(page: Page, demo_site: str) -> None:
    sign_in(page, demo_site, "full")
    open_section(page, "Fatture e pagamenti")
    page.get_by_label("Stato").select_option("OPEN")
    page.get_by_role("button", name="Filtra").click()
    assert_accessible(page, "full-invoices-open")
    page.locator("tbody th a").first.click()
    assert_accessible(page, "full-invoice-detail")
    page.get_by_role("button", name="Paga online").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagamento con carta")
    assert_accessible(page, "sandbox-checkout")
    page.get_by_label("Numero della carta").fill("4242 4242 4242 4242")
    page.get_by_label("Scadenza (MM/AA)").fill("12/39")
    page.get_by_label("Codice di sicurezza (CVC)").fill("123")
    page.get_by_role("button", name="Paga").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagamento riuscito")
    assert_accessible(page, "payment-receipt")


def test_user_tops_up_their_sim(page: Page, demo_site: str) -> None:
    sign_in(page, demo_site, "utente")
    open_section(page, "Consumi")
    page.locator("tbody th a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Consumi della SIM")
    assert_accessible(page, "utente-sim-usage")
    page.get_by_role("link", name="Ricarica online").click()
    assert_accessible(page, "utente-top-up")
    page.get_by_label("25 €").check()
    page.get_by_role("button", name="Vai al pagamento").click()
    page.get_by_label("Numero della carta").fill("4242 4242 4242 4242")
    page.get_by_label("Scadenza (MM/AA)").fill("12/39")
    page.get_by_label("Codice di sicurezza (CVC)").fill("123")
    page.get_by_role("button", name="Paga").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ricarica effettuata")
    assert_accessible(page, "utente-top-up-done")


def test_full_admin_pays_an_invoice_with_the_keyboard_only(page: Page, demo_site: str) -> None:
    sign_in(page, demo_site, "full")
    page.goto(f"{demo_site}/fatture/?status=OPEN")
    number = page.locator("tbody th a").first.inner_text()
    tab_to(page, number)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    tab_to(page, "Paga online")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagamento con carta")
    tab_to(page, "Numero della carta")
    page.keyboard.type("4242 4242 4242 4242")
    page.keyboard.press("Tab")
    page.keyboard.type("12/39")
    page.keyboard.press("Tab")
    page.keyboard.type("123")
    page.keyboard.press("Enter")  # submits the form, as a keyboard user does
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagamento riuscito")
