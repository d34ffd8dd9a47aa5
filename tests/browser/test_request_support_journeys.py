"""Requests and support of issue 15 in a real browser, at 390 px with axe-core: the request's
page shows what the customer wrote, a rejection needs a note the customer then reads, the
Assistenza introduction offers what the matrix gives, the diagnosis without a fixed line
says what to do instead."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from core.workdays import first_working_day_from
from tests.browser.test_journeys import assert_accessible, open_section, sign_in
from tests.browser.test_support_journeys import sign_in_operator
from tracking.models import Request, RequestKind

pytestmark = pytest.mark.browser


def assert_fits_390(page: Page, name: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, f"{name}-390")


def test_callback_page_labels_and_a_rejection_with_a_note(page: Page, demo_site: str) -> None:
    sign_in(page, demo_site, "legale")
    open_section(page, "Assistenza online")
    page.get_by_role("link", name="Fatti richiamare").first.click()
    day = first_working_day_from(timezone.localdate() + timedelta(days=1))
    page.get_by_label("Numero da richiamare").fill("333 123 4567")
    page.get_by_label("Giorno").fill(day.isoformat())
    page.get_by_label("Fascia oraria").select_option("14-16")
    page.get_by_label("Argomento").fill("Fibra in ufficio")
    page.get_by_role("button").filter(has_text="Invia").click()
    details = page.locator("#details-heading + dl")
    expect(details).to_contain_text("Fascia oraria")
    expect(details).to_contain_text("14:00 – 16:00")
    assert_fits_390(page, "legale-callback-request")
    reference = page.url.rstrip("/").rsplit("/", 1)[-1]
    tracked = Request.objects.get(reference=reference, kind=RequestKind.CALLBACK)

    operator = page.context.browser.new_context(locale="it-IT").new_page()  # type: ignore[union-attr]
    sign_in_operator(operator, demo_site)
    operator.goto(f"{demo_site}/backoffice/richieste/{tracked.pk}/")
    operator.get_by_label("Nuovo stato").select_option("REJECTED")
    operator.get_by_role("button", name="Salva").click()
    expect(operator.get_by_text("scrivi al cliente il motivo")).to_be_visible()
    assert_fits_390(operator, "operator-rejection-needs-note")
    operator.get_by_label("Nuovo stato").select_option("REJECTED")
    operator.get_by_label("Nota per il cliente").fill("Il numero indicato non è raggiungibile.")
    operator.get_by_role("button", name="Salva").click()
    operator.context.close()

    page.reload()
    expect(page.get_by_text("Motivo del rifiuto")).to_be_visible()
    expect(page.locator(".alert-warning")).to_contain_text("non è raggiungibile")
    assert_fits_390(page, "legale-rejected-request")


def test_light_support_offers_what_the_matrix_gives(page: Page, demo_site: str) -> None:
    sign_in(page, demo_site, "light")
    open_section(page, "Assistenza online")
    lead = page.locator("p.lead")
    expect(lead).to_contain_text("parlare con un operatore")
    expect(lead).not_to_contain_text("richiamato")
    expect(lead).not_to_contain_text("esperti")
    assert_fits_390(page, "light-support")
    page.goto(f"{demo_site}/assistenza/diagnosi/")
    status = page.get_by_role("status")
    expect(status).to_contain_text("Non hai linee fisse")
    expect(status.get_by_role("link", name="Segnala un guasto")).to_be_visible()
    assert_fits_390(page, "light-diagnosis-no-line")
