"""Number portability of an ordered SIM: its own states, moved by the back office and by
other channels through the API, each step in the order's timeline."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.exceptions import ActionRefused
from core.mail import send_templated_email
from lines.models import PORT_IN_TRANSITIONS, OrderedSim, PortInEvent, PortInState
from tracking.models import APPROVAL_STATES, Request


class PortInRefused(ActionRefused):
    """The move cannot be made; the message says why."""


@transaction.atomic
def port_in_move(
    *,
    ordered_sim: OrderedSim,
    to_state: PortInState,
    actor: User | None,
    cutover_date: date | None = None,
    reason: str = "",
) -> OrderedSim:
    """Move a SIM's portability, read under its row lock, along PORT_IN_TRANSITIONS: a
    cut-over date to schedule it, a reason to refuse it. Done means the number has moved:
    the order's completion gives the line that number (lines.orders). Only while the order
    is open and approved: a number moves for an order that will create its line."""
    # The order's request first, as its completion and its edit lock it (then the SIMs).
    tracked = Request.objects.select_for_update(of=("self",)).get(sim_order__sims=ordered_sim.pk)
    if not may_move(tracked):
        raise PortInRefused(
            _("L'ordine %(reference)s è «%(state)s»: la portabilità non si può muovere.")
            % {"reference": tracked.reference, "state": tracked.get_state_display()}
        )
    locked = OrderedSim.objects.select_for_update().get(pk=ordered_sim.pk)
    if not locked.ports_in:
        raise PortInRefused(_("Per questa SIM non è stata chiesta la portabilità."))
    if to_state not in PORT_IN_TRANSITIONS[PortInState(locked.port_state)]:
        raise PortInRefused(
            _("La portabilità è «%(state)s»: non può passare a «%(target)s».")
            % {"state": locked.get_port_state_display(), "target": to_state.label}
        )
    if to_state == PortInState.SCHEDULED:
        if cutover_date is None:
            raise PortInRefused(_("Indica la data di passaggio del numero."))
        if cutover_date < timezone.localdate():
            raise PortInRefused(_("La data di passaggio non può essere passata."))
        locked.port_cutover_date = cutover_date
    if to_state == PortInState.REFUSED:
        if not reason.strip():
            raise PortInRefused(_("Per rifiutare la portabilità scrivi il motivo."))
        locked.port_refusal_reason = reason.strip()
    from_state = locked.port_state
    locked.port_state = to_state
    locked.save()
    note = reason.strip() or (cutover_date.isoformat() if cutover_date else "")
    PortInEvent.objects.create(
        ordered_sim=locked, from_state=from_state, to_state=to_state, actor=actor, note=note
    )
    _notify_requester(locked)
    return locked


def may_move(tracked: Request) -> bool:
    """Whether the order's portabilities move: open, and past its approvers."""
    return tracked.is_open and tracked.state not in APPROVAL_STATES


def _notify_requester(ordered_sim: OrderedSim) -> None:
    """Whoever ordered the SIM hears of each step of their number's move: accepted by the
    donor, the cut-over date, done, or refused and why."""
    tracked = ordered_sim.order.request
    requester = tracked.requester
    if requester is None or not requester.is_active or not requester.email:
        return
    send_templated_email(
        "lines/email/port_in",
        {
            "person": requester,
            "sim": ordered_sim,
            "request": tracked,
            "order_url": settings.SITE_URL
            + reverse("lines:order-detail", args=[tracked.reference]),
        },
        [requester.email],
    )
