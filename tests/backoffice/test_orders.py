"""Orders in the back office: the portability of each number moved from the request's
page (staff only), and the order completed there with the provisioning simulator."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Line
from lines.models import PortInState
from lines.orders import OrderedSimData
from tests.accounts.helpers import signed_in
from tests.conftest import World, client_for
from tests.lines.orders_helpers import place_order, port_in
from tracking.models import RequestState

pytestmark = pytest.mark.django_db


def test_the_request_page_shows_the_numbers_to_port_and_moves_them(world: World) -> None:
    tracked = place_order(world, sims=[OrderedSimData(assignee=None, port_in=port_in())])
    sim = tracked.sim_order.sims.get()
    client = client_for(world.staff)
    page = unescape(
        client.get(reverse("backoffice:request-detail", args=[tracked.pk])).content.decode()
    )
    assert "Portabilità dei numeri" in page and "+393401234567" in page
    url = reverse("backoffice:port-in-move", args=[sim.pk])
    prefix = f"port-{sim.pk}"
    client.post(url, {f"{prefix}-to_state": "ACCEPTED"})
    day = timezone.localdate() + timedelta(days=2)
    client.post(url, {f"{prefix}-to_state": "SCHEDULED", f"{prefix}-cutover_date": day.isoformat()})
    sim.refresh_from_db()
    assert sim.port_state == PortInState.SCHEDULED and sim.port_cutover_date == day
    assert [e.actor for e in sim.events.all()][1:] == [world.staff, world.staff]


def test_a_move_the_transitions_do_not_allow_is_refused(world: World) -> None:
    tracked = place_order(world, sims=[OrderedSimData(assignee=None, port_in=port_in())])
    sim = tracked.sim_order.sims.get()
    response = client_for(world.staff).post(
        reverse("backoffice:port-in-move", args=[sim.pk]),
        {f"port-{sim.pk}-to_state": "DONE"},
        follow=True,
    )
    assert response.status_code == 200
    sim.refresh_from_db()
    assert sim.port_state == PortInState.REQUESTED


def test_refusing_needs_a_reason(world: World) -> None:
    tracked = place_order(world, sims=[OrderedSimData(assignee=None, port_in=port_in())])
    sim = tracked.sim_order.sims.get()
    response = client_for(world.staff).post(
        reverse("backoffice:port-in-move", args=[sim.pk]),
        {f"port-{sim.pk}-to_state": "REFUSED"},
        follow=True,
    )
    assert "Per rifiutare la portabilità scrivi il motivo." in unescape(response.content.decode())
    sim.refresh_from_db()
    assert sim.port_state == PortInState.REQUESTED


def test_customers_cannot_move_a_portability(world: World) -> None:
    tracked = place_order(world, sims=[OrderedSimData(assignee=None, port_in=port_in())])
    sim = tracked.sim_order.sims.get()
    response = signed_in(world.lr).post(
        reverse("backoffice:port-in-move", args=[sim.pk]), {f"port-{sim.pk}-to_state": "ACCEPTED"}
    )
    assert response.status_code in {302, 403}
    sim.refresh_from_db()
    assert sim.port_state == PortInState.REQUESTED


def test_completing_the_order_in_the_back_office_creates_the_lines(world: World) -> None:
    tracked = place_order(world)
    client = client_for(world.staff)
    url = reverse("backoffice:request-detail", args=[tracked.pk])
    before = Line.objects.count()
    client.post(url, {"to_state": "IN_PROGRESS"})
    client.post(url, {"to_state": "COMPLETED"})
    tracked.refresh_from_db()
    assert tracked.state == RequestState.COMPLETED
    assert Line.objects.count() == before + 2


def test_completing_with_a_pending_portability_says_why(world: World) -> None:
    tracked = place_order(world, sims=[OrderedSimData(assignee=None, port_in=port_in())])
    client = client_for(world.staff)
    url = reverse("backoffice:request-detail", args=[tracked.pk])
    client.post(url, {"to_state": "IN_PROGRESS"})
    response = client.post(url, {"to_state": "COMPLETED"}, follow=True)
    assert "ancora in corso" in unescape(response.content.decode())
    tracked.refresh_from_db()
    assert tracked.state == RequestState.IN_PROGRESS
