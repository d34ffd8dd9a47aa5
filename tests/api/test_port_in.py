"""The portability of a number an order brings, moved by the channel that ordered it:
accepted by the donor, scheduled for a cut-over date, done or refused with a reason, along
PORT_IN_TRANSITIONS only; the completed order's line keeps the ported number."""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Line
from api.models import ApiScope
from lines.models import OrderedSim, Plan, PortInState
from tests.api.test_orders import PORTED, call, open_order, plan, shop_token, token
from tests.conftest import World
from tracking.models import Channel, Request, RequestState, Shipment, ShipmentState

__all__ = ["plan", "token"]  # fixtures


@pytest.fixture
def order(world: World, token: str, plan: Plan) -> dict[str, Any]:
    """A shop's order: SIM 1 brings its number, SIM 2 gets a new one."""
    body: dict[str, Any] = open_order(world, token)
    return body


def port(order: dict[str, Any], token: str, position: int = 1, **body: object):  # type: ignore[no-untyped-def]
    url = f"/api/v1/requests/{order['reference']}/sims/{position}/port-in/transitions/"
    return call("post", url, body, token)


def test_a_number_ported_to_the_end_becomes_the_new_line(
    world: World, order: dict[str, Any], token: str
) -> None:
    assert port(order, token, state="ACCEPTED").status_code == 200
    scheduled = port(order, token, state="SCHEDULED", cutover_date="2026-12-15")
    assert scheduled.status_code == 200
    sim = scheduled.json()["order"]["sims"][0]["port_in"]
    assert (sim["state"], sim["cutover_date"]) == ("SCHEDULED", "2026-12-15")
    assert sim["allowed_states"] == ["DONE", "REFUSED"]
    done = port(order, token, state="DONE")
    history = done.json()["order"]["sims"][0]["port_in"]["history"]
    assert [step["to"] for step in history] == ["REQUESTED", "ACCEPTED", "SCHEDULED", "DONE"]
    move = f"/api/v1/requests/{order['reference']}/transitions/"
    assert call("post", move, {"state": "IN_PROGRESS"}, token).status_code == 200
    completed = call("post", move, {"state": "COMPLETED"}, token)
    assert completed.status_code == 200, completed.json()
    assert completed.json()["order"]["sims"][0]["number"] == PORTED
    assert Line.objects.get(number=PORTED).contract == world.mobile


def test_a_refusal_needs_its_reason(order: dict[str, Any], token: str) -> None:
    response = port(order, token, state="REFUSED")
    assert response.status_code == 422 and response.json()["field"] == "reason"
    refused = port(order, token, state="REFUSED", reason="Codice fiscale non corrispondente")
    assert refused.status_code == 200
    sim = refused.json()["order"]["sims"][0]["port_in"]
    assert sim["state"] == "REFUSED"
    assert sim["refusal_reason"] == "Codice fiscale non corrispondente"
    assert sim["allowed_states"] == []


def test_a_schedule_needs_its_date(order: dict[str, Any], token: str) -> None:
    port(order, token, state="ACCEPTED")
    response = port(order, token, state="SCHEDULED")
    assert response.status_code == 422 and response.json()["field"] == "cutover_date"
    assert OrderedSim.objects.get(position=1).port_state == PortInState.ACCEPTED


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"state": "DONE"}, 409, None),
        ({"state": "SCHEDULED", "cutover_date": "2026-12-15"}, 409, None),
        ({"state": "TELEPORTED"}, 400, "state"),
        ({"state": ["DONE"]}, 400, "state"),
        ({"state": "ACCEPTED", "cutover_date": "15/12/2026"}, 400, "cutover_date"),
        ({"state": "REFUSED", "reason": "x" * 301}, 400, "reason"),
    ],
)
def test_wrong_moves_are_refused(
    order: dict[str, Any], token: str, body: dict[str, object], status: int, field: str | None
) -> None:
    response = port(order, token, **body)
    assert response.status_code == status
    if field:
        assert response.json()["field"] == field
    else:
        assert response.json()["allowed_states"] == ["ACCEPTED", "REFUSED"]
    assert OrderedSim.objects.get(position=1).port_state == PortInState.REQUESTED


def test_only_sims_that_bring_a_number(order: dict[str, Any], token: str) -> None:
    assert port(order, token, position=2, state="ACCEPTED").status_code == 404
    assert port(order, token, position=9, state="ACCEPTED").status_code == 404


def test_only_the_channels_and_customers_of_the_token(world: World, order: dict[str, Any]) -> None:
    outsider = shop_token(world, companies=[world.outsider_company])
    assert port(order, outsider, state="ACCEPTED").status_code == 404
    reader = shop_token(world, scopes=[ApiScope.REQUESTS_READ])
    assert port(order, reader, state="ACCEPTED").status_code == 403
    agent = shop_token(world, channels=[Channel.AGENT])
    response = port(order, agent, state="ACCEPTED")
    assert response.status_code == 403 and response.json()["field"] == "channel"
    assert OrderedSim.objects.get(position=1).port_state == PortInState.REQUESTED


def test_a_closed_order_keeps_its_portability(order: dict[str, Any], token: str) -> None:
    Request.objects.filter(reference=order["reference"]).update(state=RequestState.CANCELLED)
    response = port(order, token, state="ACCEPTED")
    assert response.status_code == 409 and response.json()["allowed_states"] == []


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)
STATES = st.sampled_from([*PortInState.values, *ShipmentState.values, "X"])


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.fixed_dictionaries(
        {"state": STATES | JSON_VALUES},
        optional={
            "cutover_date": st.dates().map(str) | JSON_VALUES,
            "reason": JSON_VALUES,
            "carrier": st.sampled_from(["BRT", "GLS"]) | JSON_VALUES,
            "tracking_number": st.from_regex(r"\A[A-Z0-9]{6,12}\Z") | JSON_VALUES,
            "note": JSON_VALUES,
        },
    )
)
def test_a_real_orders_moves_never_fail_with_a_server_error(
    taken_order: dict[str, Any], token: str, body: dict[str, object]
) -> None:
    """The schema fuzzer reaches these endpoints with made-up references (404): here the
    bodies land on a real order's portability and shipment, in whatever state they are."""
    reference = taken_order["reference"]
    shipment = Shipment.objects.get(request__reference=reference).pk
    for url in (
        f"/api/v1/requests/{reference}/sims/1/port-in/transitions/",
        f"/api/v1/requests/{reference}/shipments/{shipment}/transitions/",
    ):
        response = call("post", url, body, token)
        assert response.status_code in {200, 400, 409, 422}, response.content
        assert response["Content-Type"] == "application/json"


@pytest.fixture
def taken_order(order: dict[str, Any], token: str) -> dict[str, Any]:
    url = f"/api/v1/requests/{order['reference']}/transitions/"
    body: dict[str, Any] = call("post", url, {"state": "IN_PROGRESS"}, token).json()
    return body
