"""The billing system loads invoices through the API: token per client system."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from api.auth import api_client_create
from api.models import ApiScope
from billing.models import Invoice
from tests.billing.test_import import record
from tests.conftest import World, sign_in

URL = "/api/v1/invoices/"


@pytest.fixture
def token(db: None) -> str:
    # The billing system invoices every customer.
    return api_client_create(
        name="billing-system", scopes=[ApiScope.INVOICES_WRITE], all_companies=True
    )[1]


def post(body: object, token: str | None) -> object:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, str) else json.dumps(body)
    return Client().post(URL, data, content_type="application/json", **headers)


def test_an_invoice_is_loaded_once(world: World, token: str) -> None:
    first = post(record(world), token)
    assert first.status_code == 201  # type: ignore[attr-defined]
    assert first.json() == {  # type: ignore[attr-defined]
        "number": "FT-2026-000123",
        "revision": 1,
        "total": "67.81",
        "created": True,
        "changed": True,
    }
    again = post(record(world), token)
    assert again.status_code == 200 and again.json()["changed"] is False  # type: ignore[attr-defined]
    assert Invoice.objects.filter(number="FT-2026-000123").count() == 1


@pytest.mark.parametrize("bad", [None, "wrong-token"])
def test_no_valid_token_no_entry(bad: str | None, world: World, token: str) -> None:
    response = post(record(world), bad)
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert "token" in response.json()["error"]  # type: ignore[attr-defined]
    assert not Invoice.objects.filter(number="FT-2026-000123").exists()


def test_a_disabled_client_is_refused(world: World) -> None:
    client, token = api_client_create(
        name="old-system", scopes=[ApiScope.INVOICES_WRITE], all_companies=True
    )
    client.is_active = False
    client.save()
    assert post(record(world), token).status_code == 401  # type: ignore[attr-defined]


def test_a_signed_in_person_is_not_a_client_system(world: World) -> None:
    client = Client()
    sign_in(client, world.lr)
    response = client.post(URL, json.dumps(record(world)), content_type="application/json")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("{not json", None),
        ("[1, 2]", None),
        ({"number": ""}, "number"),
    ],
)
def test_invalid_payloads_get_clear_json_errors(
    body: object, field: str | None, world: World, token: str
) -> None:
    response = post(body, token)
    assert response.status_code == 400  # type: ignore[attr-defined]
    payload = response.json()  # type: ignore[attr-defined]
    assert payload["error"]
    if field:
        assert payload["field"] == field


def test_a_bad_item_names_its_field(world: World, token: str) -> None:
    bad = record(world)
    bad["items"][0]["amount"] = "dieci"  # type: ignore[index]
    payload = post(bad, token).json()  # type: ignore[attr-defined]
    assert payload["field"] == "items[0].amount" and "dieci" in payload["detail"]


def test_the_openapi_schema_is_served(db: None) -> None:
    schema = Client().get(reverse("api:openapi")).json()
    assert schema["openapi"].startswith("3.")
    assert "/invoices/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
