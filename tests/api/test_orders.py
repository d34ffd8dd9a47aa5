"""Orders of new SIMs from a shop's or an agent's system: opened once per external_id,
refused field by field with the path of what is wrong, completed through the request's
transitions with exactly the lines they ask, and a retried completion adds nothing."""

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from accounts.models import Line, Sim
from api.auth import api_client_create
from api.models import ApiClient, ApiScope
from lines.models import OrderedSim, Plan, SimOrder
from lines.orders import OrderedSimData, order_create
from tests.conftest import World
from tests.factories import _iccid
from tracking.models import ApprovalPolicy, Channel, Request, RequestKind, RequestState

URL = "/api/v1/orders/"
PORTED = "+393471112233"
HOLDER = "RSSMRA80A01H501U"
BAD_ICCID = "8939011234567890123"  # the Luhn digit is wrong
BAD_CF = "RSSMRA80A01H501X"
PORT_IN = "sims[0].port_in"
NEW_SIM = {"position": 1, "iccid": _iccid(900004), "puk": "12345678"}


def call(method: str, url: str, body: object, token: str):  # type: ignore[no-untyped-def]
    return getattr(Client(), method)(
        url,
        json.dumps(body) if body is not None else None,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def shop_token(world: World, **grants: Any) -> str:
    defaults: dict[str, Any] = {
        "scopes": [ApiScope.REQUESTS_READ, ApiScope.REQUESTS_WRITE],
        "channels": [Channel.SHOP],
        "companies": [world.company],
    }
    return api_client_create(name=f"negozi-{ApiClient.objects.count()}", **{**defaults, **grants})[
        1
    ]


@pytest.fixture
def token(world: World) -> str:
    return shop_token(world)


@pytest.fixture
def plan(world: World) -> Plan:
    return Plan.objects.create(
        code="business-50",
        name="Business 50",
        description="50 GB, minuti illimitati",
        monthly_fee=Decimal("12.00"),
        data_gb=50,
        segments=[world.company.segment],
    )


def delivery() -> dict[str, str]:
    return {
        "recipient": "Ufficio acquisti",
        "street": "Via Roma 1",
        "postal_code": "00184",
        "city": "Roma",
        "province": "RM",
        "contact_phone": "333 1234567",
    }


def port_in(**changes: str) -> dict[str, str]:
    return {
        "number": PORTED,
        "donor": "TIM",
        "iccid": _iccid(900001),
        "holder_tax_code": HOLDER,
        **changes,
    }


def new_order(world: World, **changes: object) -> dict[str, object]:
    return {
        "customer_code": world.company.customer_code,
        "channel": "SHOP",
        "external_id": "NEG-ORD-1",
        "contract": world.mobile.number,
        "plan": "business-50",
        "sim_kind": "PHYSICAL",
        "sims": [
            {"assignee": world.user.username, "port_in": port_in()},
            {"assignee": None, "port_in": None},
        ],
        "delivery": delivery(),
        **changes,
    }


def open_order(world: World, token: str, **changes: object) -> dict[str, Any]:
    response = call("post", URL, new_order(world, **changes), token)
    assert response.status_code == 201, response.json()
    body: dict[str, Any] = response.json()
    return body


def test_a_shop_orders_sims_the_customer_sees_as_an_order(
    world: World, token: str, plan: Plan
) -> None:
    body = open_order(world, token)
    assert body["kind"] == "EXPANSION" and body["channel"] == "SHOP"
    assert body["state"] == "SUBMITTED" and body["shipments"] == []
    order = body["order"]
    assert (order["contract"], order["plan"], order["quantity"]) == (
        world.mobile.number,
        "business-50",
        2,
    )
    assert order["delivery"]["contact_phone"] == "+393331234567"  # stored in E.164
    assert order["esim_email"] is None
    first, second = order["sims"]
    assert first["assignee"] == world.user.username and first["number"] is None
    assert first["port_in"]["number"] == PORTED and first["port_in"]["state"] == "REQUESTED"
    assert first["port_in"]["allowed_states"] == ["ACCEPTED", "REFUSED"]
    assert [step["to"] for step in first["port_in"]["history"]] == ["REQUESTED"]
    assert second == {"position": 2, "assignee": None, "number": None, "port_in": None}
    tracked = Request.objects.get(reference=body["reference"])
    assert SimOrder.objects.get(request=tracked).sims.count() == 2


def test_an_esim_order_goes_to_an_email(world: World, token: str, plan: Plan) -> None:
    body = open_order(
        world,
        token,
        sim_kind="ESIM",
        delivery=None,
        esim_email="it@example.com",
        sims=[{"assignee": None, "port_in": None}],
    )
    assert body["order"]["esim_email"] == "it@example.com"
    assert body["order"]["delivery"] is None


def test_the_same_external_id_returns_the_same_order(world: World, token: str, plan: Plan) -> None:
    first = open_order(world, token)
    again = call("post", URL, new_order(world), token)
    assert again.status_code == 200
    assert again.json()["reference"] == first["reference"]
    assert SimOrder.objects.count() == 1 and OrderedSim.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"customer_code": "XX0000000"}, "customer_code"),
        ({"channel": "WEB"}, "channel"),
        ({"contract": "CTR-NESSUNO"}, "contract"),
        ({"plan": "nessuno"}, "plan"),
        ({"sim_kind": "CHIP"}, "sim_kind"),
        ({"sims": []}, "sims"),
        ({"sims": [{"assignee": None}] * 101}, "sims"),
        ({"sims": [{"assignee": "nessuno"}]}, "sims[0].assignee"),
        ({"sims": [None, {"port_in": port_in(iccid=BAD_ICCID)}]}, "sims[0]"),
        ({"sims": [{}, {"port_in": port_in(iccid=BAD_ICCID)}]}, "sims[1].port_in.iccid"),
        ({"sims": [{"port_in": port_in(number="12")}]}, "sims[0].port_in.number"),
        ({"sims": [{"port_in": port_in(donor="ACME")}]}, "sims[0].port_in.donor"),
        ({"sims": [{"port_in": port_in(holder_tax_code=BAD_CF)}]}, f"{PORT_IN}.holder_tax_code"),
        ({"sims": [{"port_in": "+393471112233"}]}, "sims[0].port_in"),
        ({"delivery": {**delivery(), "postal_code": "0018"}}, "delivery.postal_code"),
        ({"delivery": {**delivery(), "province": "XX"}}, "delivery.province"),
        ({"delivery": {**delivery(), "contact_phone": "abc"}}, "delivery.contact_phone"),
        ({"delivery": {**delivery(), "street": 7}}, "delivery.street"),
        ({"delivery": None}, "delivery"),
        ({"esim_email": "it@example.com"}, "esim_email"),
        ({"sim_kind": "ESIM", "delivery": None}, "esim_email"),
        ({"sim_kind": "ESIM", "esim_email": "it@example.com"}, "delivery"),
        ({"external_id": "x" * 65}, "external_id"),
    ],
)  # fmt: skip
def test_invalid_orders_say_where(
    world: World, token: str, plan: Plan, changes: dict[str, object], field: str
) -> None:
    response = call("post", URL, new_order(world, **changes), token)
    assert response.status_code == 400
    assert response.json()["error"] == "The order was not created."
    assert field in response.json()["errors"] and response.json()["detail"]
    assert not Request.objects.exists()


