"""Orders of new SIMs in the back office: on the order's request page, each number to port
with its steps and the form that moves it along PORT_IN_TRANSITIONS. Completing the order
itself is the request's own transition (lines.orders creates the lines)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import staff, user_of
from accounts.models import Sim
from backoffice.order_forms import PortInMoveForm
from lines.models import OrderedSim, PortInState
from lines.portability import PortInRefused, may_move, port_in_move
from tracking.models import Request, RequestKind


@dataclass(frozen=True)
class PortInPanel:
    """A SIM whose number is being ported, and the form for its next step (None once it is
    done or refused, or while the order is not open and approved)."""

    sim: OrderedSim
    form: PortInMoveForm | None


@dataclass(frozen=True)
class OrderSimRow:
    """One SIM of an order as the back office reads it: its number and ICCID once it has
    them (the line's, else what a channel sent for the completion), never its PUK."""

    position: int
    assignee: str
    number: str
    iccid: str


def order_sims(tracked: Request) -> list[OrderSimRow]:
    """The order's SIMs for the back office's order panel; none for other requests."""
    if tracked.kind != RequestKind.EXPANSION:
        return []
    sent = {
        entry.get("position"): entry
        for entry in tracked.details.get("sims", [])
        if isinstance(entry, dict)
    }
    sims = OrderedSim.objects.filter(order__request=tracked).select_related("assignee", "line")
    rows = []
    # The SIM the order activated is the line's first (a later SIM change adds others).
    first_cards = Prefetch("line__sims", queryset=Sim.objects.order_by("pk"))
    for sim in sims.prefetch_related(first_cards).order_by("position"):
        given = sent.get(sim.position, {})
        card = next(iter(sim.line.sims.all()), None) if sim.line else None
        rows.append(
            OrderSimRow(
                position=sim.position,
                assignee=(sim.assignee.get_full_name() or sim.assignee.username)
                if sim.assignee
                else "",
                number=sim.line.number if sim.line else str(given.get("number") or ""),
                iccid=card.iccid if card else str(given.get("iccid") or ""),
            )
        )
    return rows


def port_in_panels(tracked: Request) -> list[PortInPanel]:
    """The order's SIMs that port a number, their steps prefetched; none for other requests."""
    if tracked.kind != RequestKind.EXPANSION:
        return []
    sims = OrderedSim.objects.filter(order__request=tracked).exclude(port_number="")
    movable = may_move(tracked)
    panels = []
    for sim in sims.prefetch_related("events__actor"):
        form = PortInMoveForm(ordered_sim=sim, prefix=f"port-{sim.pk}")
        has_next = bool(form.fields["to_state"].choices)  # type: ignore[attr-defined]
        panels.append(PortInPanel(sim=sim, form=form if has_next and movable else None))
    return panels


@staff
@require_POST
def port_in_move_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    sim = get_object_or_404(OrderedSim.objects.select_related("order__request"), pk=pk)
    tracked = sim.order.request
    form = PortInMoveForm(request.POST, ordered_sim=sim, prefix=f"port-{sim.pk}")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("backoffice:request-detail", pk=tracked.pk)
    data = form.cleaned_data
    try:
        moved = port_in_move(
            ordered_sim=sim,
            to_state=PortInState(data["to_state"]),
            actor=user_of(request),
            cutover_date=data["cutover_date"],
            reason=data["reason"],
        )
    except PortInRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("Portabilità del numero %(number)s: %(state)s.")
            % {"number": moved.port_number, "state": moved.get_port_state_display()},
        )
    return redirect("backoffice:request-detail", pk=tracked.pk)
