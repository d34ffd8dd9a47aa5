"""The operators' request page: only the moves TRANSITIONS allows, with a note; the customer
hears of each change."""

from html import unescape

import pytest
from django.core import mail
from django.urls import reverse

from tests.accounts.helpers import signed_in
from tests.conftest import World
from tracking.models import Request, RequestKind, RequestState
from tracking.services import request_create, request_transition

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tracked(world: World) -> Request:
    return request_create(
        company=world.company,
        kind=RequestKind.EXPANSION,
        summary="Cinque nuove SIM",
        requester=world.full,
        details={"sim_count": 5, "address": {"city": "Roma"}},
    )


def test_page_shows_details_and_only_allowed_moves(world: World, tracked: Request) -> None:
    page = signed_in(world.staff).get(reverse("backoffice:request-detail", args=[tracked.pk]))
    html = unescape(page.content.decode())
    assert "Cinque nuove SIM" in html and "Sim count" in html and "Indirizzo: comune" in html
    assert 'value="IN_PROGRESS"' in html and 'value="CANCELLED"' in html
    assert 'value="COMPLETED"' not in html  # not straight from SUBMITTED


def test_customers_cannot_open_it(world: World, tracked: Request) -> None:
    url = reverse("backoffice:request-detail", args=[tracked.pk])
    assert signed_in(world.lr).get(url).status_code == 403


def test_moving_a_request_records_the_note_and_tells_the_requester(
    world: World, tracked: Request
) -> None:
    mail.outbox.clear()
    url = reverse("backoffice:request-detail", args=[tracked.pk])
    response = signed_in(world.staff).post(
        url, {"to_state": "IN_PROGRESS", "note": "SIM in preparazione"}
    )
    assert response.status_code == 302
    tracked.refresh_from_db()
    assert tracked.state == RequestState.IN_PROGRESS
    event = tracked.events.last()
    assert event is not None and event.note == "SIM in preparazione"
    assert event.actor == world.staff
    assert mail.outbox[-1].to == [world.full.email]


def test_an_illegal_move_is_refused(world: World, tracked: Request) -> None:
    url = reverse("backoffice:request-detail", args=[tracked.pk])
    response = signed_in(world.staff).post(url, {"to_state": "COMPLETED"})
    assert response.status_code == 200
    tracked.refresh_from_db()
    assert tracked.state == RequestState.SUBMITTED


def test_a_stale_page_does_not_move_a_request_twice(world: World, tracked: Request) -> None:
    url = reverse("backoffice:request-detail", args=[tracked.pk])
    request_transition(
        request=tracked, to_state=RequestState.REJECTED, actor=world.staff, note="Non fattibile"
    )
    response = signed_in(world.staff).post(url, {"to_state": "IN_PROGRESS"})
    tracked.refresh_from_db()
    assert tracked.state == RequestState.REJECTED
    assert response.status_code == 200  # a closed request offers no move at all


def test_console_lists_open_requests_by_kind(world: World, tracked: Request) -> None:
    other = request_create(company=world.company, kind=RequestKind.FAULT, summary="Guasto")
    client = signed_in(world.staff)
    page = unescape(client.get(reverse("backoffice:index"), {"kind": "FAULT"}).content.decode())
    assert other.reference in page and tracked.reference not in page


def test_details_show_labels_yes_no_and_italian_dates_not_codes(world: World) -> None:
    """Issue 15: the back office shows labels, not codes ("NO_SERVICE", "True", ISO times)."""
    tracked = request_create(
        company=world.company,
        kind=RequestKind.FAULT,
        summary="Guasto",
        requester=world.full,
        details={
            "category": "NO_SERVICE",
            "slot": "09-11",
            "day": "2026-12-11",
            "phone": "+393331234567",
            "monthly_fee": "1234.5",
            "traffic_documentation": False,
            "diagnosis": {
                "verdict": "DOWN",
                "in_sync": True,
                "checked_at": "2026-12-01T09:30:00+00:00",
                "downstream_mbps": 54.3,
                "last_outage": None,
            },
        },
    )
    page = signed_in(world.staff).get(reverse("backoffice:request-detail", args=[tracked.pk]))
    html = unescape(page.content.decode())
    for code in ("NO_SERVICE", "09-11", "2026-12", "True", "False", "DOWN", "None", "T09:30"):
        assert code not in html, code
    assert '<dt class="col-sm-3">Problema</dt><dd class="col-sm-9">Nessun servizio</dd>' in html
    assert ">9:00 – 11:00<" in html and ">11/12/2026<" in html and ">+39 333 123 4567<" in html
    assert ">1.234,50 €<" in html and ">no<" in html
    assert 'Diagnosi: esito</dt><dd class="col-sm-9">la linea non funziona<' in html
    assert 'Diagnosi: agganciata</dt><dd class="col-sm-9">sì<' in html
    assert ">01/12/2026 10:30<" in html  # Rome time
    assert ">54,3<" in html


def test_a_rejection_needs_a_note_for_the_customer(world: World, tracked: Request) -> None:
    url = reverse("backoffice:request-detail", args=[tracked.pk])
    refused = signed_in(world.staff).post(url, {"to_state": "REJECTED", "note": "  "})
    assert refused.status_code == 200
    assert "scrivi al cliente il motivo" in unescape(refused.content.decode())
    tracked.refresh_from_db()
    assert tracked.state == RequestState.SUBMITTED
    moved = signed_in(world.staff).post(
        url, {"to_state": "REJECTED", "note": "Il contratto non prevede altre SIM."}
    )
    assert moved.status_code == 302
    tracked.refresh_from_db()
    assert tracked.state == RequestState.REJECTED
    page = signed_in(world.full).get(reverse("tracking:detail", args=[tracked.reference]))
    html = unescape(page.content.decode())
    assert "Motivo del rifiuto" in html and "Il contratto non prevede altre SIM." in html
