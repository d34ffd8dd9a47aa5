"""Shipping address (B4), direct debit (B5) and NoCarta (B6): tracked requests."""

from html import unescape

import pytest
from django.urls import reverse

from accounts.roles import Profile
from billing.models import BillingProfile
from tests.conftest import World, client_for
from tracking.models import Request, RequestKind, RequestState
from tracking.services import request_transition

SHIPPING = {
    "name": "Ufficio amministrazione",
    "street": "Via Torino 5",
    "postal_code": "20123",
    "city": "Milano",
    "province": "MI",
    "traffic_documentation": "on",
}
DEBIT = {
    "iban": "it60 x054 2811 1010 0000 0123 456",
    "holder": "Acme Telecomunicazioni S.r.l.",
    "holder_tax_code": "",
    "mandate": "on",
}


def complete(tracked: Request, staff) -> None:  # type: ignore[no-untyped-def]
    request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=staff)
    request_transition(request=tracked, to_state=RequestState.COMPLETED, actor=staff)


@pytest.mark.parametrize("profile", [Profile.LR, Profile.FULL])
def test_shipping_address_request_applies_when_completed(profile: Profile, world: World) -> None:
    response = client_for(world.by_profile(profile)).post(
        reverse("billing:shipping-address"), SHIPPING
    )
    assert response.status_code == 302
    tracked = Request.objects.get(kind=RequestKind.SHIPPING_ADDRESS)
    assert tracked.requester == world.by_profile(profile)
    assert not BillingProfile.objects.exists()  # not before the back office
    complete(tracked, world.staff)
    billing = BillingProfile.objects.get(company=world.company)
    assert billing.shipping_address == "Via Torino 5, 20123 Milano (MI)"
    assert billing.traffic_documentation and billing.shipping_name == "Ufficio amministrazione"


def test_direct_debit_validates_the_iban_and_keeps_the_mandate(world: World) -> None:
    client = client_for(world.lr)
    data = {**DEBIT, "holder_tax_code": world.company.vat_number}
    assert client.post(reverse("billing:direct-debit"), data).status_code == 302
    tracked = Request.objects.get(kind=RequestKind.DIRECT_DEBIT)
    assert tracked.details["iban"] == "IT60X0542811101000000123456"
    assert tracked.details["mandate_reference"].startswith("ACB-")
    complete(tracked, world.staff)
    billing = BillingProfile.objects.get(company=world.company)
    assert billing.masked_iban == "IT60 •••• 3456" and billing.mandate_signed_on


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"iban": "IT60X0542811101000000123457"}, "IBAN non valido"),
        ({"iban": "US12345678901234567890"}, "IBAN non valido"),
        ({"iban": "BR1800360305000010009795493C1"}, "area SEPA"),
        ({"holder_tax_code": "123"}, "Codice fiscale non valido"),
        ({"mandate": ""}, "obbligatorio"),
    ],
)
def test_bad_direct_debit_data_is_refused(
    overrides: dict[str, str], message: str, world: World
) -> None:
    data = {**DEBIT, "holder_tax_code": world.company.vat_number, **overrides}
    response = client_for(world.lr).post(reverse("billing:direct-debit"), data)
    assert response.status_code == 200
    assert message in unescape(response.content.decode())
    assert not Request.objects.exists()


def test_paperless_request(world: World) -> None:
    client = client_for(world.full)
    assert client.post(reverse("billing:paperless"), {"confirm": "on"}).status_code == 302
    complete(Request.objects.get(kind=RequestKind.PAPERLESS), world.staff)
    assert BillingProfile.objects.get(company=world.company).paperless
    page = client.get(reverse("billing:settings")).content.decode()
    assert "solo in formato elettronico" in page


def test_a_second_request_of_the_same_kind_while_one_is_open_is_refused(world: World) -> None:
    client = client_for(world.lr)
    client.post(reverse("billing:shipping-address"), SHIPPING)
    tracked = Request.objects.get()
    page = client.get(reverse("billing:settings")).content.decode()
    assert tracked.reference in page
    response = client.post(reverse("billing:shipping-address"), SHIPPING)
    assert response.status_code == 200
    assert "già una richiesta di questo tipo" in unescape(response.content.decode())
    assert Request.objects.count() == 1
    # Another kind is fine.
    assert client.post(reverse("billing:paperless"), {"confirm": "on"}).status_code == 302


def test_a_bad_address_is_refused(world: World) -> None:
    response = client_for(world.lr).post(
        reverse("billing:shipping-address"), {**SHIPPING, "postal_code": "2012"}
    )
    assert "5 cifre" in response.content.decode()
    assert not Request.objects.exists()


@pytest.mark.parametrize("profile", [Profile.LIGHT, Profile.USER])
@pytest.mark.parametrize(
    "name",
    ["billing:shipping-address", "billing:direct-debit", "billing:paperless", "billing:settings"],
)
def test_light_and_user_cannot_ask(profile: Profile, name: str, world: World) -> None:
    client = client_for(world.by_profile(profile))
    assert client.post(reverse(name), {**SHIPPING, **DEBIT, "confirm": "on"}).status_code == 403
    assert not Request.objects.exists()


def test_paperless_active_refuses_a_new_activation_and_can_be_switched_off(world: World) -> None:
    client = client_for(world.full)
    client.post(reverse("billing:paperless"), {"confirm": "on"})
    complete(Request.objects.get(kind=RequestKind.PAPERLESS), world.staff)
    page = unescape(client.get(reverse("billing:settings")).content.decode())
    assert "Disattiva NoCarta" in page and "Attiva NoCarta</a>" not in page
    response = client.post(reverse("billing:paperless"), {"confirm": "on"})
    assert response.status_code == 200
    assert "NoCarta è già attivo" in unescape(response.content.decode())
    assert Request.objects.count() == 1
    assert client.post(reverse("billing:paperless-off"), {"confirm": "on"}).status_code == 302
    off = Request.objects.exclude(state=RequestState.COMPLETED).get(kind=RequestKind.PAPERLESS)
    assert off.details == {"enable": False}
    complete(off, world.staff)
    assert not BillingProfile.objects.get(company=world.company).paperless


def test_paperless_off_when_not_active_is_refused(world: World) -> None:
    response = client_for(world.lr).post(reverse("billing:paperless-off"), {"confirm": "on"})
    assert response.status_code == 200
    assert "NoCarta non è attivo" in unescape(response.content.decode())
    assert not Request.objects.exists()


@pytest.mark.parametrize("profile", [Profile.LIGHT, Profile.USER])
def test_light_and_user_cannot_switch_paperless_off(profile: Profile, world: World) -> None:
    client = client_for(world.by_profile(profile))
    assert client.post(reverse("billing:paperless-off"), {"confirm": "on"}).status_code == 403
