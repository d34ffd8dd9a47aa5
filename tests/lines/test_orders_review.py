"""What the review of the orders found: allocation under concurrency, portability only of
open and approved orders, one order per number to port, assignees who left, approvers who
hear of an edit, inactive requesters."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Contract, Line, Notification
from core.exceptions import ActionRefused
from lines.models import LineEvent, OrderedSim, PortInState
from lines.orders import OrderedSimData, order_update
from lines.portability import PortInRefused, port_in_move
from tests.concurrency import twice_while_locked
from tests.conftest import World
from tests.factories import StaffFactory, _iccid
from tests.lines.orders_helpers import DELIVERY, place_order, port_in
from tracking.models import ApprovalPolicy, Request, RequestKind, RequestState
from tracking.services import CompletionRefused, request_transition


def complete(tracked: Request, **kwargs: Any) -> Request:
    staff = StaffFactory()
    if tracked.state == RequestState.SUBMITTED:
        request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=staff)
    return request_transition(
        request=tracked, to_state=RequestState.COMPLETED, actor=staff, **kwargs
    )


@pytest.mark.django_db(transaction=True)
def test_two_completions_at_once_get_different_numbers_and_sims() -> None:
    """Both read the highest number and ICCID given so far before either has written:
    the simulator's allocation must make the second wait for the first."""
    from tests.conftest import build_world

    world = build_world()
    staff = StaffFactory()
    orders = [place_order(world), place_order(world)]
    for tracked in orders:
        request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=staff)
    turn = itertools.count()

    def finish() -> Request:
        return request_transition(
            request=orders[next(turn)], to_state=RequestState.COMPLETED, actor=staff
        )

    # Both queue on the contract's row, which a new line's foreign key needs.
    answers = twice_while_locked(finish, Contract.objects.filter(pk=world.mobile.pk))
    assert not [a for a in answers if isinstance(a, Exception)], answers
    ids = OrderedSim.objects.filter(order__request__in=orders).values_list("line", flat=True)
    created = Line.objects.filter(pk__in=ids)
    assert created.count() == 4
    assert len({line.sims.get().iccid for line in created}) == 4


pytestmark = pytest.mark.django_db


def test_a_taken_number_or_iccid_is_named_for_what_it_is(world: World) -> None:
    tracked = place_order(world, sims=[OrderedSimData(assignee=None, port_in=None)])
    taken_number = [{"position": 1, "number": world.spare_line.number, "iccid": _iccid(77)}]
    with pytest.raises(CompletionRefused, match="Il numero"):
        complete(tracked, details={"sims": taken_number})
    tracked = place_order(world, sims=[OrderedSimData(assignee=None, port_in=None)])
    iccid = world.lr_line.sims.first().iccid
    taken_iccid = [{"position": 1, "number": "+393477000001", "iccid": iccid, "puk": "1"}]
    with pytest.raises(CompletionRefused, match="ICCID"):
        complete(tracked, details={"sims": taken_iccid})
    assert not Line.objects.filter(number="+393477000001").exists()


@pytest.mark.parametrize(
    "state",
    [
        RequestState.AWAITING_APPROVAL,
        RequestState.REJECTED,
        RequestState.CANCELLED,
        RequestState.COMPLETED,
    ],
)
def test_a_portability_moves_only_for_an_open_approved_order(
    world: World, state: RequestState
) -> None:
    tracked = place_order(world, sims=[OrderedSimData(assignee=None, port_in=port_in())])
    Request.objects.filter(pk=tracked.pk).update(state=state)
    sim = tracked.sim_order.sims.get()
    with pytest.raises(PortInRefused, match="non si può muovere"):
        port_in_move(ordered_sim=sim, to_state=PortInState.ACCEPTED, actor=world.staff)
    sim.refresh_from_db()
    assert sim.port_state == PortInState.REQUESTED and sim.events.count() == 1


def test_a_cutover_date_in_the_past_is_refused_on_every_channel(world: World) -> None:
    tracked = place_order(world, sims=[OrderedSimData(assignee=None, port_in=port_in())])
    sim = port_in_move(
        ordered_sim=tracked.sim_order.sims.get(), to_state=PortInState.ACCEPTED, actor=None
    )
    yesterday = timezone.localdate() - timedelta(days=1)
    with pytest.raises(PortInRefused, match="non può essere passata"):
        port_in_move(
            ordered_sim=sim, to_state=PortInState.SCHEDULED, actor=None, cutover_date=yesterday
        )
    sim.refresh_from_db()
    assert sim.port_state == PortInState.ACCEPTED and sim.port_cutover_date is None


