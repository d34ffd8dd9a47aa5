"""Issue 16, item 5, in a real browser with the session shortened to 40 seconds and the
warning 30 seconds before the end: the warning is an accessible dialog that keeps the
session when asked (in every tab), and what was typed in a form survives the expiry (no
password, no code) and is back after signing in again."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from security import drafts
from security.models import FormDraft
from tests.browser.test_journeys import DEMO_PASSWORD, assert_accessible

pytestmark = pytest.mark.browser

SESSION_SECONDS = 40
WARNING_SECONDS = 30
WARNING = "La sessione sta per scadere"
EXPIRED = "La sessione è scaduta"


@pytest.fixture
def short_session(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.SESSION_COOKIE_AGE = SESSION_SECONDS
    monkeypatch.setattr(drafts, "EXPIRY_WARNING_SECONDS", WARNING_SECONDS)


def sign_in(page: Page) -> None:
    page.get_by_label("Nome utente").fill("legale")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Accedi", exact=True).click()


def session_cookie_expiry(page: Page) -> float:
    cookies = [c for c in page.context.cookies() if c["name"] == "sessionid"]
    return cookies[0]["expires"] if cookies else 0


def test_the_warning_keeps_the_session_and_a_form_survives_its_expiry(
    page: Page, demo_site: str, short_session: None
) -> None:
    page.goto(f"{demo_site}/accedi/")
    sign_in(page)
    expect(page).to_have_url(f"{demo_site}/")
    other_tab = page.context.new_page()
    other_tab.goto(f"{demo_site}/profilo/")
    page.goto(f"{demo_site}/profilo/dati-personali/")

    # Ten seconds after the page, the warning: a modal dialog with the focus inside.
    warning = page.get_by_role("dialog", name=WARNING)
    expect(warning).to_be_visible(timeout=20_000)
    expect(page.get_by_role("button", name="Resta collegato")).to_be_focused()
    expect(other_tab.get_by_role("dialog", name=WARNING)).to_be_visible(timeout=10_000)
    assert_accessible(page, "session-expiry-warning")

    # Esc, like "Resta collegato", renews the session; the other tab's warning goes away.
    before = session_cookie_expiry(page)
    time.sleep(1)
    page.keyboard.press("Escape")
    expect(warning).to_be_hidden()
    expect(other_tab.get_by_role("dialog", name=WARNING)).to_be_hidden()
    assert session_cookie_expiry(page) > before
    other_tab.close()

    # Typing, including where a form has a password or a code (added here: the page has
    # none), then walking away: the warning keeps the draft, then the session ends.
    page.get_by_label("Nome (obbligatorio)", exact=True).fill("Annalisa")
    page.get_by_label("Telefono").fill("+39 333 765 4321")
    page.evaluate(
        """() => {
            const form = document.querySelector("main form[method=post]");
            for (const [name, type] of [["nuova_password", "password"], ["otp_token", "text"]]) {
                const input = document.createElement("input");
                input.name = name;
                input.type = type;
                input.value = "Segreto-123456";
                form.append(input);
            }
        }"""
    )
    expect(warning).to_be_visible(timeout=20_000)
    deadline = time.monotonic() + 10
    while not FormDraft.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    draft = FormDraft.objects.get()
    assert draft.path == "/profilo/dati-personali/"
    assert draft.data["fields"]["first_name"] == "Annalisa"
    assert "Segreto-123456" not in str(draft.data)

    expired = page.get_by_role("dialog", name=EXPIRED)
    expect(expired).to_be_visible(timeout=SESSION_SECONDS * 1000)
    sign_in_again = expired.get_by_role("link", name="Accedi di nuovo")
    expect(sign_in_again).to_be_focused()
    assert_accessible(page, "session-expiry-expired")

    # Signing in again leads back to the form, with what was typed and a notice.
    sign_in_again.click()
    sign_in(page)
    expect(page).to_have_url(f"{demo_site}/profilo/dati-personali/")
    expect(page.get_by_label("Nome (obbligatorio)", exact=True)).to_have_value("Annalisa")
    expect(page.get_by_label("Telefono")).to_have_value("+39 333 765 4321")
    expect(page.locator("#draft-restored")).to_have_text(
        "Abbiamo ripristinato quello che avevi scritto prima della scadenza della sessione: "
        "controlla e invia."
    )
    assert not FormDraft.objects.exists()
    assert_accessible(page, "session-expiry-restored")

    # Given once: the page opened again shows what is saved, not the draft.
    page.reload()
    expect(page.get_by_label("Nome (obbligatorio)", exact=True)).not_to_have_value("Annalisa")
