"""Assistenza online in a real browser: a customer and an operator chat in two pages, each
seeing the other's messages without reloading; axe-core on every page."""

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import demo_totp_code
from tests.browser.test_journeys import assert_accessible, open_section, sign_in

pytestmark = pytest.mark.browser


def test_customer_and_operator_exchange_messages(
    page: Page, browser: Browser, demo_site: str
) -> None:
    sign_in(page, demo_site, "full")
    open_section(page, "Assistenza online")
    assert_accessible(page, "full-support")
    page.get_by_role("link", name="Chatta con un operatore").click()
    page.get_by_label("Argomento").fill("Fattura di ottobre")
    page.get_by_label("Il tuo messaggio").fill("Non trovo la fattura di ottobre.")
    page.get_by_role("button", name="Inizia la chat").click()
    log = page.get_by_role("log")
    expect(log).to_contain_text("Non trovo la fattura di ottobre.")
    assert_accessible(page, "full-chat")

    operator = browser.new_context(locale="it-IT").new_page()
    sign_in_operator(operator, demo_site)
    operator.goto(f"{demo_site}/backoffice/chat/")
    operator.get_by_role("link", name="Fattura di ottobre").click()
    operator.get_by_role("button", name="Prendi in carico").click()
    operator_log = operator.get_by_role("log")
    expect(operator_log).to_contain_text("Non trovo la fattura di ottobre.")
    assert_accessible(operator, "operator-chat")

    operator.get_by_label("Scrivi un messaggio").fill("La trova in Fatture e pagamenti.")
    operator.get_by_role("button", name="Invia").click()
    expect(operator.get_by_label("Scrivi un messaggio")).to_have_value("")
    # The customer's page shows it without a reload, and the chat is now with an operator.
    expect(log).to_contain_text("La trova in Fatture e pagamenti.")
    expect(page.locator("#chat-state")).to_contain_text("Con un operatore")

    page.get_by_label("Scrivi un messaggio").fill("Trovata, grazie!")
    page.get_by_role("button", name="Invia").click()
    expect(operator_log).to_contain_text("Trovata, grazie!")

    operator.get_by_role("button", name="Chiudi la chat").click()
    expect(page.locator("#chat-state")).to_contain_text("Chiusa")
    operator.context.close()


def sign_in_operator(page: Page, base: str) -> None:
    """Staff give a second factor after the password (DEBUG is off): the demo's app."""
    page.goto(f"{base}/accedi/")
    page.get_by_label("Nome utente").fill("operatore")
    page.get_by_label("Password").fill("Demo-2026!")
    page.get_by_role("button", name="Accedi", exact=True).click()
    page.get_by_label("Codice di verifica").fill(demo_totp_code())
    page.get_by_role("button", name="Verifica", exact=True).click()
    expect(page).to_have_url(f"{base}/backoffice/")


def test_lr_runs_a_diagnosis_of_a_line_with_an_open_fault(page: Page, demo_site: str) -> None:
    sign_in(page, demo_site, "legale")
    open_section(page, "Assistenza online")
    page.get_by_role("link", name="Diagnosi della linea fissa").click()
    page.get_by_label("Linea fissa").select_option(label="+39065550201 · Fisso · non assegnata")
    page.get_by_role("button", name="Avvia la diagnosi").click()
    result = page.get_by_role("status").last
    expect(result).to_contain_text("abbiamo trovato un problema")
    expect(result).to_contain_text("è già aperta la segnalazione di guasto")
    # The building site's line is copper from the cabinet (FTTC): noise, not light.
    expect(result).to_contain_text("Margine di rumore basso")
    expect(result).not_to_contain_text("Potenza ottica")
    assert_accessible(page, "legale-diagnosis")
    page.get_by_label("Linea fissa").select_option(label="+39065550101 · Fisso · non assegnata")
    page.get_by_role("button", name="Avvia la diagnosi").click()
    result = page.get_by_role("status").last
    expect(result).to_contain_text("La linea funziona correttamente.")
    # The switchboard's line is fibre to the office (FTTH): light, not copper figures.
    expect(result).to_contain_text("Potenza ottica ricevuta")
    expect(result).not_to_contain_text("Margine di rumore")