def test_a_number_is_ported_by_one_open_order_at_a_time(world: World) -> None:
    first = place_order(world, sims=[OrderedSimData(assignee=None, port_in=port_in())])
    with pytest.raises(ActionRefused, match="già in portabilità"):
        place_order(world, sims=[OrderedSimData(assignee=None, port_in=port_in())])
    # Once the donor refused it, or the first order is closed, the number may be asked again.
    sim = port_in_move(
        ordered_sim=first.sim_order.sims.get(),
        to_state=PortInState.REFUSED,
        actor=None,
        reason="Codice fiscale errato",
    )
    assert sim.port_state == PortInState.REFUSED
    again = place_order(world, sims=[OrderedSimData(assignee=None, port_in=port_in())])
    Request.objects.filter(pk=again.pk).update(state=RequestState.CANCELLED)
    assert place_order(world, sims=[OrderedSimData(assignee=None, port_in=port_in())])


def test_editing_an_order_keeps_its_own_number_to_port(world: World) -> None:
    tracked = place_order(
        world, sims=[OrderedSimData(assignee=None, port_in=port_in())], awaiting_approval=True
    )
    order_update(
        request=tracked,
        actor=world.full,
        contract=world.mobile,
        plan=tracked.sim_order.plan,
        sim_kind=tracked.sim_order.sim_kind,
        sims=[OrderedSimData(assignee=world.user, port_in=port_in())],
        delivery=DELIVERY,
    )
    assert OrderedSim.objects.get(order__request=tracked).assignee == world.user


@pytest.mark.parametrize("change", ["deactivated", "moved"])
def test_an_assignee_who_left_is_said_not_dropped_silently(world: World, change: str) -> None:
    tracked = place_order(world, sims=[OrderedSimData(assignee=world.user, port_in=None)])
    if change == "deactivated":
        world.user.is_active = False
    else:
        world.user.company = world.outsider_company
    world.user.save()
    complete(tracked)
    line = OrderedSim.objects.get(order__request=tracked).line
    assert line is not None and line.assignee is None
    activated = LineEvent.objects.get(line=line, kind=LineEvent.Kind.ACTIVATED)
    assert activated.details["assignee_dropped"] == world.user.username
    note = tracked.events.get(to_state=RequestState.COMPLETED).note
    assert line.number in note and "non è assegnata" in note


def test_an_edit_is_announced_to_the_approvers_again(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    ApprovalPolicy.objects.create(company=world.company, kinds=[RequestKind.EXPANSION])
    tracked = place_order(world)
    assert tracked.state == RequestState.AWAITING_APPROVAL
    approval = Notification.objects.filter(recipient=world.lr, kind="approval")
    assert approval.count() == 1
    mail.outbox.clear()
    shape: dict[str, Any] = {
        "contract": world.mobile,
        "plan": tracked.sim_order.plan,
        "sim_kind": tracked.sim_order.sim_kind,
        "delivery": DELIVERY,
    }
    sims = [OrderedSimData(assignee=None, port_in=None)]
    with django_capture_on_commit_callbacks(execute=True):
        order_update(request=tracked, actor=world.full, sims=sims * 3, **shape)
    assert approval.count() == 2
    assert "modificata" in approval.latest("pk").title
    assert any(world.lr.email in message.to for message in mail.outbox)
    order_update(request=tracked, actor=world.full, sims=sims * 4, **shape)
    assert approval.count() == 3


def test_an_inactive_requester_hears_nothing_of_the_portability(world: World) -> None:
    tracked = place_order(world, sims=[OrderedSimData(assignee=None, port_in=port_in())])
    world.full.is_active = False
    world.full.save()
    mail.outbox.clear()
    port_in_move(
        ordered_sim=tracked.sim_order.sims.get(), to_state=PortInState.ACCEPTED, actor=None
    )
    assert not [m for m in mail.outbox if world.full.email in m.to]
