"""Shipments: only along SHIPMENT_TRANSITIONS, shipped with a carrier and its number, the
requester e-mailed at "shipped" and "delivered"; a physical SIM change ships the card it
names and completes on delivery; after a return a new shipment; the customer follows it in
the request's timeline."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape
from itertools import product
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Line, Sim
from lines.models import LineEvent
from lines.services import sim_change_request
from tests.accounts.helpers import signed_in
from tests.concurrency import twice_while_locked
from tests.conftest import World
from tests.factories import _iccid
from tracking import shipments
from tracking.models import (
    SHIPMENT_TRANSITIONS,
    Carrier,
    Request,
    RequestKind,
    RequestState,
    Shipment,
    ShipmentEvent,
    ShipmentState,
)
from tracking.services import request_create, request_transition
from tracking.shipments import ShipmentRefused, shipment_move, shipment_restart

pytestmark = pytest.mark.django_db

ADDRESS = {
    "recipient": "Mario Rossi",
    "street": "Via Roma 10",
    "postal_code": "00184",
    "city": "Roma",
    "province": "RM",
}
CARD = {"new_iccid": _iccid(7100), "new_puk": "12345678"}


def taken(world: World, kind: RequestKind = RequestKind.EXPANSION) -> Request:
    """A request with a delivery address that the back office has taken (IN_PROGRESS)."""
    tracked = request_create(
        company=world.company,
        kind=kind,
        summary="Nuove SIM",
        requester=world.full,
        details={"delivery": ADDRESS},
    )
    return request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=None)


def sim_change(world: World, line: Line | None = None) -> Request:
    tracked = sim_change_request(
        actor=world.full,
        line=line or world.user_line,
        reason="BROKEN",
        sim_kind=Sim.Kind.PHYSICAL,
        details={"delivery": ADDRESS},
    )
    return request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=None)


def ship(shipment: Shipment, world: World, **card: str) -> Shipment:
    return shipment_move(
        shipment=shipment,
        to_state=ShipmentState.SHIPPED,
        actor=world.staff,
        carrier=Carrier.BRT,
        tracking_number="brt123456",
        details=card or None,
    )


PAIRS = list(product(ShipmentState, ShipmentState))


@pytest.mark.parametrize(
    ("source", "target"), PAIRS, ids=[f"{s.value}-{t.value}" for s, t in PAIRS]
)
def test_a_shipment_moves_only_along_its_transitions(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    source: ShipmentState,
    target: ShipmentState,
) -> None:
    # The state machine alone: no section's delivery handler for this kind.
    monkeypatch.setattr(shipments, "DELIVERY_HANDLERS", {})
    shipment = taken(world).shipments.get()
    Shipment.objects.filter(pk=shipment.pk).update(
        state=source, carrier=Carrier.GLS, tracking_number="GLS0001"
    )
    steps = ShipmentEvent.objects.count()

    def move() -> Shipment:
        return shipment_move(
            shipment=shipment,
            to_state=target,
            actor=world.staff,
            carrier=Carrier.SDA,
            tracking_number="SDA999999",
        )

    if target in SHIPMENT_TRANSITIONS[source]:
        assert move().state == target
        assert ShipmentEvent.objects.count() == steps + 1
    else:
        with pytest.raises(ShipmentRefused, match="non può passare"):
            move()
        shipment.refresh_from_db()
        assert shipment.state == source and ShipmentEvent.objects.count() == steps


@pytest.mark.parametrize(
    ("carrier", "number"),
    [("", "BRT123456"), ("FEDEX", "BRT123456"), (Carrier.BRT, ""), (Carrier.BRT, "12-34")],
)
def test_shipping_needs_a_carrier_and_its_tracking_number(
    world: World, carrier: str, number: str
) -> None:
    shipment = taken(world).shipments.get()
    with pytest.raises(ShipmentRefused, match="corriere"):
        shipment_move(
            shipment=shipment,
            to_state=ShipmentState.SHIPPED,
            actor=world.staff,
            carrier=carrier,
            tracking_number=number,
        )
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.PREPARING and not shipment.tracking_number


def test_the_requester_hears_of_shipped_and_delivered_only(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    monkeypatch.setattr(shipments, "DELIVERY_HANDLERS", {})
    shipment = taken(world).shipments.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        shipped = ship(shipment, world)
    assert shipped.tracking_number == "BRT123456"  # kept upper-cased
    [message] = mail.outbox
    assert message.to == [world.full.email]
    assert "BRT123456" in message.body and "partita con il corriere BRT" in message.body
    assert "la spedizione è partita" in str(message.subject)
    link = settings.SITE_URL + reverse("support:request-detail", args=[shipment.request.reference])
    assert link in message.body
    with django_capture_on_commit_callbacks(execute=True):
        shipment_move(shipment=shipment, to_state=ShipmentState.DELIVERED, actor=world.staff)
    assert len(mail.outbox) == 2 and "consegnata" in mail.outbox[1].subject
    other = taken(world).shipments.get()
    ship(other, world)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        shipment_move(shipment=other, to_state=ShipmentState.RETURNED, actor=world.staff)
    assert mail.outbox == []  # a return is the back office's to sort out


def test_taking_a_sim_change_prepares_one_shipment_however_often(world: World) -> None:
    tracked = sim_change(world)
    assert tracked.shipments.get().state == ShipmentState.PREPARING
    request_transition(request=tracked, to_state=RequestState.WAITING_CUSTOMER, actor=None)
    request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=None)
    assert tracked.shipments.count() == 1


def test_an_esim_change_ships_nothing(world: World) -> None:
    tracked = sim_change_request(
        actor=world.full,
        line=world.user_line,
        reason="BROKEN",
        sim_kind=Sim.Kind.ESIM,
        details={"esim_email": "nuova@example.it"},
    )
    request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=None)
    assert not tracked.shipments.exists()


def test_a_sim_change_ships_with_the_new_cards_iccid_and_puk(world: World) -> None:
    tracked = sim_change(world)
    shipment = tracked.shipments.get()
    with pytest.raises(ShipmentRefused, match="ICCID e il suo PUK"):
        ship(shipment, world)
    with pytest.raises(ShipmentRefused, match="ICCID non valido"):
        ship(shipment, world, new_iccid="8939010000000000001", new_puk="12345678")
    with pytest.raises(ShipmentRefused, match="appartiene già"):
        ship(shipment, world, new_iccid=world.lr_line.sims.get().iccid, new_puk="12345678")
    with pytest.raises(ShipmentRefused, match="8 cifre"):
        ship(shipment, world, new_iccid=CARD["new_iccid"], new_puk="123")
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.PREPARING
    ship(shipment, world, **CARD)
    tracked.refresh_from_db()
    assert tracked.details["new_iccid"] == CARD["new_iccid"]
    assert tracked.details["new_puk"] == "12345678"
    assert tracked.details["delivery"] == ADDRESS  # the customer's data untouched


def test_delivery_completes_the_sim_change_and_a_line_blocked_for_theft_works_again(
    world: World,
) -> None:
    Line.objects.filter(pk=world.user_line.pk).update(state=Line.State.BLOCKED)
    old = world.user_line.sims.get()
    tracked = sim_change(world)
    shipment = ship(tracked.shipments.get(), world, **CARD)
    shipment_move(shipment=shipment, to_state=ShipmentState.DELIVERED, actor=world.staff)
    tracked.refresh_from_db()
    assert tracked.state == RequestState.COMPLETED
    active = Sim.objects.get(line=world.user_line, is_active=True)
    assert active.iccid == CARD["new_iccid"] and active.puk == CARD["new_puk"]
    old.refresh_from_db()
    assert not old.is_active
    world.user_line.refresh_from_db()
    assert world.user_line.state == Line.State.ACTIVE
    assert LineEvent.objects.filter(line=world.user_line, kind=LineEvent.Kind.SIM_CHANGED).exists()


def test_a_delivery_while_the_customer_is_asked_something_is_refused(world: World) -> None:
    tracked = sim_change(world)
    shipment = ship(tracked.shipments.get(), world, **CARD)
    request_transition(request=tracked, to_state=RequestState.WAITING_CUSTOMER, actor=None)
    with pytest.raises(ShipmentRefused, match="attende una risposta del cliente"):
        shipment_move(shipment=shipment, to_state=ShipmentState.DELIVERED, actor=world.staff)
    shipment.refresh_from_db()
    tracked.refresh_from_db()
    assert shipment.state == ShipmentState.SHIPPED
    assert tracked.state == RequestState.WAITING_CUSTOMER
    assert not Sim.objects.filter(iccid=CARD["new_iccid"]).exists()


def test_a_returned_shipment_leaves_the_request_open_and_a_new_one_follows(world: World) -> None:
    tracked = sim_change(world)
    first = ship(tracked.shipments.get(), world, **CARD)
    with pytest.raises(ShipmentRefused, match="solo dopo un reso"):
        shipment_restart(request=tracked)
    shipment_move(shipment=first, to_state=ShipmentState.RETURNED, actor=world.staff)
    tracked.refresh_from_db()
    assert tracked.state == RequestState.IN_PROGRESS
    second = shipment_restart(request=tracked)
    assert second.pk != first.pk and second.state == ShipmentState.PREPARING
    assert second.address == first.address
    assert tracked.shipments.count() == 2
    # The same card goes out again; the delivery completes the change.
    shipment_move(
        shipment=ship(second, world, **CARD),
        to_state=ShipmentState.DELIVERED,
        actor=world.staff,
    )
    tracked.refresh_from_db()
    assert tracked.state == RequestState.COMPLETED


def test_a_new_shipment_names_no_other_card_than_the_request_has(world: World) -> None:
    tracked = sim_change(world)
    first = ship(tracked.shipments.get(), world, **CARD)
    shipment_move(shipment=first, to_state=ShipmentState.RETURNED, actor=world.staff)
    second = shipment_restart(request=tracked)
    with pytest.raises(ShipmentRefused, match="già un'altra SIM"):
        ship(second, world, new_iccid=_iccid(7200), new_puk="12345678")


def test_the_customer_follows_the_shipment_in_the_requests_timeline(world: World) -> None:
    tracked = sim_change(world)
    ship(tracked.shipments.get(), world, **CARD)
    url = reverse("support:request-detail", args=[tracked.reference])
    html = unescape(signed_in(world.full).get(url).content.decode())
    assert "Spedita" in html and "BRT123456" in html and "In preparazione" in html
    assert "Via Roma 10, 00184 Roma (RM)" in html and "Mario Rossi" in html
    company_page = reverse("tracking:detail", args=[tracked.reference])
    assert "BRT123456" in signed_in(world.lr).get(company_page).content.decode()


def test_the_request_page_reads_its_shipments_in_a_fixed_number_of_queries(world: World) -> None:
    tracked = sim_change(world)
    first = ship(tracked.shipments.get(), world, **CARD)
    client = signed_in(world.full)
    url = reverse("support:request-detail", args=[tracked.reference])
    client.get(url)  # warm the session and caches

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    one = count()
    shipment_move(shipment=first, to_state=ShipmentState.RETURNED, actor=world.staff)
    ship(shipment_restart(request=tracked), world, **CARD)
    assert count() == one  # two shipments, six steps: no more queries than one


@pytest.mark.django_db(transaction=True)
def test_two_operators_delivering_at_once_record_one_delivery() -> None:
    from tests.conftest import build_world

    world = build_world()
    tracked = sim_change(world)
    shipment = ship(tracked.shipments.get(), world, **CARD)
    answers = twice_while_locked(
        lambda: shipment_move(
            shipment=shipment, to_state=ShipmentState.DELIVERED, actor=world.staff
        ),
        Request.objects.filter(pk=tracked.pk),
    )
    assert sum(isinstance(answer, Shipment) for answer in answers) == 1
    assert sum(isinstance(answer, ShipmentRefused) for answer in answers) == 1, answers
    assert ShipmentEvent.objects.filter(to_state=ShipmentState.DELIVERED).count() == 1
    assert Sim.objects.filter(iccid=CARD["new_iccid"]).count() == 1


def test_a_delivered_sim_change_sends_one_email_saying_the_sim_works(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    tracked = sim_change(world)
    shipment = ship(tracked.shipments.get(), world, **CARD)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        shipment_move(shipment=shipment, to_state=ShipmentState.DELIVERED, actor=world.staff)
    tracked.refresh_from_db()
    assert tracked.state == RequestState.COMPLETED
    [message] = mail.outbox
    assert "consegnata" in str(message.subject)
    assert "La nuova SIM è già attiva sulla linea" in message.body


def test_the_same_card_is_not_shipped_in_two_envelopes(world: World) -> None:
    first = sim_change(world)
    ship(first.shipments.get(), world, **CARD)
    second = sim_change(world, line=world.lr_line)
    with pytest.raises(ShipmentRefused, match="un'altra richiesta aperta"):
        ship(second.shipments.get(), world, **CARD)
    assert second.shipments.get().state == ShipmentState.PREPARING


def test_a_sim_change_is_not_completed_while_its_sim_travels(world: World) -> None:
    tracked = sim_change(world)
    with pytest.raises(ShipmentRefused, match="spedizione in corso"):
        request_transition(
            request=tracked, to_state=RequestState.COMPLETED, actor=world.staff, details=CARD
        )
    tracked.refresh_from_db()
    assert tracked.state == RequestState.IN_PROGRESS
