"""Offerte per te (O1, O2): the company's catalogue, detail, activation by the LR with a cost
summary and a confirmation; completing the request adds the offer to the lines' services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Company, Line
from lines.models import LineService
from tests.accounts.helpers import signed_in
from tests.conftest import World
from tests.factories import LineServiceFactory, OfferFactory
from tests.offers.helpers import activate, html
from tracking.models import Request, RequestKind, RequestState
from tracking.services import request_transition

pytestmark = pytest.mark.django_db


def test_catalogue_shows_current_offers_of_the_companys_segment(world: World) -> None:
    today = timezone.localdate()
    mine = OfferFactory(name="Giga per PMI", segments=[Company.Segment.SME])
    OfferFactory(name="Solo grandi aziende", segments=[Company.Segment.CORPORATE])
    OfferFactory(
        name="Scaduta",
        valid_from=today - timedelta(days=60),
        valid_until=today - timedelta(days=1),
    )
    OfferFactory(name="Futura", valid_from=today + timedelta(days=1))
    page = html(signed_in(world.light).get(reverse("offers:index")))
    assert mine.name in page
    assert "Solo grandi aziende" not in page and "Scaduta" not in page and "Futura" not in page


def test_user_has_no_offers(world: World) -> None:
    assert signed_in(world.user).get(reverse("offers:index")).status_code == 403


def test_detail_offers_activation_only_to_the_lr(world: World) -> None:
    offer = OfferFactory()
    url = reverse("offers:detail", args=[offer.code])
    assert "Vedi il riepilogo dei costi" in html(signed_in(world.lr).get(url))
    for user in (world.full, world.light):
        page = html(signed_in(user).get(url))
        assert offer.name in page and "Vedi il riepilogo dei costi" not in page


def test_offer_of_another_segment_is_404(world: World) -> None:
    offer = OfferFactory(segments=[Company.Segment.CORPORATE])
    client = signed_in(world.lr)
    assert client.get(reverse("offers:detail", args=[offer.code])).status_code == 404
    assert activate(client, offer, [world.lr_line]).status_code == 404
    assert not Request.objects.exists()


def test_only_eligible_lines_are_offered(world: World) -> None:
    offer = OfferFactory()  # for mobile lines
    LineServiceFactory(line=world.full_line, code=offer.code)
    Line.objects.filter(pk=world.spare_line.pk).update(state=Line.State.BLOCKED)
    page = html(signed_in(world.lr).get(reverse("offers:detail", args=[offer.code])))
    assert world.lr_line.number in page
    assert world.fixed_line.number not in page  # fixed
    assert world.full_line.number not in page  # has it already
    assert world.spare_line.number not in page  # blocked
    assert world.outsider_line.number not in page


def test_summary_shows_costs_then_confirmation_opens_a_request(world: World) -> None:
    offer = OfferFactory(monthly_fee=Decimal("6.00"), activation_fee=Decimal("2.50"))
    client = signed_in(world.lr)
    summary = activate(client, offer, [world.lr_line, world.full_line], confirmed=False)
    page = html(summary)
    assert "12,00\xa0€" in page and "5,00\xa0€" in page
    assert not Request.objects.exists()
    response = activate(client, offer, [world.lr_line, world.full_line])
    assert response.status_code == 302
    tracked = Request.objects.get(kind=RequestKind.OFFER)
    assert tracked.requester == world.lr
    assert {row.line_id for row in tracked.offer_lines.all()} == {
        world.lr_line.pk,
        world.full_line.pk,
    }
    assert tracked.details["line_count"] == 2
    assert tracked.details["line_numbers"] == sorted([world.lr_line.number, world.full_line.number])
    assert tracked.details["monthly_total"] == "12.00"


def test_no_line_chosen_is_refused(world: World) -> None:
    response = activate(signed_in(world.lr), OfferFactory(), [])
    assert response.status_code == 400
    assert "Scegli almeno una linea." in html(response)


def test_ineligible_line_is_refused(world: World) -> None:
    offer = OfferFactory()
    for line in (world.fixed_line, world.outsider_line):
        response = activate(signed_in(world.lr), offer, [line])
        assert response.status_code == 400
    assert not Request.objects.exists()


def test_expired_offer_cannot_be_activated(world: World) -> None:
    today = timezone.localdate()
    offer = OfferFactory(valid_from=today - timedelta(days=90), valid_until=today - timedelta(1))
    client = signed_in(world.lr)
    page = html(client.get(reverse("offers:detail", args=[offer.code])))
    assert "oggi non si può attivare" in page and "Vedi il riepilogo" not in page
    response = activate(client, offer, [world.lr_line])
    assert "L'offerta non è più valida" in html(client.get(response["Location"]))
    assert not Request.objects.exists()


@pytest.mark.parametrize("profile", ["full", "light", "user"])
def test_only_the_lr_activates(world: World, profile: str) -> None:
    response = activate(signed_in(getattr(world, profile)), OfferFactory(), [world.lr_line])
    assert response.status_code == 403
    assert not Request.objects.exists()


def test_same_offer_on_the_same_line_while_open_is_refused(world: World) -> None:
    offer = OfferFactory()
    client = signed_in(world.lr)
    activate(client, offer, [world.lr_line])
    response = activate(client, offer, [world.lr_line, world.full_line])
    assert response.status_code == 400  # the waiting line is no longer a choice
    assert Request.objects.count() == 1
    assert activate(client, offer, [world.full_line]).status_code == 302


def test_completion_adds_the_offer_to_the_lines_services(world: World) -> None:
    offer = OfferFactory(name="Giga Extra", monthly_fee=Decimal("6.00"))
    activate(signed_in(world.lr), offer, [world.lr_line, world.full_line])
    tracked = Request.objects.get()
    request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=world.staff)
    request_transition(request=tracked, to_state=RequestState.COMPLETED, actor=world.staff)
    services = LineService.objects.filter(code=offer.code, until__isnull=True)
    assert {service.line_id for service in services} == {world.lr_line.pk, world.full_line.pk}
    assert all(service.monthly_fee == Decimal("6.00") for service in services)
    page = html(signed_in(world.full).get(reverse("lines:detail", args=[world.full_line.pk])))
    assert "Giga Extra" in page
    # Now active: the line is no longer offered.
    detail = html(signed_in(world.lr).get(reverse("offers:detail", args=[offer.code])))
    assert world.lr_line.number not in detail
