"""A physical SIM change by courier: the operator ships the new card and records its
delivery from the request's page; the requester follows the shipment in the request's
timeline. In a real browser, with axe-core, the customer's page also at 390 px."""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Line, Sim, User
from lines.services import sim_change_request
from tests.browser.test_journeys import assert_accessible, sign_in
from tests.browser.test_request_reply_journeys import assert_fits_390
from tests.browser.test_support_journeys import sign_in_operator
from tests.factories import _iccid
from tracking.models import OPEN_STATES, Request, RequestState
from tracking.services import request_transition

pytestmark = pytest.mark.browser

ADDRESS = {
    "recipient": "Laura Conti",
    "street": "Via Appia Nuova 1024",
    "postal_code": "00178",
    "city": "Roma",
    "province": "RM",
}


def taken_sim_change(username: str) -> Request:
    """A SIM change the person asked for, on a line with nothing else open, that the back
    office has taken: its shipment is in preparation."""
    person = User.objects.get(username=username)
    lines = Line.objects.filter(
        contract__company=person.company, contract__kind="MOBILE", state=Line.State.ACTIVE
    ).exclude(requests__state__in=OPEN_STATES)
    tracked = sim_change_request(
        actor=person,
        line=lines.order_by("pk").first(),  # type: ignore[arg-type]
        reason="BROKEN",
        sim_kind=Sim.Kind.PHYSICAL,
        details={"delivery": ADDRESS},
    )
    return request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=None)


def test_the_operator_ships_and_delivers_and_the_requester_follows_it(
    page: Page, demo_site: str
) -> None:
    tracked = taken_sim_change("full")
    sign_in_operator(page, demo_site)
    page.goto(f"{demo_site}/backoffice/richieste/{tracked.pk}/")
    shipments = page.get_by_role("region", name="Spedizioni")
    expect(shipments).to_contain_text("Spedizione: In preparazione")
    assert_accessible(page, "operatore-shipment-preparing")
    shipments.get_by_label("Corriere").select_option(label="Poste Italiane")
    shipments.get_by_label("Numero di spedizione").fill("px0012345678")
    shipments.get_by_label("ICCID della nuova SIM").fill(_iccid(8100))
    shipments.get_by_label("PUK della nuova SIM").fill("11223344")
    shipments.get_by_role("button", name="Aggiorna la spedizione").click()
    expect(page.get_by_role("region", name="Spedizioni")).to_contain_text("PX0012345678")
    page.get_by_role("region", name="Spedizioni").get_by_label(
        "Nuovo stato della spedizione"
    ).select_option(label="Consegnata")
    page.get_by_role("button", name="Aggiorna la spedizione").click()
    expect(page.get_by_role("region", name="Spedizioni")).to_contain_text("Spedizione: Consegnata")
    expect(page.locator("main")).to_contain_text("Completata")
    assert_accessible(page, "operatore-shipment-delivered")
    page.context.clear_cookies()

    sign_in(page, demo_site, "full")
    page.goto(f"{demo_site}/assistenza/richieste/{tracked.reference}/")
    shipment = page.get_by_role("region", name="Spedizione")
    expect(shipment).to_contain_text("Consegnata")
    expect(shipment).to_contain_text("Poste Italiane")
    expect(shipment).to_contain_text("PX0012345678")
    expect(shipment).to_contain_text("Via Appia Nuova 1024, 00178 Roma (RM)")
    assert_accessible(page, "full-request-shipment")
    assert_fits_390(page, "full-request-shipment")
