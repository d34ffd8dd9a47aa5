"""The back office's order panel: the SIMs as a table (never their PUKs, never raw
details), and no portability form for an order that is not open and approved."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from lines.orders import OrderedSimData
from tests.conftest import World, client_for
from tests.factories import StaffFactory, _iccid
from tests.lines.orders_helpers import place_order, port_in
from tracking.models import Request, RequestState
from tracking.services import request_transition

pytestmark = pytest.mark.django_db


def test_the_order_sims_are_a_table_without_puks(world: World) -> None:
    tracked = place_order(world, sims=[OrderedSimData(assignee=world.user, port_in=None)])
    staff = StaffFactory()
    request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=staff)
    supplied = [
        {"position": 1, "number": "+393477000021", "iccid": _iccid(900021), "puk": "98765432"}
    ]
    request_transition(
        request=tracked,
        to_state=RequestState.COMPLETED,
        actor=staff,
        details={"sims": supplied},
    )
    page = unescape(
        client_for(world.staff)
        .get(reverse("backoffice:request-detail", args=[tracked.pk]))
        .content.decode()
    )
    assert "SIM dell'ordine" in page
    assert "+393477000021" in page and _iccid(900021) in page
    assert "98765432" not in page and "'puk'" not in page and "{'position'" not in page


@pytest.mark.parametrize("state", [RequestState.AWAITING_APPROVAL, RequestState.CANCELLED])
def test_no_portability_form_for_an_order_not_open_and_approved(
    world: World, state: RequestState
) -> None:
    tracked = place_order(world, sims=[OrderedSimData(assignee=None, port_in=port_in())])
    Request.objects.filter(pk=tracked.pk).update(state=state)
    sim = tracked.sim_order.sims.get()
    page = client_for(world.staff).get(reverse("backoffice:request-detail", args=[tracked.pk]))
    html = page.content.decode()
    assert "+393401234567" in html
    assert reverse("backoffice:port-in-move", args=[sim.pk]) not in html
