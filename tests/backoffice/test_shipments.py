"""The operators' side of shipments: on the request's page, each shipment with its steps
and the form that moves it; shipping a SIM change asks for the card in the envelope; a
return lets them prepare a new one. Staff only."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from accounts.models import Sim
from lines.services import sim_change_request
from tests.accounts.helpers import signed_in
from tests.conftest import World
from tests.factories import _iccid
from tracking.models import Request, RequestState, Shipment, ShipmentState
from tracking.services import request_transition

pytestmark = pytest.mark.django_db

ADDRESS = {
    "recipient": "Mario Rossi",
    "street": "Via Roma 10",
    "postal_code": "00184",
    "city": "Roma",
    "province": "RM",
}
NEW_ICCID = _iccid(7300)


@pytest.fixture
def tracked(world: World) -> Request:
    request = sim_change_request(
        actor=world.full,
        line=world.user_line,
        reason="BROKEN",
        sim_kind=Sim.Kind.PHYSICAL,
        details={"delivery": ADDRESS},
    )
    return request_transition(request=request, to_state=RequestState.IN_PROGRESS, actor=None)


def move(client, shipment: Shipment, **fields: str):  # type: ignore[no-untyped-def]
    prefix = f"shipment-{shipment.pk}"
    data = {f"{prefix}-{name}": value for name, value in fields.items() if name != "sim"}
    return client.post(reverse("backoffice:shipment", args=[shipment.pk]), data)


def ship(client, shipment: Shipment, iccid: str = NEW_ICCID):  # type: ignore[no-untyped-def]
    prefix = f"shipment-{shipment.pk}"
    return client.post(
        reverse("backoffice:shipment", args=[shipment.pk]),
        {
            f"{prefix}-to_state": "SHIPPED",
            f"{prefix}-carrier": "GLS",
            f"{prefix}-tracking_number": " gls0012345 ",
            f"{prefix}-note": "Busta con la nuova SIM",
            f"{prefix}-sim-new_iccid": iccid,
            f"{prefix}-sim-new_puk": "87654321",
        },
    )


def test_the_request_page_shows_the_shipment_and_the_form_to_ship_it(
    world: World, tracked: Request
) -> None:
    page = signed_in(world.staff).get(reverse("backoffice:request-detail", args=[tracked.pk]))
    html = unescape(page.content.decode())
    shipment = tracked.shipments.get()
    assert "Spedizione: In preparazione" in html and "Via Roma 10, 00184 Roma (RM)" in html
    assert reverse("backoffice:shipment", args=[shipment.pk]) in html
    assert "ICCID della nuova SIM" in html and 'value="BRT"' in html


def test_customers_cannot_move_a_shipment(world: World, tracked: Request) -> None:
    shipment = tracked.shipments.get()
    for person in (world.lr, world.full):
        client = signed_in(person)
        assert ship(client, shipment).status_code == 403
        new = reverse("backoffice:shipment-new", args=[tracked.pk])
        assert client.post(new).status_code == 403
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.PREPARING


def test_shipping_records_carrier_number_and_the_new_card(world: World, tracked: Request) -> None:
    shipment = tracked.shipments.get()
    response = ship(signed_in(world.staff), shipment)
    assert response.status_code == 302
    shipment.refresh_from_db()
    tracked.refresh_from_db()
    assert shipment.state == ShipmentState.SHIPPED
    assert (shipment.carrier, shipment.tracking_number) == ("GLS", "GLS0012345")
    assert tracked.details["new_iccid"] == NEW_ICCID and tracked.details["new_puk"] == "87654321"
    assert shipment.events.last().note == "Busta con la nuova SIM"  # type: ignore[union-attr]


def test_shipping_without_what_it_needs_shows_why_and_changes_nothing(
    world: World, tracked: Request
) -> None:
    shipment = tracked.shipments.get()
    client = signed_in(world.staff)
    response = move(client, shipment, to_state="SHIPPED", tracking_number="ab")
    html = unescape(response.content.decode())
    assert response.status_code == 200
    assert "Indica il corriere." in html
    assert "Il numero di spedizione ha da 6 a 40 lettere o cifre" in html
    assert "Questo campo è obbligatorio." in html  # the card's ICCID and PUK
    used = world.lr_line.sims.get().iccid
    html = unescape(ship(client, shipment, iccid=used).content.decode())
    assert "Questo ICCID appartiene già a un'altra SIM." in html
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.PREPARING


def test_delivery_completes_the_sim_change(world: World, tracked: Request) -> None:
    shipment = tracked.shipments.get()
    client = signed_in(world.staff)
    ship(client, shipment)
    response = move(client, shipment, to_state="DELIVERED")
    assert response.status_code == 302
    tracked.refresh_from_db()
    assert tracked.state == RequestState.COMPLETED
    assert Sim.objects.get(line=world.user_line, is_active=True).iccid == NEW_ICCID
    page = client.get(reverse("backoffice:request-detail", args=[tracked.pk]))
    assert "Spedizione: Consegnata" in page.content.decode()


def test_a_refused_delivery_says_why(world: World, tracked: Request) -> None:
    shipment = tracked.shipments.get()
    client = signed_in(world.staff)
    ship(client, shipment)
    request_transition(request=tracked, to_state=RequestState.WAITING_CUSTOMER, actor=None)
    response = move(client, shipment, to_state="DELIVERED")
    page = client.get(response["Location"])
    assert "attende una risposta del cliente" in unescape(page.content.decode())
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.SHIPPED


def test_after_a_return_the_operator_prepares_a_new_shipment(
    world: World, tracked: Request
) -> None:
    shipment = tracked.shipments.get()
    client = signed_in(world.staff)
    ship(client, shipment)
    move(client, shipment, to_state="RETURNED", note="Destinatario assente")
    url = reverse("backoffice:request-detail", args=[tracked.pk])
    html = unescape(client.get(url).content.decode())
    assert "Prepara una nuova spedizione" in html and "Destinatario assente" in html
    response = client.post(reverse("backoffice:shipment-new", args=[tracked.pk]))
    assert response.status_code == 302
    assert [s.state for s in tracked.shipments.all()] == [
        ShipmentState.RETURNED,
        ShipmentState.PREPARING,
    ]
    # The card named before is offered again for the new envelope.
    html = unescape(client.get(url).content.decode())
    assert f'value="{NEW_ICCID}"' in html and "Prepara una nuova spedizione" not in html
    client.post(reverse("backoffice:shipment-new", args=[tracked.pk]))
    assert tracked.shipments.count() == 2  # a second click prepares nothing more


def test_the_request_page_reads_its_shipments_in_a_bounded_number_of_queries(
    world: World, tracked: Request, django_assert_max_num_queries: object
) -> None:
    client = signed_in(world.staff)
    first = tracked.shipments.get()
    ship(client, first)
    move(client, first, to_state="RETURNED")
    client.post(reverse("backoffice:shipment-new", args=[tracked.pk]))
    url = reverse("backoffice:request-detail", args=[tracked.pk])
    with django_assert_max_num_queries(16):  # type: ignore[operator]
        assert client.get(url).status_code == 200


# --- Completing by hand while the SIM travels ---------------------------------------------


def work(client, tracked: Request, to_state: str, note: str = "", **card: str):  # type: ignore[no-untyped-def]
    data = {"to_state": to_state, "note": note}
    data.update({f"completion-{name}": value for name, value in card.items()})
    return client.post(reverse("backoffice:request-detail", args=[tracked.pk]), data, follow=True)


def test_a_sim_change_on_its_way_is_not_completed_by_hand(world: World, tracked: Request) -> None:
    client = signed_in(world.staff)
    url = reverse("backoffice:request-detail", args=[tracked.pk])
    html = unescape(client.get(url).content.decode())
    assert 'value="COMPLETED"' not in html and "completion-new_iccid" not in html
    response = work(client, tracked, "COMPLETED", new_iccid=_iccid(7310), new_puk="12345678")
    assert "spedizione in corso" in unescape(response.content.decode())
    tracked.refresh_from_db()
    assert tracked.state == RequestState.IN_PROGRESS and "new_iccid" not in tracked.details
    assert tracked.shipments.get().state == ShipmentState.PREPARING


def test_a_shipped_sim_change_is_not_rejected_and_a_preparing_one_goes_with_it(
    world: World, tracked: Request
) -> None:
    client = signed_in(world.staff)
    shipment = tracked.shipments.get()
    ship(client, shipment)
    response = work(client, tracked, "REJECTED", note="Non più necessaria")
    assert "registra prima la consegna o il reso" in unescape(response.content.decode())
    tracked.refresh_from_db()
    assert tracked.state == RequestState.IN_PROGRESS
    other = sim_change_request(
        actor=world.full,
        line=world.lr_line,
        reason="BROKEN",
        sim_kind=Sim.Kind.PHYSICAL,
        details={"delivery": ADDRESS},
    )
    other = request_transition(request=other, to_state=RequestState.IN_PROGRESS, actor=None)
    work(client, other, "REJECTED", note="Non più necessaria")
    other.refresh_from_db()
    assert other.state == RequestState.REJECTED and not other.shipments.exists()


def test_after_a_return_the_completion_keeps_the_card_the_request_names(
    world: World, tracked: Request
) -> None:
    client = signed_in(world.staff)
    shipment = tracked.shipments.get()
    ship(client, shipment)
    move(client, shipment, to_state="RETURNED")
    url = reverse("backoffice:request-detail", args=[tracked.pk])
    html = unescape(client.get(url).content.decode())
    assert 'value="COMPLETED"' in html and f'value="{NEW_ICCID}"' in html
    response = work(client, tracked, "COMPLETED", new_iccid=_iccid(7320), new_puk="87654321")
    assert "indica già la nuova SIM" in unescape(response.content.decode())
    tracked.refresh_from_db()
    assert tracked.state == RequestState.IN_PROGRESS and tracked.details["new_iccid"] == NEW_ICCID
    work(client, tracked, "COMPLETED", new_iccid=NEW_ICCID, new_puk="87654321")
    tracked.refresh_from_db()
    assert tracked.state == RequestState.COMPLETED
    assert Sim.objects.get(line=world.user_line, is_active=True).iccid == NEW_ICCID


def test_the_completion_form_refuses_a_card_another_open_request_names(
    world: World, tracked: Request
) -> None:
    client = signed_in(world.staff)
    ship(client, tracked.shipments.get())
    esim = sim_change_request(
        actor=world.full,
        line=world.lr_line,
        reason="BROKEN",
        sim_kind=Sim.Kind.ESIM,
        details={"esim_email": "nuova@example.it"},
    )
    esim = request_transition(request=esim, to_state=RequestState.IN_PROGRESS, actor=None)
    response = work(client, esim, "COMPLETED", new_iccid=NEW_ICCID, new_puk="12345678")
    assert "già indicato in un'altra richiesta aperta" in unescape(response.content.decode())
    esim.refresh_from_db()
    assert esim.state == RequestState.IN_PROGRESS
