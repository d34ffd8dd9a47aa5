"""What the review of the API's orders found: a replayed external_id answers only the
customer's own order, completion data agrees with itself and with ported numbers, and the
requester is an active person."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Line
from lines.models import OrderedSim, Plan, PortInState
from lines.portability import port_in_move
from tests.api.test_orders import URL, call, complete, new_order, open_order, shop_token
from tests.conftest import World
from tests.factories import _iccid
from tracking.models import Channel, Request, RequestKind
from tracking.services import request_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(world: World) -> str:
    return shop_token(world)


@pytest.fixture
def plan(world: World) -> Plan:
    return Plan.objects.create(
        code="business-50",
        name="Business 50",
        monthly_fee=Decimal("12.00"),
        data_gb=50,
        segments=[world.company.segment],
    )


def test_an_external_id_of_another_kind_of_request_is_no_replay(
    world: World, token: str, plan: Plan
) -> None:
    request_create(
        company=world.company,
        kind=RequestKind.SIM_CHANGE,
        summary="Cambio SIM",
        channel=Channel.SHOP,
        external_id="NEG-ORD-1",
    )
    response = call("post", URL, new_order(world), token)
    assert response.status_code == 409 and response.json()["field"] == "external_id"


def test_an_external_id_of_another_customer_is_no_replay(world: World, plan: Plan) -> None:
    both = shop_token(world, companies=[world.company, world.outsider_company])
    open_order(world, both)
    plan.segments = sorted({*plan.segments, world.outsider_company.segment})
    plan.save()
    outsider = {
        "customer_code": world.outsider_company.customer_code,
        "contract": world.outsider_line.contract.number,
    }
    response = call("post", URL, new_order(world, **outsider, sims=[{}]), both)
    assert response.status_code == 409 and response.json()["field"] == "external_id"
    assert Request.objects.filter(company=world.outsider_company).count() == 0


def start(world: World, token: str, sims: list[dict[str, Any]]) -> str:
    reference: str = open_order(world, token, sims=sims)["reference"]
    call("post", f"/api/v1/requests/{reference}/transitions/", {"state": "IN_PROGRESS"}, token)
    return reference


@pytest.mark.parametrize("key", ["iccid", "number"])
def test_the_same_iccid_or_number_on_two_sims_is_refused(
    world: World, token: str, plan: Plan, key: str
) -> None:
    reference = start(world, token, [{}, {}])
    first = {"position": 1, "iccid": _iccid(900011), "puk": "12345678", "number": "+393477000011"}
    second = {"position": 2, "iccid": _iccid(900012), "puk": "12345678", "number": "+393477000012"}
    second[key] = first[key]
    response = complete(reference, token, {"sims": [first, second]})
    assert response.status_code == 422, response.json()
    assert response.json()["field"] == f"details.sims[1].{key}"
    assert not OrderedSim.objects.filter(line__isnull=False).exists()


def test_no_number_for_a_sim_that_keeps_its_ported_one(
    world: World, token: str, plan: Plan
) -> None:
    ported = new_order(world)["sims"][0]["port_in"]  # type: ignore[index]
    reference = start(world, token, [{"port_in": ported}])
    sim = OrderedSim.objects.get(order__request__reference=reference)
    sim = port_in_move(ordered_sim=sim, to_state=PortInState.ACCEPTED, actor=None)
    today = timezone.localdate()
    sim = port_in_move(
        ordered_sim=sim, to_state=PortInState.SCHEDULED, actor=None, cutover_date=today
    )
    sim = port_in_move(ordered_sim=sim, to_state=PortInState.DONE, actor=None)
    given = {"position": 1, "iccid": _iccid(900013), "puk": "12345678", "number": "+393477000013"}
    response = complete(reference, token, {"sims": [given]})
    assert response.status_code == 422 and response.json()["field"] == "details.sims[0].number"
    assert not Line.objects.filter(number="+393477000013").exists()


def test_an_inactive_requester_is_refused(world: World, token: str, plan: Plan) -> None:
    world.full.is_active = False
    world.full.save()
    response = call("post", URL, new_order(world, requester=world.full.username), token)
    assert response.status_code == 400 and response.json()["field"] == "requester"
