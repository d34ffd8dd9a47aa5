"""Issue 16, item 4, in a real browser: the LR signed in on two browsers ends the other one
from the sessions page, which then lands on the sign-in page; both new pages pass axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.test_journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_ending_the_other_session_signs_that_browser_out(browser: Browser, demo_site: str) -> None:
    here_context = browser.new_context(locale="it-IT", timezone_id="Europe/Rome")
    there_context = browser.new_context(locale="it-IT", timezone_id="Europe/Rome")
    here, there = here_context.new_page(), there_context.new_page()
    sign_in(there, demo_site, "legale")
    sign_in(here, demo_site, "legale")

    here.goto(f"{demo_site}/profilo/sicurezza/sessioni/")
    expect(here.get_by_role("heading", level=1)).to_have_text("Sessioni attive")
    expect(here.get_by_text("Questa sessione")).to_be_visible()
    assert_accessible(here, "legale-sessions-two")
    here.get_by_role("button", name="Termina la sessione di").click()
    expect(here.get_by_role("status")).to_contain_text("Sessione terminata")
    expect(here.get_by_role("button", name="Termina la sessione di")).to_have_count(0)

    there.goto(f"{demo_site}/fatture/")
    expect(there).to_have_url(f"{demo_site}/accedi/?next=/fatture/")
    here_context.close()
    there_context.close()


def test_the_sign_in_log_lists_the_companys_sign_ins(browser: Browser, demo_site: str) -> None:
    context = browser.new_context(locale="it-IT", timezone_id="Europe/Rome")
    page = context.new_page()
    sign_in(page, demo_site, "legale")
    page.goto(f"{demo_site}/profilo/registro-attivita/")
    page.get_by_role("link", name="Vedi gli accessi all'Area Clienti").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Registro degli accessi")
    expect(page.get_by_role("cell", name="Accesso riuscito").first).to_be_visible()
    assert_accessible(page, "legale-sign-in-log")
    context.close()
