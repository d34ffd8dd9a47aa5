"""Before activating, the offer's terms are shown and accepted, and the acceptance is kept
with the request; who cannot activate is told who can (issue 15)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.roles import Capability, Profile, scope_for
from tests.conftest import World, client_for
from tests.factories import OfferFactory
from tests.offers.helpers import choose, confirmation, html, summary
from tracking.models import Request

pytestmark = pytest.mark.django_db


def terms_offer():  # type: ignore[no-untyped-def]
    return OfferFactory(min_duration_months=24, early_termination_fee=Decimal("99.00"))


def test_the_summary_shows_the_terms_and_a_required_acceptance(world: World) -> None:
    offer = terms_offer()
    client = client_for(world.lr)
    choose(client, offer, [world.lr_line], action="summary")
    page = html(summary(client, offer))
    assert "Condizioni dell'offerta" in page
    assert "Durata minima: 24 mesi." in page
    assert "Costo di recesso anticipato per linea: 99,00 €." in page
    assert 'name="accept_terms"' in page and "required" in page


def test_without_accepting_the_terms_nothing_is_asked(world: World) -> None:
    offer = terms_offer()
    client = client_for(world.lr)
    choose(client, offer, [world.lr_line], action="summary")
    data = confirmation(summary(client, offer))
    del data["accept_terms"]
    response = client.post(reverse("offers:activate", args=[offer.code]), data)
    assert response["Location"] == reverse("offers:summary", args=[offer.code])
    assert "accetta le condizioni" in html(client.get(response["Location"]))
    assert not Request.objects.exists()


def test_terms_changed_after_the_summary_must_be_accepted_again(world: World) -> None:
    offer = terms_offer()
    client = client_for(world.lr)
    choose(client, offer, [world.lr_line], action="summary")
    data = confirmation(summary(client, offer))
    type(offer).objects.filter(pk=offer.pk).update(terms_version=2)
    response = client.post(reverse("offers:activate", args=[offer.code]), data)
    assert response["Location"] == reverse("offers:summary", args=[offer.code])
    assert not Request.objects.exists()


def test_the_acceptance_is_stored_with_the_request(world: World) -> None:
    offer = terms_offer()
    client = client_for(world.lr)
    choose(client, offer, [world.lr_line], action="summary")
    response = client.post(
        reverse("offers:activate", args=[offer.code]), confirmation(summary(client, offer))
    )
    assert response.status_code == 302
    acceptance = Request.objects.get().details["terms_acceptance"]
    assert acceptance["by"] == world.lr.pk
    assert acceptance["version"] == offer.terms_version
    assert "Durata minima: 24 mesi." in acceptance["text"]
    assert datetime.fromisoformat(acceptance["at"])


@pytest.mark.parametrize("profile", [Profile.FULL, Profile.LIGHT])
def test_who_cannot_activate_is_told_who_can(profile: Profile, world: World) -> None:
    offer = terms_offer()
    page = html(
        client_for(world.by_profile(profile)).get(reverse("offers:detail", args=[offer.code]))
    )
    holders = [p for p in Profile if scope_for(p, Capability.ACTIVATE_OFFER) is not None]
    assert holders and profile not in holders
    assert "Non puoi attivare le offerte" in page
    for holder in holders:
        assert str(holder.label) in page
    assert world.lr.get_full_name() in page


def test_who_can_activate_is_not_told(world: World) -> None:
    offer = terms_offer()
    page = html(client_for(world.lr).get(reverse("offers:detail", args=[offer.code])))
    assert "Non puoi attivare le offerte" not in page
