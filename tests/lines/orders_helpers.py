"""Orders of new SIMs for the tests: placed through lines.orders as the pages place them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accounts.models import Sim, User
from lines.models import Plan
from lines.orders import DeliveryData, OrderedSimData, PortInData, order_create
from tests.conftest import World
from tests.factories import PlanFactory, _codice_fiscale, _iccid
from tracking.models import Request, RequestState

DELIVERY = DeliveryData(
    recipient="Laura Conti",
    street="Via Appia Nuova 1024",
    postal_code="00178",
    city="Roma",
    province="RM",
    contact_phone="+393351000002",
)


def port_in(number: str = "+393401234567", serial: int = 900) -> PortInData:
    return PortInData(
        number=number, donor="TIM", iccid=_iccid(serial), holder_tax_code=_codice_fiscale(7)
    )


def place_order(
    world: World,
    *,
    requester: User | None = None,
    sims: Sequence[OrderedSimData] | None = None,
    sim_kind: str = Sim.Kind.PHYSICAL,
    plan: Plan | None = None,
    awaiting_approval: bool = False,
    **kwargs: Any,
) -> Request:
    """An order of the world's company (two SIMs by default, no portability); with
    `awaiting_approval`, as if the company's policy had held it for a validator."""
    physical = sim_kind == Sim.Kind.PHYSICAL
    tracked = order_create(
        company=world.company,
        requester=requester if requester is not None else world.full,
        contract=world.mobile,
        plan=plan or PlanFactory(),
        sim_kind=sim_kind,
        sims=[OrderedSimData(assignee=None, port_in=None)] * 2 if sims is None else sims,
        delivery=DELIVERY if physical else None,
        esim_email="" if physical else "it@acme.example.it",
        **kwargs,
    )
    if awaiting_approval:
        Request.objects.filter(pk=tracked.pk).update(state=RequestState.AWAITING_APPROVAL)
        tracked.refresh_from_db()
    return tracked
