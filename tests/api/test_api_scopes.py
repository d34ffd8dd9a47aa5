"""Each client system may call only its endpoints, open requests only for its channels and
act only for its customers: another customer's request is absent to it (404)."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from api.auth import api_client_create
from api.models import ApiClient, ApiScope
from billing.models import BillingProfile, Invoice
from consumption.models import UsageRecord
from tests.billing.test_import import record
from tests.conftest import World, sign_in
from tests.factories import StaffFactory
from tracking.models import Channel, Request, RequestKind, RequestState
from tracking.services import request_create

ALL_SCOPES = list(ApiScope)


def call(method: str, url: str, token: str, body: object = None):  # type: ignore[no-untyped-def]
    return getattr(Client(), method)(
        url,
        json.dumps(body) if body is not None else None,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def token_for(**grants: object) -> str:
    return api_client_create(name=f"client-{ApiClient.objects.count()}", **grants)[1]  # type: ignore[arg-type]


def usage_body(world: World, number: str) -> dict[str, object]:
    return {
        "records": [
            {
                "record_id": "r-1",
                "number": number,
                "started_at": "2026-10-05T08:30:00+02:00",
                "kind": "VOICE",
                "quantity": 60,
            }
        ]
    }


def new_request(world: World, **changes: object) -> dict[str, object]:
    return {
        "customer_code": world.company.customer_code,
        "kind": "ACTIVATION",
        "channel": "SHOP",
        "summary": "Attivazione in negozio",
        **changes,
    }


@pytest.fixture
def tracked(world: World) -> Request:
    return request_create(
        company=world.company, kind=RequestKind.FAULT, channel=Channel.SHOP, summary="Guasto"
    )


# --- Scopes: each endpoint needs its own --------------------------------------------------


def endpoints(world: World, tracked: Request) -> dict[ApiScope, list[tuple[str, str, object]]]:
    detail = f"/api/v1/requests/{tracked.reference}/"
    return {
        ApiScope.INVOICES_WRITE: [("post", "/api/v1/invoices/", record(world))],
        ApiScope.USAGE_WRITE: [
            ("post", "/api/v1/usage/", usage_body(world, world.user_line.number))
        ],
        ApiScope.REQUESTS_READ: [("get", detail, None)],
        ApiScope.REQUESTS_WRITE: [
            ("post", "/api/v1/requests/", new_request(world)),
            ("post", f"{detail}transitions/", {"state": "IN_PROGRESS"}),
        ],
    }


@pytest.mark.parametrize("needed", ALL_SCOPES)
def test_a_token_without_the_endpoints_scope_is_403(
    world: World, tracked: Request, needed: ApiScope
) -> None:
    others = [scope for scope in ALL_SCOPES if scope != needed]
    token = token_for(scopes=others, channels=["SHOP"], all_companies=True)
    for method, url, body in endpoints(world, tracked)[needed]:
        response = call(method, url, token, body)
        assert response.status_code == 403, url
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "error": "This token may not use this endpoint.",
            "detail": f"It needs the scope {needed.value}.",
        }
    # Nothing was done.
    assert not Invoice.objects.filter(number="FT-2026-000123").exists()
    assert not UsageRecord.objects.exists()
    assert Request.objects.get() == tracked and tracked.state == RequestState.SUBMITTED


@pytest.mark.parametrize("needed", ALL_SCOPES)
def test_the_endpoints_scope_lets_a_token_in(
    world: World, tracked: Request, needed: ApiScope
) -> None:
    token = token_for(scopes=[needed], channels=["SHOP"], all_companies=True)
    for method, url, body in endpoints(world, tracked)[needed]:
        assert call(method, url, token, body).status_code in {200, 201}, url


def test_a_new_client_may_do_nothing(world: World, tracked: Request) -> None:
    """Least privilege: no scope, channel or customer unless given."""
    client, token = api_client_create(name="nuovo")
    assert (client.scopes, client.channels, client.all_companies) == ([], [], False)
    assert not client.companies.exists()
    for calls in endpoints(world, tracked).values():
        for method, url, body in calls:
            assert call(method, url, token, body).status_code == 403


# --- Channels ------------------------------------------------------------------------------


def test_a_token_opens_requests_only_for_its_channels(world: World) -> None:
    token = token_for(
        scopes=[ApiScope.REQUESTS_WRITE], channels=["PHONE"], companies=[world.company]
    )
    response = call("post", "/api/v1/requests/", token, new_request(world, channel="SHOP"))
    assert response.status_code == 403
    assert response.json()["field"] == "channel" and "PHONE" in response.json()["detail"]
    assert not Request.objects.exists()
    opened = call("post", "/api/v1/requests/", token, new_request(world, channel="PHONE"))
    assert opened.status_code == 201 and opened.json()["channel"] == "PHONE"


def test_a_token_moves_only_requests_of_its_channels(world: World) -> None:
    """The review's case: a shop's system completing the customer's own direct debit request
    (made on the web) with its own IBAN. The request stays where it was; the shop may still
    read it, and moves its own."""
    billing_page = Client()
    sign_in(billing_page, world.lr)
    debit = {
        "iban": "IT60X0542811101000000123456",
        "holder": world.company.name,
        "holder_tax_code": world.company.vat_number,
        "mandate": "on",
    }
    assert billing_page.post(reverse("billing:direct-debit"), debit).status_code == 302
    web = Request.objects.get(kind=RequestKind.DIRECT_DEBIT)
    assert web.channel == Channel.WEB
    by_phone = request_create(
        company=world.company, kind=RequestKind.FAULT, channel=Channel.PHONE, summary="Guasto"
    )
    shop = token_for(
        scopes=[ApiScope.REQUESTS_READ, ApiScope.REQUESTS_WRITE],
        channels=["SHOP"],
        companies=[world.company],
    )
    for other in (web, by_phone):
        url = f"/api/v1/requests/{other.reference}/transitions/"
        for body in [
            {"state": "IN_PROGRESS"},
            {"state": "REJECTED", "details": {"iban": "IT02L1234512345123456789012"}},
        ]:
            response = call("post", url, shop, body)
            assert response.status_code == 403
            assert response["Content-Type"] == "application/json"
            assert response.json() == {
                "error": "This token may not move requests of this channel.",
                "field": "channel",
                "detail": "Allowed: SHOP.",
            }
        other.refresh_from_db()
        assert other.state == RequestState.SUBMITTED and other.events.count() == 1
        assert call("get", f"/api/v1/requests/{other.reference}/", shop).status_code == 200
    assert web.details["iban"] == debit["iban"]
    assert not BillingProfile.objects.filter(company=world.company).exists()
    own = call("post", "/api/v1/requests/", shop, new_request(world)).json()["reference"]
    moved = call("post", f"/api/v1/requests/{own}/transitions/", shop, {"state": "IN_PROGRESS"})
    assert moved.status_code == 200 and moved.json()["state"] == "IN_PROGRESS"


# --- Customers: another company's things are absent ---------------------------------------


@pytest.fixture
def shop_of_the_outsider(world: World) -> str:
    """A client system that acts for the outsider company only."""
    return token_for(
        scopes=ALL_SCOPES, channels=["SHOP", "PHONE"], companies=[world.outsider_company]
    )


def test_another_customers_request_is_404(
    world: World, tracked: Request, shop_of_the_outsider: str
) -> None:
    detail = f"/api/v1/requests/{tracked.reference}/"
    unknown = call("get", "/api/v1/requests/RCNOTTHERE/", shop_of_the_outsider)
    for response in [
        call("get", detail, shop_of_the_outsider),
        call("post", f"{detail}transitions/", shop_of_the_outsider, {"state": "REJECTED"}),
    ]:
        assert response.status_code == 404
        assert response.json() == unknown.json()  # as if it did not exist
    tracked.refresh_from_db()
    assert tracked.state == RequestState.SUBMITTED
    assert not tracked.events.exclude(to_state=RequestState.SUBMITTED).exists()


def test_its_own_customers_requests_are_there(world: World, shop_of_the_outsider: str) -> None:
    own = request_create(company=world.outsider_company, kind=RequestKind.FAULT, summary="Guasto")
    response = call("get", f"/api/v1/requests/{own.reference}/", shop_of_the_outsider)
    assert response.status_code == 200
    assert response.json()["customer_code"] == world.outsider_company.customer_code


def test_no_request_is_opened_for_another_customer(world: World, shop_of_the_outsider: str) -> None:
    response = call("post", "/api/v1/requests/", shop_of_the_outsider, new_request(world))
    assert response.status_code == 400
    assert response.json()["field"] == "customer_code"
    assert response.json()["detail"] == "No customer has this code."  # as for a wrong code
    assert not Request.objects.exists()


def test_another_customers_external_id_is_neither_read_nor_reused(
    world: World, shop_of_the_outsider: str
) -> None:
    theirs = request_create(
        company=world.company,
        kind=RequestKind.ACTIVATION,
        channel=Channel.SHOP,
        summary="In negozio",
        external_id="NEG-1",
    )
    body = new_request(
        world, customer_code=world.outsider_company.customer_code, external_id="NEG-1"
    )
    response = call("post", "/api/v1/requests/", shop_of_the_outsider, body)
    assert response.status_code == 409
    assert response.json()["field"] == "external_id"
    assert theirs.reference not in response.content.decode()
    assert Request.objects.get() == theirs


def test_no_invoice_or_usage_for_another_customer(world: World, shop_of_the_outsider: str) -> None:
    response = call("post", "/api/v1/invoices/", shop_of_the_outsider, record(world))
    assert response.status_code == 400
    assert response.json()["field"] == "company_vat_number"
    assert not Invoice.objects.filter(number="FT-2026-000123").exists()
    body = usage_body(world, world.user_line.number)
    report = call("post", "/api/v1/usage/", shop_of_the_outsider, body).json()
    assert report["loaded"] == 0 and report["refused"] == 1
    assert "no such line" in report["errors"][0]
    own = call(
        "post",
        "/api/v1/usage/",
        shop_of_the_outsider,
        usage_body(world, world.outsider_line.number),
    )
    assert own.json()["loaded"] == 1
    assert UsageRecord.objects.get().line == world.outsider_line


def test_an_invoice_number_of_another_customer_is_refused_without_saying_whose(
    world: World,
) -> None:
    """The number is taken (numbers are unique), but nothing says it is another customer's."""
    billing = token_for(scopes=[ApiScope.INVOICES_WRITE], companies=[world.company])
    theirs = world.outsider_invoice
    before = (theirs.company_id, theirs.revision, theirs.total)
    body = record(world, number=theirs.number)
    response = call("post", "/api/v1/invoices/", billing, body)
    assert response.status_code == 400
    assert response.json() == {
        "error": "The invoice was not loaded.",
        "field": "number",
        "detail": "already used by another invoice",
    }
    assert "customer" not in response.content.decode()
    theirs.refresh_from_db()
    assert (theirs.company_id, theirs.revision, theirs.total) == before
    assert not Invoice.objects.filter(company=world.company, number=theirs.number).exists()