def test_a_number_that_is_already_ours_is_refused(world: World, token: str, plan: Plan) -> None:
    body = new_order(world, sims=[{"port_in": port_in(number=world.spare_line.number)}])
    response = call("post", URL, body, token)
    assert response.status_code == 400
    assert response.json()["field"] == "sims[0].port_in.number"
    assert not Request.objects.exists()


def test_the_same_number_twice_is_refused(world: World, token: str, plan: Plan) -> None:
    twice = {"port_in": port_in()}
    response = call("post", URL, new_order(world, sims=[twice, twice]), token)
    assert response.status_code == 422
    assert "compare in più SIM" in response.json()["detail"]
    assert not Request.objects.exists()


def test_another_segments_plan_is_not_offered(world: World, token: str, plan: Plan) -> None:
    plan.segments = ["NONE"]
    plan.save()
    response = call("post", URL, new_order(world), token)
    assert response.status_code == 400 and response.json()["field"] == "plan"


def test_another_customer_is_no_customer(world: World, token: str, plan: Plan) -> None:
    body = new_order(world, customer_code=world.outsider_company.customer_code)
    response = call("post", URL, body, token)
    assert response.status_code == 400
    assert response.json()["errors"]["customer_code"] == ["No customer has this code."]
    assert not Request.objects.exists()


