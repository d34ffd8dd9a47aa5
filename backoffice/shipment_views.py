"""Shipments in the back office: on the request's page, each shipment with its steps and
the form that moves it along SHIPMENT_TRANSITIONS; after a return, a new shipment."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.db import IntegrityError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponseBase, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import staff, user_of
from backoffice.forms import SimChangeCompletionForm
from backoffice.shipment_forms import ShipmentMoveForm
from tracking.models import (
    Request,
    RequestKind,
    RequestState,
    Shipment,
    ShipmentEvent,
    ShipmentState,
)
from tracking.services import CompletionRefused
from tracking.shipments import (
    SHIPPING_DETAILS,
    ShipmentRefused,
    shipment_move,
    shipment_restart,
    ships,
)


@dataclass(frozen=True)
class ShipmentPanel:
    """A shipment as the operator works it: `form` to move it (None once it has arrived
    or come back), `card` for the new SIM's data when shipping needs them."""

    shipment: Shipment
    form: ShipmentMoveForm | None
    card: forms.Form | None


def shipment_panels(tracked: Request) -> tuple[list[ShipmentPanel], bool]:
    """The request's shipments, their steps prefetched (two queries whatever their number),
    and whether the back office may start a new one (the last came back)."""
    shipments = list(
        tracked.shipments.prefetch_related(
            Prefetch("events", queryset=ShipmentEvent.objects.select_related("actor"))
        )
    )
    for shipment in shipments:
        shipment.request = tracked
    panels = [_panel(shipment) for shipment in shipments]
    restart = (
        ships(tracked)
        and tracked.state == RequestState.IN_PROGRESS
        and bool(shipments)
        and shipments[-1].state == ShipmentState.RETURNED
    )
    return panels, restart


def _panel(shipment: Shipment, data: QueryDict | None = None) -> ShipmentPanel:
    prefix = f"shipment-{shipment.pk}"
    form = ShipmentMoveForm(data, shipment=shipment, prefix=prefix)
    if not form.fields["to_state"].choices:  # type: ignore[attr-defined]
        return ShipmentPanel(shipment=shipment, form=None, card=None)
    card = None
    request = shipment.request
    if form.ships and RequestKind(request.kind) in SHIPPING_DETAILS:
        # A card named before (an envelope that came back) is offered again as it was.
        initial = {key: request.details.get(key, "") for key in ("new_iccid", "new_puk")}
        card = SimChangeCompletionForm(
            data, prefix=f"{prefix}-sim", initial=initial, tracked=request
        )
    return ShipmentPanel(shipment=shipment, form=form, card=card)


@staff
@require_http_methods(["GET", "POST"])
def shipment_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    """One shipment's form; a valid move goes back to the request's page, a form with
    errors stays here to be corrected."""
    shipment = get_object_or_404(
        Shipment.objects.select_related("request__company", "request__line"), pk=pk
    )
    panel = _panel(shipment, request.POST if request.method == "POST" else None)
    if request.method == "POST" and panel.form is not None and panel.form.is_valid():
        data = panel.form.cleaned_data
        to_state = ShipmentState(data["to_state"])
        card = panel.card if to_state == ShipmentState.SHIPPED else None
        if card is None or card.is_valid():
            try:
                shipment_move(
                    shipment=shipment,
                    to_state=to_state,
                    actor=user_of(request),
                    carrier=data.get("carrier", ""),
                    tracking_number=data.get("tracking_number", ""),
                    note=data["note"],
                    details=card.cleaned_data if card is not None else None,
                )
            except (ShipmentRefused, CompletionRefused) as refusal:
                messages.error(request, str(refusal))
            except IntegrityError:
                messages.error(request, _("Questo ICCID appartiene già a un'altra SIM."))
            else:
                messages.success(
                    request,
                    _("Spedizione della richiesta %(reference)s: %(state)s.")
                    % {"reference": shipment.request.reference, "state": to_state.label},
                )
            return redirect("backoffice:request-detail", pk=shipment.request_id)
    context = {"shipment": shipment, "tracked": shipment.request, "panel": panel}
    return render(request, "backoffice/shipment_detail.html", context)


@staff
@require_POST
def shipment_new(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A new shipment for a request whose last one came back (to the same address)."""
    tracked = get_object_or_404(Request, pk=pk)
    try:
        shipment_restart(request=tracked)
    except ShipmentRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Nuova spedizione in preparazione."))
    return redirect("backoffice:request-detail", pk=tracked.pk)