# --- The command and the admin ---------------------------------------------------------------


def test_the_command_gives_scopes_channels_and_customers(world: World) -> None:
    out = StringIO()
    call_command(
        "create_api_client",
        "negozi",
        "--scope=requests:read",
        "--scope=requests:write",
        "--channel=shop",
        f"--company={world.company.customer_code}",
        stdout=out,
    )
    client = ApiClient.objects.get(name="negozi")
    assert client.scopes == ["requests:read", "requests:write"]
    assert client.channels == ["SHOP"] and not client.all_companies
    assert list(client.companies.all()) == [world.company]
    token = out.getvalue().splitlines()[0].removeprefix("negozi: ")
    assert call("post", "/api/v1/requests/", token, new_request(world)).status_code == 201
    call_command(
        "create_api_client", "fatturazione", "--scope=invoices:write", "--all-companies",
        stdout=StringIO(),
    )  # fmt: skip
    assert ApiClient.objects.get(name="fatturazione").all_companies


@pytest.mark.parametrize(
    "arguments",
    [
        ["--scope=everything"],
        ["--channel=WEB"],
        ["--company=XX0000000"],
        ["--company=CB1000001", "--all-companies"],
    ],
)
def test_the_command_refuses_what_does_not_exist(world: World, arguments: list[str]) -> None:
    with pytest.raises((CommandError, SystemExit)):
        call_command(
            "create_api_client", "sbagliato", *arguments, stdout=StringIO(), stderr=StringIO()
        )
    assert not ApiClient.objects.filter(name="sbagliato").exists()


