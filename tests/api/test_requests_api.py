"""Tracked requests through the API: other channels open them and move them; wrong tokens,
bad payloads and illegal moves are refused with clear JSON."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Line
from api.auth import api_client_create
from api.models import ApiScope
from billing.models import BillingProfile
from tests.accounts.helpers import signed_in
from tests.conftest import World, sign_in
from tests.factories import _iccid
from tracking.models import Channel, Request, RequestKind, RequestState

URL = "/api/v1/requests/"


@pytest.fixture
def token(world: World) -> str:
    # The shops' system, for the company the tests open requests for.
    return api_client_create(
        name="negozi",
        scopes=[ApiScope.REQUESTS_READ, ApiScope.REQUESTS_WRITE],
        channels=[Channel.SHOP],
        companies=[world.company],
    )[1]


def call(method: str, url: str, body: object, token: str):  # type: ignore[no-untyped-def]
    return getattr(Client(), method)(
        url,
        json.dumps(body) if body is not None else None,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def new_request(world: World, **changes: object) -> dict[str, object]:
    return {
        "customer_code": world.company.customer_code,
        "kind": "ACTIVATION",
        "channel": "SHOP",
        "summary": "Attivazione di 3 SIM in negozio",
        "line": world.lr_line.number,
        "requester": world.lr.username,
        "external_id": "NEG-0042",
        "details": {"sims": 3},
        **changes,
    }


def test_a_shop_opens_a_request_the_customer_sees_in_tracking(world: World, token: str) -> None:
    response = call("post", URL, new_request(world), token)
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "SUBMITTED" and body["channel"] == "SHOP"
    assert body["line"] == world.lr_line.number and body["requester"] == world.lr.username
    assert body["history"][0]["to"] == "SUBMITTED"
    tracked = Request.objects.get(reference=body["reference"])
    assert tracked.company == world.company and tracked.channel == Channel.SHOP
    client = Client()
    sign_in(client, world.full)
    assert body["reference"] in client.get("/tracking/").content.decode()


def test_the_same_external_id_returns_the_same_request(world: World, token: str) -> None:
    first = call("post", URL, new_request(world), token)
    again = call("post", URL, new_request(world), token)
    assert again.status_code == 200
    assert again.json()["reference"] == first.json()["reference"]
    assert Request.objects.count() == 1


def test_wrong_or_missing_token_is_401(world: World) -> None:
    assert call("post", URL, new_request(world), "not-a-token").status_code == 401
    response = Client().post(URL, json.dumps(new_request(world)), content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"] == "A valid API token is required."
    assert not Request.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"customer_code": "XX0000000"}, "customer_code"),
        ({"kind": "TELEPORT"}, "kind"),
        ({"channel": "WEB"}, "channel"),
        ({"summary": ""}, "summary"),
        ({"summary": "x" * 201}, "summary"),
        ({"line": "+390000000000"}, "line"),
        ({"requester": "nessuno"}, "requester"),
        ({"kind": 7}, "kind"),
        ({"details": [1, 2]}, "details"),
    ],
)
def test_invalid_payloads_are_explained(
    world: World, token: str, changes: dict[str, object], field: str
) -> None:
    response = call("post", URL, new_request(world, **changes), token)
    assert response.status_code == 400
    assert response.json()["field"] == field and response.json()["detail"]
    assert not Request.objects.exists()


def test_another_companys_line_is_refused(world: World, token: str) -> None:
    body = new_request(world, line=world.outsider_line.number)
    assert call("post", URL, body, token).json()["field"] == "line"


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '"text"'])
def test_malformed_bodies_are_400(token: str, raw: str) -> None:
    response = Client().post(
        URL, raw, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 400 and "error" in response.json()


def test_moving_a_request_along_the_state_machine(world: World, token: str) -> None:
    reference = call("post", URL, new_request(world), token).json()["reference"]
    url = f"{URL}{reference}/transitions/"
    moved = call("post", url, {"state": "IN_PROGRESS", "note": "Presa in carico"}, token)
    assert moved.status_code == 200
    assert moved.json()["state"] == "IN_PROGRESS"
    assert moved.json()["history"][-1]["note"] == "Presa in carico"
    refused = call("post", url, {"state": "SUBMITTED"}, token)
    assert refused.status_code == 409
    assert set(refused.json()["allowed_states"]) == {"WAITING_CUSTOMER", "COMPLETED", "REJECTED"}
    assert call("post", url, {"state": "COMPLETED"}, token).json()["state"] == "COMPLETED"
    assert call("post", url, {"state": "IN_PROGRESS"}, token).status_code == 409
    detail = call("get", f"{URL}{reference}/", None, token).json()
    assert [step["to"] for step in detail["history"]] == ["SUBMITTED", "IN_PROGRESS", "COMPLETED"]


def test_a_sim_change_completed_by_api_needs_the_new_sim(world: World, token: str) -> None:
    body = new_request(world, kind="SIM_CHANGE", external_id="", line=world.user_line.number)
    reference = call("post", URL, body, token).json()["reference"]
    url = f"{URL}{reference}/transitions/"
    call("post", url, {"state": "IN_PROGRESS"}, token)
    response = call("post", url, {"state": "COMPLETED"}, token)
    assert response.status_code == 422
    assert Request.objects.get(reference=reference).state == RequestState.IN_PROGRESS
    done = call(
        "post",
        url,
        {
            "state": "COMPLETED",
            "details": {"new_iccid": "8939010000000090015", "new_puk": "11223344"},
        },
        token,
    )
    assert done.status_code == 200
    active = Line.objects.get(pk=world.user_line.pk).sims.get(is_active=True)
    assert active.iccid == "8939010000000090015"


CUSTOMER_IBAN = "IT60X0542811101000000123456"
PREVIOUS_IBAN = "IT02L1234512345123456789012"


def test_api_details_never_replace_the_customers_iban(world: World, token: str) -> None:
    """The customer signed a direct debit mandate at the shop; whoever completes the request
    through the API may add data, never put another account in its place."""
    BillingProfile.objects.create(
        company=world.company, direct_debit_iban=PREVIOUS_IBAN, direct_debit_holder="Acme"
    )
    mandate = {
        "iban": CUSTOMER_IBAN,
        "holder": world.company.name,
        "mandate_reference": "NEG-MANDATO-0001",
        "mandate_signed_on": "2026-10-05",
    }
    body = new_request(world, kind="DIRECT_DEBIT", external_id="", details=mandate)
    reference = call("post", URL, body, token).json()["reference"]
    url = f"{URL}{reference}/transitions/"
    call("post", url, {"state": "IN_PROGRESS"}, token)
    other_account = {"iban": PREVIOUS_IBAN.replace("L123", "L999"), "holder": mandate["holder"]}
    response = call("post", url, {"state": "COMPLETED", "details": other_account}, token)
    assert response.status_code == 422
    reason = "The request already has a different value: details may add data, not change it."
    assert response.json() == {
        "error": "The request was not moved.",
        "field": "details.iban",
        "detail": reason,
        "errors": {"details.iban": [reason]},  # the holder is the same: no change
    }
    tracked = Request.objects.get(reference=reference)
    assert tracked.state == RequestState.IN_PROGRESS and tracked.details == mandate
    billing = BillingProfile.objects.get(company=world.company)
    assert (billing.direct_debit_iban, billing.direct_debit_holder) == (PREVIOUS_IBAN, "Acme")
    # The operator's own data is added, the customer's kept.
    added = {"iban": CUSTOMER_IBAN, "verified_on": "2026-10-06"}
    done = call("post", url, {"state": "COMPLETED", "details": added}, token)
    assert done.status_code == 200
    assert done.json()["details"] == {**mandate, "verified_on": "2026-10-06"}
    billing.refresh_from_db()
    assert billing.direct_debit_iban == CUSTOMER_IBAN
    assert billing.mandate_reference == "NEG-MANDATO-0001"


def test_the_back_office_corrects_what_the_api_may_not(world: World, token: str) -> None:
    """A shop typed the wrong ICCID when it opened the SIM change: the API cannot swap it,
    the operator (who reads the request before completing it) can."""
    wrong, right = _iccid(9100), _iccid(9101)
    body = new_request(
        world,
        kind="SIM_CHANGE",
        external_id="",
        line=world.user_line.number,
        details={"new_iccid": wrong, "new_puk": "11223344"},
    )
    reference = call("post", URL, body, token).json()["reference"]
    url = f"{URL}{reference}/transitions/"
    call("post", url, {"state": "IN_PROGRESS"}, token)
    response = call("post", url, {"state": "COMPLETED", "details": {"new_iccid": right}}, token)
    assert response.status_code == 422 and response.json()["field"] == "details.new_iccid"
    tracked = Request.objects.get(reference=reference)
    assert tracked.state == RequestState.IN_PROGRESS and tracked.details["new_iccid"] == wrong
    operator = signed_in(world.staff)
    page = reverse("backoffice:request-detail", args=[tracked.pk])
    completion = {"completion-new_iccid": right, "completion-new_puk": "55667788"}
    assert operator.post(page, {"to_state": "COMPLETED", **completion}).status_code == 302
    tracked.refresh_from_db()
    assert tracked.state == RequestState.COMPLETED and tracked.details["new_iccid"] == right
    active = Line.objects.get(pk=world.user_line.pk).sims.get(is_active=True)
    assert (active.iccid, active.puk) == (right, "55667788")


@pytest.mark.parametrize(
    ("kind", "details"),
    [
        ("DIRECT_DEBIT", {}),
        (
            "DIRECT_DEBIT",
            {"iban": 5, "holder": [], "mandate_reference": {}, "mandate_signed_on": 3},
        ),
        ("SHIPPING_ADDRESS", {}),
        ("RELOCATION", {"address": "Via Roma 1"}),
        ("SIM_CHANGE", {"new_iccid": _iccid(9200), "new_puk": "12"}),
    ],
)
def test_a_completion_without_usable_data_is_422_and_moves_nothing(
    world: World, token: str, kind: str, details: dict[str, object]
) -> None:
    """A request another channel opened without the data its completion applies: the client
    hears so, instead of a server error, and the request waits for the data."""
    body = new_request(world, kind=kind, external_id="", line=world.user_line.number)
    reference = call("post", URL, body, token).json()["reference"]
    url = f"{URL}{reference}/transitions/"
    call("post", url, {"state": "IN_PROGRESS"}, token)
    response = call("post", url, {"state": "COMPLETED", "details": details}, token)
    assert response.status_code == 422
    assert response.json()["field"] == "details" and response.json()["detail"]
    tracked = Request.objects.get(reference=reference)
    assert tracked.state == RequestState.IN_PROGRESS and tracked.details == {"sims": 3}
    assert not BillingProfile.objects.exists()
    assert Line.objects.get(pk=world.user_line.pk).sims.count() == 1


def test_unknown_reference_and_bad_state_are_clear(world: World, token: str) -> None:
    assert call("get", f"{URL}RCNOTTHERE/", None, token).status_code == 404
    reference = call("post", URL, new_request(world), token).json()["reference"]
    response = call("post", f"{URL}{reference}/transitions/", {"state": "DONE"}, token)
    assert response.status_code == 400 and response.json()["field"] == "state"
    assert Request.objects.get(reference=reference).kind == RequestKind.ACTIVATION


def test_a_rejection_without_a_note_is_422(world: World, token: str) -> None:
    reference = call("post", URL, new_request(world), token).json()["reference"]
    url = f"{URL}{reference}/transitions/"
    refused = call("post", url, {"state": "REJECTED", "note": " "}, token)
    assert refused.status_code == 422
    assert refused.json()["field"] == "note"
    assert Request.objects.get(reference=reference).state == RequestState.SUBMITTED
    moved = call("post", url, {"state": "REJECTED", "note": "Linea non attivabile"}, token)
    assert moved.status_code == 200 and moved.json()["state"] == "REJECTED"
