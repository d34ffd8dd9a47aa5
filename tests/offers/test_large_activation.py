"""An offer on hundreds of lines at once: every step, the request and its completion run
the same number of queries as on a handful, and the lines are stored as rows."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lines.models import LineEvent, LineService
from offers.models import ActivationLine
from tests.accounts.helpers import signed_in
from tests.conftest import World
from tests.factories import OfferFactory
from tests.offers.helpers import bulk_lines, choose, chosen_ids, confirmation, html, summary
from tracking.models import Request, RequestState
from tracking.services import request_transition

pytestmark = pytest.mark.django_db


def counted(action: Callable[[], Any]) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as captured:
        result = action()
    return len(captured), result


def activation_queries(world: World, label: str, count: int) -> dict[str, int]:
    """Activate a new offer on `count` new lines labelled `label`, chosen with "all the
    lines found"; the queries of each step."""
    bulk_lines(world.mobile, count, label=label, start=10_000 * len(label))
    offer = OfferFactory(monthly_fee=Decimal("3.00"), activation_fee=Decimal("1.50"))
    client = signed_in(world.lr)
    detail = reverse("offers:detail", args=[offer.code])
    steps: dict[str, int] = {}
    steps["page"], _ = counted(lambda: client.get(detail, {"q": label}))
    steps["select"], response = counted(
        lambda: choose(client, offer, [], action="select_found", searched=label)
    )
    assert response.status_code == 302 and len(chosen_ids(client, offer)) == count
    steps["chooser"], _ = counted(lambda: client.get(detail, {"q": label, "pagina": 2}))
    steps["summary"], page = counted(lambda: summary(client, offer))
    assert f"su {count} linee" in html(page)
    url = reverse("offers:activate", args=[offer.code])
    steps["confirm"], response = counted(lambda: client.post(url, confirmation(page)))
    assert response.status_code == 302
    tracked = Request.objects.get(details__offer_code=offer.code)
    assert tracked.details["line_count"] == count
    assert ActivationLine.objects.filter(request=tracked).count() == count
    request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=world.staff)
    steps["completion"], _ = counted(
        lambda: request_transition(
            request=tracked, to_state=RequestState.COMPLETED, actor=world.staff
        )
    )
    services = LineService.objects.filter(code=offer.code, request=tracked)
    assert services.count() == count
    assert (
        LineEvent.objects.filter(
            kind=LineEvent.Kind.SERVICE_ACTIVATED, details__request=tracked.reference
        ).count()
        == count
    )
    steps["page_after"], page = counted(lambda: client.get(detail, {"q": label}))
    assert "0 linee trovate" in html(page)  # all of them have it now
    return steps


def test_three_hundred_lines_take_the_queries_of_three(world: World) -> None:
    few = activation_queries(world, "Pochi", 3)
    many = activation_queries(world, "Tantissimi", 300)
    assert many == few


def test_a_request_on_many_lines_names_them_by_count(world: World) -> None:
    bulk_lines(world.mobile, 300, label="Flotta")
    offer = OfferFactory()
    client = signed_in(world.lr)
    choose(client, offer, [], action="select_found", searched="flotta")
    page = summary(client, offer)
    client.post(reverse("offers:activate", args=[offer.code]), confirmation(page))
    tracked = Request.objects.get()
    assert tracked.line is None and "su 300 linee" in tracked.summary
    assert "line_numbers" not in tracked.details  # 300 numbers are rows, not a list to read
    # The offer's page states the open request by its count, not 300 numbers.
    detail = html(client.get(reverse("offers:detail", args=[offer.code])))
    assert f"Richiesta {tracked.reference} in corso (Inviata) per 300 linee." in detail


def test_a_pending_request_of_many_lines_keeps_them_all_out(world: World) -> None:
    fleet = bulk_lines(world.mobile, 300, label="Flotta")
    offer = OfferFactory()
    client = signed_in(world.lr)
    choose(client, offer, [], action="select_found", searched="flotta")
    page = summary(client, offer)
    client.post(reverse("offers:activate", args=[offer.code]), confirmation(page))
    choose(client, offer, [], action="select_found")
    assert not chosen_ids(client, offer) & {line.pk for line in fleet}
    # Tampering with the form does not get them back in.
    response = choose(client, offer, fleet[:2])
    assert response.status_code == 400
