"""Orders of new SIMs (L5) as a service: the invariants every channel keeps, and the
completion that creates exactly the lines asked, once."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from stdnum import luhn

from accounts.models import Company, Line, Sim
from core.exceptions import ActionRefused
from lines.models import MAX_ORDER_QUANTITY, LineEvent, LineService, OrderedSim, PortInState
from lines.orders import OrderedSimData, _complete_order, order_create, order_update
from lines.portability import port_in_move
from lines.provisioning import SimulatedProvisioning, check_real_provisioning
from tests.conftest import World
from tests.factories import PlanFactory, StaffFactory, _iccid
from tests.lines.orders_helpers import DELIVERY, place_order, port_in
from tracking.approvals import fingerprint
from tracking.models import Request, RequestState
from tracking.services import CompletionRefused, request_transition

pytestmark = pytest.mark.django_db


def complete(tracked: Request, **kwargs: Any) -> Request:
    staff = StaffFactory()
    if tracked.state == RequestState.SUBMITTED:
        request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=staff)
    return request_transition(
        request=tracked, to_state=RequestState.COMPLETED, actor=staff, **kwargs
    )


def test_an_order_is_a_tracked_request_with_its_rows_and_details(world: World) -> None:
    sims = [
        OrderedSimData(assignee=world.user, port_in=port_in()),
        OrderedSimData(assignee=None, port_in=None),
    ]
    tracked = place_order(world, sims=sims)
    order = tracked.sim_order
    assert tracked.state == RequestState.SUBMITTED and tracked.requester == world.full
    assert order.quantity == 2 and order.street == "Via Appia Nuova 1024"
    first, second = order.sims.all()
    assert first.assignee == world.user and first.port_state == PortInState.REQUESTED
    assert first.events.get().to_state == PortInState.REQUESTED
    assert second.port_number == "" and second.port_state == ""
    assert tracked.details["quantity"] == 2
    assert tracked.details["sims"][0]["port_in"]["number"] == "+393401234567"
    assert tracked.details["sims"][0]["assignee"] == world.user.username
    assert tracked.details["delivery"]["contact_phone"] == "+393351000002"


def test_the_same_key_opens_one_order(world: World) -> None:
    first = place_order(world, external_id="a" * 32)
    again = place_order(world, external_id="a" * 32)
    assert again.pk == first.pk
    assert Request.objects.count() == 1


@pytest.mark.parametrize("quantity", [0, MAX_ORDER_QUANTITY + 1])
def test_quantity_out_of_bounds_is_refused(world: World, quantity: int) -> None:
    with pytest.raises(ActionRefused, match="da 1 a"):
        place_order(world, sims=[OrderedSimData(assignee=None, port_in=None)] * quantity)


def test_a_plan_of_another_segment_or_withdrawn_is_refused(world: World) -> None:
    others = [s for s in Company.Segment.values if s != world.company.segment]
    with pytest.raises(ActionRefused, match="non è disponibile"):
        place_order(world, plan=PlanFactory(segments=others))
    with pytest.raises(ActionRefused, match="non è disponibile"):
        place_order(world, plan=PlanFactory(is_active=False))


@pytest.mark.parametrize("which", ["fixed", "outsider"])
def test_a_fixed_or_outsider_contract_is_refused(world: World, which: str) -> None:
    contract = world.fixed if which == "fixed" else world.outsider_line.contract
    with pytest.raises(ActionRefused, match="contratto mobile"):
        order_create(
            company=world.company,
            requester=world.full,
            contract=contract,
            plan=PlanFactory(),
            sim_kind=Sim.Kind.PHYSICAL,
            sims=[OrderedSimData(assignee=None, port_in=None)],
            delivery=DELIVERY,
        )


def test_assignees_are_active_people_of_the_company(world: World) -> None:
    with pytest.raises(ActionRefused, match="persone attive"):
        place_order(world, sims=[OrderedSimData(assignee=world.outsider_lr, port_in=None)])
    world.user.is_active = False
    world.user.save()
    with pytest.raises(ActionRefused, match="persone attive"):
        place_order(world, sims=[OrderedSimData(assignee=world.user, port_in=None)])


def test_port_numbers_are_distinct_and_not_ours(world: World) -> None:
    twice = [OrderedSimData(assignee=None, port_in=port_in())] * 2
    with pytest.raises(ActionRefused, match="più SIM"):
        place_order(world, sims=twice)
    ours = [OrderedSimData(assignee=None, port_in=port_in(world.spare_line.number))]
    with pytest.raises(ActionRefused, match="già una linea"):
        place_order(world, sims=ours)


def test_esim_orders_need_an_email_and_no_address(world: World) -> None:
    tracked = place_order(world, sim_kind=Sim.Kind.ESIM)
    assert tracked.sim_order.esim_email == "it@acme.example.it"
    assert "delivery" not in tracked.details


def test_completion_creates_exactly_the_lines_asked(world: World) -> None:
    plan = PlanFactory(code="business-50", name="Business 50 GB")
    sims = [
        OrderedSimData(assignee=world.user, port_in=None),
        OrderedSimData(assignee=None, port_in=None),
        OrderedSimData(assignee=world.full, port_in=None),
    ]
    tracked = place_order(world, sims=sims, plan=plan)
    before = Line.objects.count()
    complete(tracked)
    ordered = list(OrderedSim.objects.filter(order__request=tracked).select_related("line"))
    assert Line.objects.count() == before + 3
    assert [sim.line.assignee for sim in ordered] == [world.user, None, world.full]
    for sim in ordered:
        line = sim.line
        assert line.contract == world.mobile and line.state == Line.State.ACTIVE
        assert line.activated_on == timezone.localdate()
        assert line.number.startswith(SimulatedProvisioning.NUMBER_PREFIX)
        card = line.sims.get(is_active=True)
        assert card.kind == Sim.Kind.PHYSICAL and luhn.is_valid(card.iccid)
        assert len(card.puk) == 8 and card.puk.isdigit()
        service = LineService.objects.get(line=line)
        assert (service.code, service.name) == ("business-50", "Business 50 GB")
        event = LineEvent.objects.get(line=line)
        assert event.kind == LineEvent.Kind.ACTIVATED
        assert event.details == {"request": tracked.reference, "ported": False}
    assert len({sim.line.number for sim in ordered}) == 3


def test_completing_again_adds_no_line(world: World) -> None:
    tracked = place_order(world)
    complete(tracked)
    count = Line.objects.count()
    _complete_order(tracked)  # a retry of the completion (the API's, the back office's)
    assert Line.objects.count() == count


def test_a_second_order_gets_the_next_numbers(world: World) -> None:
    first = place_order(world)
    complete(first)
    second = place_order(world)
    complete(second)
    numbers = sorted(
        Line.objects.filter(number__startswith="+393519").values_list("number", flat=True)
    )
    assert numbers == [f"+393519{n:06d}" for n in range(1, 5)]


def test_portability_done_keeps_the_number(world: World) -> None:
    sims = [OrderedSimData(assignee=world.user, port_in=port_in()), OrderedSimData(None, None)]
    tracked = place_order(world, sims=sims)
    ported = tracked.sim_order.sims.get(position=1)
    for state in (PortInState.ACCEPTED, PortInState.SCHEDULED, PortInState.DONE):
        port_in_move(
            ordered_sim=ported, to_state=state, actor=None, cutover_date=timezone.localdate()
        )
    complete(tracked)
    ported.refresh_from_db()
    assert ported.line.number == "+393401234567"
    assert LineEvent.objects.get(line=ported.line).details["ported"] is True


def test_completion_is_refused_while_a_portability_is_pending(world: World) -> None:
    tracked = place_order(world, sims=[OrderedSimData(assignee=None, port_in=port_in())])
    before = Line.objects.count()
    with pytest.raises(CompletionRefused, match="ancora in corso"):
        complete(tracked)
    assert Line.objects.count() == before


def test_a_refused_portability_gets_a_new_number(world: World) -> None:
    tracked = place_order(world, sims=[OrderedSimData(assignee=None, port_in=port_in())])
    sim = tracked.sim_order.sims.get()
    port_in_move(ordered_sim=sim, to_state=PortInState.REFUSED, actor=None, reason="ICCID errato")
    complete(tracked)
    sim.refresh_from_db()
    assert sim.line.number.startswith(SimulatedProvisioning.NUMBER_PREFIX)


def test_numbers_and_sims_from_a_client_system_win(world: World) -> None:
    tracked = place_order(world, sims=[OrderedSimData(assignee=None, port_in=None)])
    supplied = [
        {"position": 1, "number": "+393477777777", "iccid": _iccid(4242), "puk": "87654321"}
    ]
    complete(tracked, details={"sims": supplied})
    line = tracked.sim_order.sims.get().line
    assert line is not None and line.number == "+393477777777"
    assert line.sims.get().iccid == _iccid(4242)


def test_esim_completion_emails_the_numbers(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    tracked = place_order(world, sim_kind=Sim.Kind.ESIM)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        complete(tracked)
    esim = [m for m in mail.outbox if m.to == ["it@acme.example.it"]]
    assert len(esim) == 1
    for sim in tracked.sim_order.sims.all():
        assert sim.line.number in esim[0].body
    assert f"/linee/ordini/{tracked.reference}/" in esim[0].body


def test_editing_changes_rows_details_and_the_fingerprint(world: World) -> None:
    tracked = place_order(world, awaiting_approval=True)
    seen = fingerprint(tracked)
    order_update(
        request=tracked,
        actor=world.full,
        contract=world.mobile,
        plan=tracked.sim_order.plan,
        sim_kind=Sim.Kind.PHYSICAL,
        sims=[OrderedSimData(assignee=world.user, port_in=None)] * 3,
        delivery=DELIVERY,
    )
    tracked.refresh_from_db()
    assert tracked.sim_order.quantity == 3 and tracked.sim_order.sims.count() == 3
    assert tracked.details["quantity"] == 3
    assert tracked.events.filter(note="Ordine modificato").exists()
    assert fingerprint(tracked) != seen


def test_only_the_requester_edits_and_only_while_awaiting_approval(world: World) -> None:
    tracked = place_order(world, awaiting_approval=True)
    shape: dict[str, Any] = {
        "contract": world.mobile,
        "plan": tracked.sim_order.plan,
        "sim_kind": Sim.Kind.PHYSICAL,
        "sims": [OrderedSimData(assignee=None, port_in=None)],
        "delivery": DELIVERY,
    }
    with pytest.raises(ActionRefused, match="Solo chi"):
        order_update(request=tracked, actor=world.lr, **shape)
    Request.objects.filter(pk=tracked.pk).update(state=RequestState.SUBMITTED)
    with pytest.raises(ActionRefused, match="non è più in approvazione"):
        order_update(request=tracked, actor=world.full, **shape)


def test_a_deployment_may_not_use_the_simulator(settings: Any) -> None:
    settings.DEMO = False
    settings.SIM_PROVISIONING = "lines.provisioning.SimulatedProvisioning"
    assert [error.id for error in check_real_provisioning()] == ["lines.E001"]
    settings.SIM_PROVISIONING = "operator.provisioning.Client"
    assert check_real_provisioning() == []


def test_the_simulator_gives_valid_unused_numbers_and_cards(world: World) -> None:
    simulator = SimulatedProvisioning()
    numbers = simulator.numbers(3)
    assert len(set(numbers)) == 3
    assert not Line.objects.filter(number__in=numbers).exists()
    cards = simulator.sim_cards(2, kind=Sim.Kind.ESIM)
    assert all(luhn.is_valid(card.iccid) and card.iccid.startswith("893988") for card in cards)
    assert simulator.sim_cards(2, kind=Sim.Kind.ESIM) == cards  # deterministic