def test_the_admin_shows_and_changes_the_scopes(world: World) -> None:
    admin = StaffFactory(is_superuser=True)
    client_system, _token = api_client_create(
        name="agenti", scopes=[ApiScope.REQUESTS_READ], channels=["AGENT"]
    )
    browser = Client()
    sign_in(browser, admin)
    listing = browser.get(reverse("admin:api_apiclient_changelist")).content.decode()
    assert "requests:read" in listing and "AGENT" in listing
    url = reverse("admin:api_apiclient_change", args=[client_system.pk])
    page = browser.get(url).content.decode()
    assert 'value="requests:read" id="id_scopes_2" checked' in page
    assert 'value="requests:write" id="id_scopes_3">' in page  # offered, not given
    assert 'value="AGENT" id="id_channels_2" checked' in page
    response = browser.post(
        url,
        {
            "name": "agenti",
            "is_active": "on",
            "scopes": ["requests:read", "requests:write"],
            "channels": ["AGENT", "PHONE"],
            "companies": [world.company.pk],
        },
    )
    assert response.status_code == 302
    client_system.refresh_from_db()
    assert client_system.scopes == ["requests:read", "requests:write"]
    assert client_system.channels == ["AGENT", "PHONE"]
    assert list(client_system.companies.all()) == [world.company]
