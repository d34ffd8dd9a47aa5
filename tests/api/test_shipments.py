"""A channel relays its courier's news: the SIMs it ordered are shipped (carrier and
tracking number), then delivered or returned, along SHIPMENT_TRANSITIONS only; the
customer's own (web) requests are the back office's to move."""

from typing import Any

import pytest

from api.models import ApiScope
from lines.models import Plan
from tests.api.test_orders import call, delivery, open_order, plan, shop_token, token
from tests.conftest import World
from tracking.models import Channel, RequestKind, Shipment, ShipmentState
from tracking.services import request_create, request_transition

__all__ = ["plan", "token"]  # fixtures


@pytest.fixture
def taken(world: World, token: str, plan: Plan) -> dict[str, Any]:
    """A shop's order of physical SIMs that the operator took: its shipment is preparing."""
    reference = open_order(world, token, sims=[{}])["reference"]
    moved = call(
        "post", f"/api/v1/requests/{reference}/transitions/", {"state": "IN_PROGRESS"}, token
    )
    body: dict[str, Any] = moved.json()
    return body


def move(taken: dict[str, Any], token: str, **body: object):  # type: ignore[no-untyped-def]
    shipment = taken["shipments"][0]["id"]
    url = f"/api/v1/requests/{taken['reference']}/shipments/{shipment}/transitions/"
    return call("post", url, body, token)


def test_the_shipment_is_in_the_request(taken: dict[str, Any]) -> None:
    (shipment,) = taken["shipments"]
    assert shipment["state"] == "PREPARING" and shipment["allowed_states"] == ["SHIPPED"]
    assert shipment["carrier"] is None and shipment["tracking_number"] is None
    address = {key: value for key, value in delivery().items() if key != "contact_phone"}
    assert shipment["address"] == address
    assert [step["to"] for step in shipment["history"]] == ["PREPARING"]


def test_shipped_then_delivered(taken: dict[str, Any], token: str) -> None:
    shipped = move(taken, token, state="SHIPPED", carrier="BRT", tracking_number="BRT123456789")
    assert shipped.status_code == 200
    shipment = shipped.json()["shipments"][0]
    assert (shipment["state"], shipment["carrier"], shipment["tracking_number"]) == (
        "SHIPPED",
        "BRT",
        "BRT123456789",
    )
    delivered = move(taken, token, state="DELIVERED", note="Consegnato in portineria")
    assert delivered.status_code == 200
    history = delivered.json()["shipments"][0]["history"]
    assert [step["to"] for step in history] == ["PREPARING", "SHIPPED", "DELIVERED"]
    assert history[-1]["note"] == "Consegnato in portineria"
    again = move(taken, token, state="RETURNED")
    assert again.status_code == 409 and again.json()["allowed_states"] == []
    assert Shipment.objects.get().state == ShipmentState.DELIVERED


def test_shipping_needs_carrier_and_tracking_number(taken: dict[str, Any], token: str) -> None:
    response = move(taken, token, state="SHIPPED", carrier="BRT")
    assert response.status_code == 422 and response.json()["field"] == "tracking_number"
    response = move(taken, token, state="SHIPPED", tracking_number="BRT123456789")
    assert response.status_code == 422 and response.json()["field"] == "carrier"
    assert Shipment.objects.get().state == ShipmentState.PREPARING


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"state": "LOST"}, 400, "state"),
        ({"state": 3}, 400, "state"),
        ({"state": "SHIPPED", "carrier": "PONY", "tracking_number": "AB123456"}, 400, "carrier"),
        ({"state": "SHIPPED", "carrier": "BRT", "tracking_number": "ab 1"}, 400, "tracking_number"),
        ({"state": "DELIVERED"}, 409, None),
    ],
)
def test_wrong_moves_are_refused(
    taken: dict[str, Any], token: str, body: dict[str, object], status: int, field: str | None
) -> None:
    response = move(taken, token, **body)
    assert response.status_code == status
    if field:
        assert response.json()["field"] == field
    else:
        assert response.json()["allowed_states"] == ["SHIPPED"]
    assert Shipment.objects.get().state == ShipmentState.PREPARING


def test_only_the_requests_own_shipments_and_customers(
    world: World, taken: dict[str, Any], token: str
) -> None:
    shipment = taken["shipments"][0]["id"]
    other = request_create(
        company=world.company, kind=RequestKind.FAULT, channel=Channel.SHOP, summary="Guasto"
    )
    body = {"state": "SHIPPED", "carrier": "BRT", "tracking_number": "BRT123456789"}
    url = f"/api/v1/requests/{other.reference}/shipments/{shipment}/transitions/"
    assert call("post", url, body, token).status_code == 404
    outsider = shop_token(world, companies=[world.outsider_company])
    assert move(taken, outsider, **body).status_code == 404
    reader = shop_token(world, scopes=[ApiScope.REQUESTS_READ])
    assert move(taken, reader, **body).status_code == 403
    assert Shipment.objects.get().state == ShipmentState.PREPARING


def test_a_web_requests_shipment_is_the_back_offices(world: World, token: str) -> None:
    change = request_create(
        company=world.company,
        kind=RequestKind.SIM_CHANGE,
        channel=Channel.WEB,
        summary="Cambio SIM",
        line=world.lr_line,
        details={"delivery": delivery()},
    )
    request_transition(request=change, to_state="IN_PROGRESS", actor=world.staff)  # type: ignore[arg-type]
    shipment = Shipment.objects.get(request=change)
    url = f"/api/v1/requests/{change.reference}/shipments/{shipment.pk}/transitions/"
    body = {"state": "SHIPPED", "carrier": "BRT", "tracking_number": "BRT123456789"}
    response = call("post", url, body, token)
    assert response.status_code == 403 and response.json()["field"] == "channel"
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.PREPARING
