"""Number portability of an ordered SIM: its own states, moved by the back office and by
other channels through the API, each step in the order's timeline."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.exceptions import ActionRefused
from lines.models import PORT_IN_TRANSITIONS, OrderedSim, PortInEvent, PortInState


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
    the order's completion gives the line that number (lines.orders)."""
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
    return locked
