"""Tracking delle richieste (T1): the company's requests from every channel, with filters
and a timeline; nobody else's."""

from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.accounts.helpers import signed_in
from tests.conftest import World
from tracking.models import Channel, Request, RequestKind, RequestState
from tracking.services import request_create, request_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def requests(world: World) -> dict[str, Request]:
    made = {
        "phone": request_create(
            company=world.company, kind=RequestKind.OPTION, summary="Opzione", channel=Channel.PHONE
        ),
        "web": request_create(
            company=world.company,
            kind=RequestKind.SIM_CHANGE,
            summary="Cambio SIM",
            requester=world.user,
            line=world.user_line,
        ),
        "other": request_create(
            company=world.outsider_company, kind=RequestKind.OPTION, summary="Altrui"
        ),
    }
    request_transition(request=made["phone"], to_state=RequestState.IN_PROGRESS, actor=None)
    request_transition(
        request=made["phone"], to_state=RequestState.COMPLETED, actor=None, note="Fatto"
    )
    return made


def listed(user, **params: str) -> str:  # type: ignore[no-untyped-def]
    return unescape(signed_in(user).get(reverse("tracking:index"), params).content.decode())


def test_lr_and_full_see_every_channel_and_nothing_of_others(
    world: World, requests: dict[str, Request]
) -> None:
    for user in (world.lr, world.full):
        page = listed(user)
        assert requests["phone"].reference in page and requests["web"].reference in page
        assert requests["other"].reference not in page
        assert "Servizio clienti 191" in page


@pytest.mark.parametrize("profile", ["light", "user"])
def test_others_have_no_company_wide_view(world: World, profile: str) -> None:
    assert signed_in(getattr(world, profile)).get(reverse("tracking:index")).status_code == 403


def test_filters(world: World, requests: dict[str, Request]) -> None:
    by_channel = listed(world.lr, channel="PHONE")
    assert requests["phone"].reference in by_channel and requests["web"].reference not in by_channel
    by_kind = listed(world.lr, kind="SIM_CHANGE")
    assert requests["web"].reference in by_kind and requests["phone"].reference not in by_kind
    open_only = listed(world.lr, state="OPEN")
    assert requests["web"].reference in open_only
    assert requests["phone"].reference not in open_only
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert requests["web"].reference not in listed(world.lr, since=tomorrow)


def test_detail_shows_the_timeline_with_notes(world: World, requests: dict[str, Request]) -> None:
    url = reverse("tracking:detail", args=[requests["phone"].reference])
    page = unescape(signed_in(world.full).get(url).content.decode())
    page = page[page.index("Cronologia") :]
    assert page.index("Inviata") < page.index("In lavorazione") < page.index("Completata")
    assert "Fatto" in page


def test_another_companys_request_is_404(world: World, requests: dict[str, Request]) -> None:
    url = reverse("tracking:detail", args=[requests["other"].reference])
    assert signed_in(world.lr).get(url).status_code == 404


def test_detail_shows_named_details_only(world: World, requests: dict[str, Request]) -> None:
    tracked = requests["phone"]
    Request.objects.filter(pk=tracked.pk).update(
        details={"description": "Linea muta", "seed": "seed_demo"}
    )
    page = signed_in(world.lr).get(reverse("tracking:detail", args=[tracked.reference]))
    html = unescape(page.content.decode())
    assert "Descrizione" in html and "Linea muta" in html and "seed_demo" not in html
