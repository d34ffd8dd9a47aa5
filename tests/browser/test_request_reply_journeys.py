"""The customer answers a request that waits for them, with a file, and the operator reads
the answer; «Le mie richieste» lists everything the person did. In a real browser, on a
laptop and at 390 px, with axe-core."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import assert_accessible, sign_in
from tests.browser.test_support_journeys import sign_in_operator
from tracking.models import Request, RequestKind, RequestState

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def assert_fits_390(page: Page, name: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, f"{name}-390")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_the_customer_answers_with_a_file_and_the_operator_reads_it(
    page: Page, demo_site: str
) -> None:
    # The demo's relocation waits for the LR to confirm the technician's day.
    tracked = Request.objects.get(kind=RequestKind.RELOCATION)
    assert tracked.state == RequestState.WAITING_CUSTOMER
    sign_in(page, demo_site, "legale")
    page.goto(f"{demo_site}/assistenza/richieste/")
    expect(page.get_by_role("heading", name="Le mie richieste")).to_be_visible()
    activity = page.get_by_role("table")
    expect(activity).to_contain_text("Trasloco linea")
    expect(activity).to_contain_text("In attesa di riscontro del cliente")
    assert_accessible(page, "legale-activity")
    assert_fits_390(page, "legale-activity")

    page.get_by_role("link", name="Trasloco linea").first.click()
    reply = page.get_by_role("region", name="Il servizio clienti attende una risposta")
    expect(reply).to_contain_text("giorno lavorativo successivo")
    assert_fits_390(page, "legale-request-waiting")
    page.get_by_label("La tua risposta").fill("Va bene il giorno successivo, dalle 9 alle 13.")
    page.get_by_label("Allegato (facoltativo)").set_input_files(
        files=[{"name": "conferma.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Invia la risposta").click()
    expect(page.get_by_text("Risposta inviata")).to_be_visible()
    timeline = page.get_by_role("region", name="Cronologia")
    expect(timeline).to_contain_text("Risposta di Mario Rossi")
    expect(timeline).to_contain_text("dalle 9 alle 13")
    expect(timeline.get_by_role("link", name="conferma.pdf")).to_be_visible()
    expect(page.get_by_role("button", name="Invia la risposta")).to_have_count(0)
    assert_accessible(page, "legale-request-answered")
    assert_fits_390(page, "legale-request-answered")
    tracked.refresh_from_db()
    assert tracked.state == RequestState.IN_PROGRESS

    operator = page.context.browser.new_context(locale="it-IT").new_page()  # type: ignore[union-attr]
    sign_in_operator(operator, demo_site)
    operator.goto(f"{demo_site}/backoffice/richieste/{tracked.pk}/")
    history = operator.get_by_role("region", name="Cronologia")
    expect(history).to_contain_text("risposta del cliente")
    expect(history).to_contain_text("dalle 9 alle 13")
    expect(history.get_by_role("link", name="conferma.pdf")).to_be_visible()
    assert_accessible(operator, "operator-reads-the-answer")
    operator.context.close()


def test_a_bad_file_is_refused_in_italian(page: Page, demo_site: str) -> None:
    sign_in(page, demo_site, "legale")
    tracked = Request.objects.get(kind=RequestKind.RELOCATION)
    page.goto(f"{demo_site}/assistenza/richieste/{tracked.reference}/")
    page.get_by_label("La tua risposta").fill("Ecco la conferma.")
    page.get_by_label("Allegato (facoltativo)").set_input_files(
        files=[{"name": "conferma.pdf", "mimeType": "application/pdf", "buffer": b"<html>x"}]
    )
    page.get_by_role("button", name="Invia la risposta").click()
    expect(page.get_by_text("Si possono allegare solo PDF e immagini")).to_be_visible()
    expect(page.get_by_label("La tua risposta")).to_have_value("Ecco la conferma.")
    assert_fits_390(page, "legale-request-bad-file")
    tracked.refresh_from_db()
    assert tracked.state == RequestState.WAITING_CUSTOMER
