"""Number portability of an ordered SIM: only along PORT_IN_TRANSITIONS, each step in its
history, and the requester e-mailed at every step after the request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from lines.models import PORT_IN_TRANSITIONS, OrderedSim, PortInState
from lines.orders import OrderedSimData
from lines.portability import PortInRefused, port_in_move
from tests.conftest import World
from tests.lines.orders_helpers import place_order, port_in

pytestmark = pytest.mark.django_db

ALL_MOVES = [(source, target) for source in PortInState for target in PortInState]
PATH_TO = {
    PortInState.REQUESTED: [],
    PortInState.ACCEPTED: [PortInState.ACCEPTED],
    PortInState.SCHEDULED: [PortInState.ACCEPTED, PortInState.SCHEDULED],
    PortInState.DONE: [PortInState.ACCEPTED, PortInState.SCHEDULED, PortInState.DONE],
    PortInState.REFUSED: [PortInState.REFUSED],
}


def ported_sim(world: World) -> OrderedSim:
    tracked = place_order(world, sims=[OrderedSimData(assignee=None, port_in=port_in())])
    return tracked.sim_order.sims.get()


def move(sim: OrderedSim, target: PortInState) -> OrderedSim:
    return port_in_move(
        ordered_sim=sim,
        to_state=target,
        actor=None,
        cutover_date=timezone.localdate() + timedelta(days=3),
        reason="Dati dell'intestatario non corrispondenti",
    )


@pytest.mark.parametrize(("source", "target"), ALL_MOVES, ids=lambda s: str(s))
def test_moves_only_along_the_transitions(
    world: World, source: PortInState, target: PortInState
) -> None:
    sim = ported_sim(world)
    for step in PATH_TO[source]:
        sim = move(sim, step)
    if target in PORT_IN_TRANSITIONS[source]:
        assert move(sim, target).port_state == target
        assert sim.events.last().to_state == target
    else:
        with pytest.raises(PortInRefused):
            move(sim, target)
        sim.refresh_from_db()
        assert sim.port_state == source


def test_scheduling_needs_a_date_and_refusing_a_reason(world: World) -> None:
    sim = move(ported_sim(world), PortInState.ACCEPTED)
    with pytest.raises(PortInRefused, match="data di passaggio"):
        port_in_move(ordered_sim=sim, to_state=PortInState.SCHEDULED, actor=None)
    with pytest.raises(PortInRefused, match="motivo"):
        port_in_move(ordered_sim=sim, to_state=PortInState.REFUSED, actor=None, reason=" ")


def test_a_sim_without_portability_cannot_move(world: World) -> None:
    sim = place_order(world).sim_order.sims.first()
    assert sim is not None
    with pytest.raises(PortInRefused, match="non è stata chiesta"):
        move(sim, PortInState.ACCEPTED)


def test_the_requester_hears_of_every_step(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    sim = ported_sim(world)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for step in PATH_TO[PortInState.DONE]:
            sim = move(sim, step)
    sent = [message for message in mail.outbox if message.to == [world.full.email]]
    assert len(sent) == 3
    assert "accettato" in sent[0].body
    assert "il numero passa a noi" in sent[1].body
    assert "passato a noi" in sent[2].body
    assert all(f"/linee/ordini/{sim.order.request.reference}/" in m.body for m in sent)


def test_a_refusal_is_emailed_with_its_reason(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    sim = ported_sim(world)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        move(sim, PortInState.REFUSED)
    (message,) = mail.outbox
    assert "rifiutata" in message.body
    assert "Dati dell'intestatario non corrispondenti" in message.body