def test_orders_need_the_write_scope_and_the_channel(world: World, plan: Plan) -> None:
    reader = shop_token(world, scopes=[ApiScope.REQUESTS_READ])
    assert call("post", URL, new_order(world), reader).status_code == 403
    phone = shop_token(world, channels=[Channel.PHONE])
    response = call("post", URL, new_order(world), phone)
    assert response.status_code == 403 and response.json()["field"] == "channel"
    assert call("post", URL, new_order(world), "nope").status_code == 401
    assert not Request.objects.exists()


def test_a_shops_order_skips_the_companys_web_approval(
    world: World, token: str, plan: Plan
) -> None:
    """Approval is for what the company's own people ask in the area; a shop identifies the
    customer its own way (tracking.approval_policy)."""
    ApprovalPolicy.objects.create(company=world.company, kinds=[RequestKind.EXPANSION])
    assert open_order(world, token)["state"] == "SUBMITTED"


# --- Completion ----------------------------------------------------------------------------


def complete(reference: str, token: str, details: object = None):  # type: ignore[no-untyped-def]
    body: dict[str, object] = {"state": "COMPLETED"}
    if details is not None:
        body["details"] = details
    return call("post", f"/api/v1/requests/{reference}/transitions/", body, token)


def test_completion_creates_exactly_the_lines_asked_and_a_retry_none(
    world: World, token: str, plan: Plan
) -> None:
    reference = open_order(world, token, sims=[{"assignee": world.user.username}, {}, {}])[
        "reference"
    ]
    move = f"/api/v1/requests/{reference}/transitions/"
    assert call("post", move, {"state": "IN_PROGRESS"}, token).status_code == 200
    lines_before = Line.objects.count()
    supplied = [{"position": 2, "iccid": _iccid(900002), "puk": "12345678", "number": PORTED}]
    done = complete(reference, token, {"sims": supplied})
    assert done.status_code == 200, done.json()
    body = done.json()
    assert body["state"] == "COMPLETED" and body["allowed_states"] == []
    numbers = [sim["number"] for sim in body["order"]["sims"]]
    assert None not in numbers and numbers[1] == PORTED
    created = Line.objects.filter(number__in=numbers)
    assert Line.objects.count() == lines_before + 3 and created.count() == 3
    assert created.get(number=PORTED).sims.get().iccid == _iccid(900002)
    assert created.get(number=numbers[0]).assignee == world.user
    assert all(line.contract == world.mobile for line in created)
    # The order's own description of each SIM stays; the channel's data joins it.
    stored = Request.objects.get(reference=reference).details["sims"][1]
    assert stored["assignee"] is None and stored["iccid"] == _iccid(900002)
    events = Request.objects.get(reference=reference).events.count()
    for retry in (complete(reference, token, {"sims": supplied}), complete(reference, token)):
        assert retry.status_code == 200 and retry.json()["state"] == "COMPLETED"
    assert (
        Line.objects.count() == lines_before + 3
        and Sim.objects.filter(line__in=created).count() == 3
    )
    assert Request.objects.get(reference=reference).events.count() == events
    # A retry that says something else is no retry: refused, and still nothing created.
    other = [{"position": 2, "iccid": _iccid(900003), "puk": "12345678"}]
    changed = complete(reference, token, {"sims": other})
    assert changed.status_code == 422 and changed.json()["field"] == "details.sims[0].iccid"
    assert complete(reference, token, {"note_id": "X"}).status_code == 409
    assert Line.objects.count() == lines_before + 3


