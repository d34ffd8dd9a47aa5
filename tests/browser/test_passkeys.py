"""Passkeys in Chromium with a virtual authenticator (the platform's, with a fingerprint
that always matches): added from the security page, then the whole sign-in ("Accedi con
una passkey") and the second step after the password. axe-core on the pages touched."""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_journeys import DEMO_PASSWORD, assert_accessible, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def authenticator(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )


def sign_out(page: Page, base: str) -> None:
    page.get_by_role("button", name="Esci").click()
    expect(page).to_have_url(f"{base}/accedi/")


def test_a_passkey_added_on_the_security_page_signs_in(
    page: Page, demo_site: str, authenticator: None, settings: Any
) -> None:
    # The local demo's passkey domain: the host and port the browser asked for. The live
    # server is http://localhost:PORT, a secure context as WebAuthn wants.
    settings.DEMO = True
    assert demo_site.startswith("http://localhost:")

    sign_in(page, demo_site, "full")
    page.goto(f"{demo_site}/profilo/sicurezza/")
    expect(page.get_by_role("button", name="Aggiungi passkey")).to_be_visible()
    assert_accessible(page, "passkeys-overview-empty")
    page.get_by_label("Nome della nuova passkey").fill("Portatile di Laura")
    page.get_by_role("button", name="Aggiungi passkey").click()
    # The first method: the recovery codes come next.
    expect(page).to_have_url(f"{demo_site}/profilo/sicurezza/codici/")
    page.goto(f"{demo_site}/profilo/sicurezza/")
    expect(page.get_by_role("link", name="Rimuovi Portatile di Laura")).to_be_visible()
    assert_accessible(page, "passkeys-overview")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing wider
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=ARTIFACTS / "passkeys-overview-390.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 720})

    page.get_by_role("link", name="Rinomina Portatile di Laura").click()
    assert_accessible(page, "passkeys-rename")
    page.get_by_label("Nome della passkey").fill("Portatile")
    page.get_by_role("button", name="Salva").click()
    expect(page.get_by_text("Passkey rinominata «Portatile».")).to_be_visible()
    # Removing it: the password entered at sign-in is recent, the question comes at once.
    page.get_by_role("link", name="Rimuovi Portatile").click()
    expect(page.get_by_text("Vuoi davvero rimuovere la passkey «Portatile»?")).to_be_visible()
    assert_accessible(page, "passkeys-remove")
    page.get_by_role("link", name="Annulla").click()
    sign_out(page, demo_site)

    # The whole sign-in: no username, no password.
    page.goto(f"{demo_site}/fatture/")
    expect(page).to_have_url(f"{demo_site}/accedi/?next=/fatture/")
    page.get_by_role("button", name="Accedi con una passkey").click()
    expect(page).to_have_url(f"{demo_site}/fatture/")
    expect(page.locator(".user-profile")).to_have_text("Amministratore Full")
    sign_out(page, demo_site)

    # The password first, then the passkey as the second step.
    page.get_by_label("Nome utente").fill("full")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Accedi", exact=True).click()
    expect(page).to_have_url(f"{demo_site}/accedi/verifica/?next=%2F")
    assert_accessible(page, "passkeys-verify")
    page.get_by_role("button", name="Usa una passkey").click()
    expect(page).to_have_url(f"{demo_site}/")
    expect(page.locator(".user-profile")).to_have_text("Amministratore Full")


def test_the_sign_in_page_says_when_no_passkey_answers(
    page: Page, demo_site: str, authenticator: None, settings: Any
) -> None:
    settings.DEMO = True
    page.goto(f"{demo_site}/accedi/")
    assert_accessible(page, "passkeys-login")
    # The virtual authenticator holds no passkey of the site: the browser gives up.
    page.get_by_role("button", name="Accedi con una passkey").click()
    expect(page.get_by_role("status")).to_contain_text("Riprova, oppure accedi in un altro modo")
    expect(page).to_have_url(f"{demo_site}/accedi/")
