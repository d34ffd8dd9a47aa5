"""Theft end to end in a real browser: the LR blocks a stolen SIM with the police report,
asks for the new SIM at once with a delivery address, the back office prepares, ships and
delivers it (through the services, as its pages do), and the line's page tells the whole
story, ending with the new SIM and the line active; axe-core on every new page."""

import pytest
from playwright.sync_api import Page, expect

from lines.models import TheftCase
from tests.browser.test_journeys import assert_accessible, sign_in
from tests.factories import _iccid
from tracking.models import RequestKind, RequestState, ShipmentState
from tracking.services import request_transition
from tracking.shipments import shipment_move

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
NUMBER = "+393352000006"


def test_lr_follows_a_theft_from_the_block_to_the_new_sim(page: Page, demo_site: str) -> None:
    sign_in(page, demo_site, "legale")
    page.goto(f"{demo_site}/linee/")
    page.get_by_role("link", name=NUMBER).click()
    heading = page.get_by_role("heading", level=1)
    line_url = page.url

    page.get_by_role("link", name="Blocca la SIM per furto o smarrimento").click()
    page.get_by_label("Furto").check()
    page.get_by_role("button", name="Continua").click()
    expect(heading).to_have_text("Conferma il blocco della SIM")
    report = page.get_by_label("Copia della denuncia (facoltativa)")
    report.set_input_files(
        files={"name": "denuncia.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    assert_accessible(page, "legale-sim-block-report")
    page.get_by_role("button", name="Conferma il blocco").click()

    expect(heading).to_contain_text("Bloccata")
    story = page.get_by_role("region", name="Furto della SIM")
    expect(story).to_contain_text("copia caricata")
    expect(story).to_contain_text("non ancora richiesta")

    story.get_by_role("link", name="Richiedi subito la nuova SIM").click()
    expect(heading).to_contain_text("Nuova SIM per la linea")
    expect(page.get_by_label("Destinatario della spedizione")).not_to_have_value("")
    assert_accessible(page, "legale-theft-replacement")
    page.get_by_label("Indirizzo (via e numero civico)").fill("Via Torino 5")
    page.get_by_label("CAP", exact=True).fill("20123")
    page.get_by_label("Comune", exact=True).fill("Milano")
    page.get_by_label("Provincia", exact=True).select_option("MI")
    page.get_by_role("button", name="Richiedi la nuova SIM").click()

    expect(heading).to_contain_text("Furto o smarrimento della SIM")
    expect(page.get_by_text("ti avvisiamo quando la SIM parte")).to_be_visible()
    assert_accessible(page, "legale-theft-case")
    page.get_by_role("link", name="Blocca anche il dispositivo").click()
    assert_accessible(page, "legale-theft-device-block")
    page.get_by_label("IMEI del dispositivo").fill("490154203237518")
    page.get_by_role("button", name="Invia la richiesta").click()
    expect(page.get_by_text("il dispositivo sarà bloccato")).to_be_visible()

    # The back office takes the request, ships the new card and records the delivery.
    case = TheftCase.objects.get(line__number=NUMBER)
    tracked = case.replacement_request
    assert tracked is not None and tracked.kind == RequestKind.SIM_CHANGE
    assert tracked.details["delivery"]["city"] == "Milano"
    request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=None)
    shipment = tracked.shipments.get()
    assert shipment.street == "Via Torino 5"
    new_iccid = _iccid(777)
    shipment_move(
        shipment=shipment,
        to_state=ShipmentState.SHIPPED,
        actor=None,
        carrier="BRT",
        tracking_number="BRT0012345",
        details={"new_iccid": new_iccid, "new_puk": "87654321"},
    )
    page.goto(line_url)
    expect(story).to_contain_text("Spedizione: Spedita")
    shipment_move(shipment=shipment, to_state=ShipmentState.DELIVERED, actor=None)

    page.goto(line_url)
    expect(heading).to_contain_text("Attiva")
    expect(story).to_contain_text("copia caricata")
    expect(story).to_contain_text("490154203237518")
    expect(story).to_contain_text("Spedizione: Consegnata")
    expect(story).to_contain_text("nuova SIM attiva")
    expect(story).to_contain_text(new_iccid)
    assert_accessible(page, "legale-line-after-theft")
