"""Activation requests opened before their lines had rows keep working after the upgrade."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from offers.models import ActivationLine
from offers.selectors import eligible_lines, pending_activations
from tests.conftest import World
from tests.factories import OfferFactory
from tracking.models import RequestKind, RequestState
from tracking.services import request_create, request_transition

pytestmark = pytest.mark.django_db

copy_line_ids = importlib.import_module(
    "offers.migrations.0003_activation_lines_from_details"
).copy_line_ids


def test_line_ids_of_older_requests_become_rows(world: World) -> None:
    offer = OfferFactory()
    legacy = {
        "offer_code": offer.code,
        "offer_name": offer.name,
        "service_kind": offer.service_kind,
        "monthly_fee": "6.00",
        # Another company's line and an id of no line are left out.
        "line_ids": [world.lr_line.pk, world.full_line.pk, world.outsider_line.pk, 10**9, "x"],
        "line_numbers": [world.lr_line.number, world.full_line.number],
    }
    tracked = request_create(
        company=world.company, kind=RequestKind.OFFER, summary="Offerta", details=legacy
    )
    copy_line_ids(apps, None)
    copy_line_ids(apps, None)  # run twice: nothing doubles
    rows = ActivationLine.objects.filter(request=tracked)
    assert {row.line_id for row in rows} == {world.lr_line.pk, world.full_line.pk}

    pending = pending_activations(company=world.company, offer=offer)
    assert pending == [tracked]
    eligible = eligible_lines(user=world.lr, offer=offer, pending=pending)
    assert world.lr_line not in eligible and world.user_line in eligible

    request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=None)
    request_transition(request=tracked, to_state=RequestState.COMPLETED, actor=None)
    assert set(world.lr_line.services.values_list("code", flat=True)) == {offer.code}
