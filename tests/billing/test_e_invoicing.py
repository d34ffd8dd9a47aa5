"""The company's SDI code or PEC (where the electronic invoice is delivered): shown in the
billing data and in Dati aziendali, changed through a tracked billing request (B4)."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from accounts.roles import Profile
from billing.fatturapa import invoice_fatturapa
from billing.models import BillingProfile
from tests.conftest import World, client_for
from tracking.models import Request, RequestKind, RequestState
from tracking.services import request_transition

URL = "billing:e-invoicing"


def complete(tracked: Request, staff) -> None:  # type: ignore[no-untyped-def]
    request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=staff)
    request_transition(request=tracked, to_state=RequestState.COMPLETED, actor=staff)


@pytest.mark.parametrize("profile", [Profile.LR, Profile.FULL])
def test_a_new_sdi_code_applies_when_completed(profile: Profile, world: World) -> None:
    client = client_for(world.by_profile(profile))
    response = client.post(reverse(URL), {"sdi_code": " m5uxcr1 ", "pec": ""})
    assert response.status_code == 302
    tracked = Request.objects.get(kind=RequestKind.E_INVOICING)
    assert tracked.details == {"sdi_code": "M5UXCR1", "pec": ""}
    assert tracked.requester == world.by_profile(profile)
    assert not BillingProfile.objects.exists()  # not before the back office
    # One open request at a time: the page shows it instead of the form.
    page = unescape(client.get(reverse(URL)).content.decode())
    assert tracked.reference in page
    detail = client.get(reverse("tracking:detail", args=[tracked.reference])).content.decode()
    assert "Codice destinatario SDI" in detail and "M5UXCR1" in detail
    complete(tracked, world.staff)
    billing = BillingProfile.objects.get(company=world.company)
    assert (billing.sdi_code, billing.pec) == ("M5UXCR1", "")
    assert b"<CodiceDestinatario>M5UXCR1</CodiceDestinatario>" in invoice_fatturapa(world.invoice)


def test_a_pec_replaces_the_code(world: World) -> None:
    BillingProfile.objects.create(company=world.company, sdi_code="ABC1234")
    client = client_for(world.lr)
    data = {"sdi_code": "0000000", "pec": "fatture@pec.acme.it"}
    assert client.post(reverse(URL), data).status_code == 302
    complete(Request.objects.get(kind=RequestKind.E_INVOICING), world.staff)
    billing = BillingProfile.objects.get(company=world.company)
    assert (billing.sdi_code, billing.pec) == ("", "fatture@pec.acme.it")
    xml = invoice_fatturapa(world.invoice)
    assert b"<CodiceDestinatario>0000000</CodiceDestinatario>" in xml
    assert b"<PECDestinatario>fatture@pec.acme.it</PECDestinatario>" in xml


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sdi_code": "ABC12", "pec": ""}, "7 caratteri"),
        ({"sdi_code": "ABC-123", "pec": ""}, "7 caratteri"),
        ({"sdi_code": "", "pec": ""}, "oppure la PEC"),
        ({"sdi_code": "ABC1234", "pec": "a@pec.it"}, "non entrambi"),
        ({"sdi_code": "", "pec": "non-una-mail"}, "indirizzo email valido"),
    ],
)
def test_bad_data_is_refused(data: dict[str, str], message: str, world: World) -> None:
    response = client_for(world.lr).post(reverse(URL), data)
    assert response.status_code == 200
    assert message in unescape(response.content.decode())
    assert not Request.objects.exists()


def test_without_the_capability_403(world: World) -> None:
    assert client_for(world.light).get(reverse(URL)).status_code == 403
    assert client_for(world.user).post(reverse(URL), {"sdi_code": "ABC1234"}).status_code == 403


def test_the_request_is_the_companys_own(world: World) -> None:
    client_for(world.lr).post(reverse(URL), {"sdi_code": "ABC1234", "pec": ""})
    tracked = Request.objects.get(kind=RequestKind.E_INVOICING)
    assert tracked.company == world.company
    # The other company's LR sees neither the request nor its data.
    other = client_for(world.outsider_lr)
    assert other.get(reverse("tracking:detail", args=[tracked.reference])).status_code == 404
    assert "ABC1234" not in other.get(reverse("billing:settings")).content.decode()


def test_shown_in_billing_settings_and_dati_aziendali(world: World) -> None:
    BillingProfile.objects.create(company=world.company, sdi_code="M5UXCR1")
    settings_page = client_for(world.lr).get(reverse("billing:settings")).content.decode()
    assert "M5UXCR1" in settings_page and reverse(URL) in settings_page
    profile_page = client_for(world.full).get(reverse("accounts:profile")).content.decode()
    assert "M5UXCR1" in profile_page and reverse(URL) in profile_page
    # Everyone sees the company's data; only B4 holders get the link.
    user_page = client_for(world.user).get(reverse("accounts:profile")).content.decode()
    assert "M5UXCR1" in user_page and reverse(URL) not in user_page