@pytest.mark.parametrize(
    ("sims", "field"),
    [
        ("tutte", "details.sims"),
        ([{"position": 9, "iccid": _iccid(900004), "puk": "12345678"}], "details.sims[0].position"),
        ([{"position": 1, "iccid": "123", "puk": "12345678"}], "details.sims[0].iccid"),
        ([{"position": 1, "iccid": _iccid(900004), "puk": "12"}], "details.sims[0].puk"),
        ([{"position": 1, "iccid": _iccid(900004)}], "details.sims[0]"),
        ([{**NEW_SIM, "pin": "1"}], "details.sims[0].pin"),
        ([{**NEW_SIM, "number": "x"}], "details.sims[0].number"),
    ],
)  # fmt: skip
def test_bad_completion_data_is_refused_with_its_path(
    world: World, token: str, plan: Plan, sims: object, field: str
) -> None:
    reference = open_order(world, token, sims=[{}])["reference"]
    call("post", f"/api/v1/requests/{reference}/transitions/", {"state": "IN_PROGRESS"}, token)
    response = complete(reference, token, {"sims": sims})
    assert response.status_code == 422 and response.json()["field"] == field
    tracked = Request.objects.get(reference=reference)
    assert (
        tracked.state == RequestState.IN_PROGRESS
        and not OrderedSim.objects.filter(line__isnull=False).exists()
    )


def test_an_iccid_of_another_sim_is_refused(world: World, token: str, plan: Plan) -> None:
    reference = open_order(world, token, sims=[{}])["reference"]
    call("post", f"/api/v1/requests/{reference}/transitions/", {"state": "IN_PROGRESS"}, token)
    taken = Sim.objects.filter(line=world.lr_line).values_list("iccid", flat=True).first() or ""
    assert taken
    response = complete(reference, token, {"sims": [{"position": 1, "iccid": taken, "puk": "1"}]})
    assert response.status_code == 422 and response.json()["field"] == "details.sims[0].iccid"


def test_completion_waits_for_the_portability(world: World, token: str, plan: Plan) -> None:
    reference = open_order(world, token)["reference"]
    call("post", f"/api/v1/requests/{reference}/transitions/", {"state": "IN_PROGRESS"}, token)
    response = complete(reference, token)
    assert response.status_code == 422 and PORTED in response.json()["error"]
    assert Request.objects.get(reference=reference).state == RequestState.IN_PROGRESS


def test_an_order_awaiting_approval_is_not_movable(world: World, plan: Plan) -> None:
    """The company's approvers decide first. A web order waiting for them is the back
    office's channel, not the shop's (403); were a channel's own request ever waiting, the
    API says so with a clean 409 and no state to move to."""
    ApprovalPolicy.objects.create(company=world.company, kinds=[RequestKind.EXPANSION])
    esim = {
        "company": world.company,
        "requester": world.full,
        "contract": world.mobile,
        "plan": plan,
        "sim_kind": Sim.Kind.ESIM,
        "sims": [OrderedSimData(assignee=None, port_in=None)],
        "delivery": None,
        "esim_email": "it@example.com",
    }
    web = order_create(**esim)
    assert web.state == RequestState.AWAITING_APPROVAL
    shop = order_create(**esim, channel=Channel.SHOP, external_id="NEG-9")
    Request.objects.filter(pk=shop.pk).update(state=RequestState.AWAITING_APPROVAL)
    token = shop_token(world)
    detail = call("get", f"/api/v1/requests/{shop.reference}/", None, token).json()
    assert detail["state"] == "AWAITING_APPROVAL" and detail["allowed_states"] == []
    for state in ("SUBMITTED", "IN_PROGRESS", "COMPLETED", "REJECTED"):
        body = {"state": state, "note": "no"}
        own = call("post", f"/api/v1/requests/{shop.reference}/transitions/", body, token)
        assert own.status_code == 409, state
        assert own.json()["allowed_states"] == []
        theirs = call("post", f"/api/v1/requests/{web.reference}/transitions/", body, token)
        assert theirs.status_code == 403
    for tracked in (web, shop):
        tracked.refresh_from_db()
        assert tracked.state == RequestState.AWAITING_APPROVAL and tracked.events.count() == 1
