"""Two-factor sign-in in a real browser: the demo person with the authenticator app signs
in; the LR sets the app up, keeps the recovery codes and requires the second factor of the
administrators, who then set theirs up right after the password. axe-core on each page,
at 390 px where a phone is the likely device."""

from __future__ import annotations

from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from tests.browser.conftest import demo_totp_code
from tests.browser.test_journeys import DEMO_PASSWORD, assert_accessible, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def password_only(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accedi/")
    page.get_by_label("Nome utente").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Accedi", exact=True).click()


def test_the_demo_person_with_the_app_gives_a_code(page: Page, demo_site: str) -> None:
    page.set_viewport_size(PHONE)
    password_only(page, demo_site, "verifica")
    expect(page.get_by_role("heading", level=1)).to_have_text("Verifica che sei tu")
    assert_accessible(page, "two-factor-verify-390")
    # Nothing else opens before the code.
    page.goto(f"{demo_site}/fatture/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Verifica che sei tu")
    page.get_by_label("Codice di verifica").fill("000000")
    page.get_by_role("button", name="Verifica", exact=True).click()
    expect(page.get_by_text("Il codice non è valido")).to_be_visible()
    page.wait_for_timeout(1100)  # django-otp's pause after a wrong code
    page.get_by_label("Codice di verifica").fill(demo_totp_code())
    page.get_by_role("button", name="Verifica", exact=True).click()
    expect(page).to_have_url(f"{demo_site}/fatture/")


def test_the_lr_sets_up_the_app_and_requires_it_of_the_administrators(
    page: Page, demo_site: str
) -> None:
    sign_in(page, demo_site, "legale")
    page.goto(f"{demo_site}/profilo/sicurezza/")
    assert_accessible(page, "two-factor-overview-before")
    page.get_by_role("link", name="Configura l'app di autenticazione").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Configura l'app di autenticazione")
    page.set_viewport_size(PHONE)
    assert_accessible(page, "two-factor-totp-setup-390")
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    code = f"{TOTP(b32decode(secret)).token():06d}"
    page.get_by_label("Codice a 6 cifre mostrato dall'app").fill(code)
    page.get_by_role("button", name="Attiva").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("I tuoi codici di recupero")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    assert_accessible(page, "two-factor-recovery-codes-390")
    with page.expect_download() as download:
        page.get_by_role("link", name="Scarica i codici (file di testo)").click()
    assert download.value.suggested_filename == "codici-di-recupero.txt"
    page.get_by_role("button", name="Ho conservato i codici").click()
    expect(page.get_by_text("La verifica in due passaggi è attiva")).to_be_visible()

    page.goto(f"{demo_site}/profilo/")
    page.get_by_role("link", name="Modifica l'obbligo di verifica in due passaggi").click()
    if "/password/conferma/" in page.url:
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Conferma").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Verifica in due passaggi per l'azienda"
    )
    assert_accessible(page, "two-factor-policy-390")
    page.get_by_label("Gli amministratori", exact=False).check()
    page.get_by_role("button", name="Salva").click()
    expect(page.get_by_text("Impostazione salvata.")).to_be_visible()

    # An administrator without a second factor sets one up right after the password.
    other = page.context.browser.new_context(locale="it-IT", viewport=PHONE)  # type: ignore[union-attr]
    full = other.new_page()
    password_only(full, demo_site, "full")
    expect(full.get_by_role("heading", level=1)).to_have_text("Attiva la verifica in due passaggi")
    expect(full.get_by_text("La tua azienda richiede la verifica")).to_be_visible()
    assert_accessible(full, "two-factor-enrol-390")
    full.goto(f"{demo_site}/consumi/")
    expect(full.get_by_role("heading", level=1)).to_have_text("Attiva la verifica in due passaggi")
    other.close()
