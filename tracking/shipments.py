"""Physical SIMs on their way: a request whose details name a `delivery` (a new
order, a SIM change) gets a shipment when the back office takes it; the back office and
the API move it along SHIPMENT_TRANSITIONS; the requester hears of "shipped" and
"delivered"; what a delivery completes is the section's (`on_delivery`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.exceptions import ActionRefused
from core.mail import send_templated_email
from tracking.models import (
    SHIPMENT_TRANSITIONS,
    Carrier,
    Request,
    RequestKind,
    Shipment,
    ShipmentEvent,
    ShipmentState,
)

DeliveryHandler = Callable[[Shipment], None]
# What a delivery does for a kind of request (a SIM change completes: the new SIM works),
# registered by the section that owns the kind; it runs in the delivery's transaction.
DELIVERY_HANDLERS: dict[RequestKind, DeliveryHandler] = {}

TRACKING_NUMBER_PATTERN = r"^[A-Z0-9]{6,40}$"


def on_delivery(kind: RequestKind) -> Callable[[DeliveryHandler], DeliveryHandler]:
    def register(handler: DeliveryHandler) -> DeliveryHandler:
        DELIVERY_HANDLERS[kind] = handler
        return handler

    return register


class ShipmentRefused(ActionRefused):
    """The move cannot be made; the message says why, for the operator or the channel."""


def ships(request: Request) -> bool:
    """Whether the request sends something by courier: its details name where to."""
    return isinstance(request.details.get("delivery"), dict)


def shipment_open_for(request: Request) -> Shipment:
    """The request's shipment in preparation, created from its `delivery` if it has
    none that is still on its way (a returned one is followed by a new one). Called under
    the request's row lock (tracking.services._move)."""
    current = request.shipments.exclude(state=ShipmentState.RETURNED).order_by("-id").first()
    if current is not None:
        return current
    address: dict[str, str] = request.details["delivery"]
    shipment = Shipment.objects.create(
        request=request,
        recipient=address.get("recipient", ""),
        street=address["street"],
        postal_code=address["postal_code"],
        city=address["city"],
        province=address["province"],
    )
    ShipmentEvent.objects.create(shipment=shipment, to_state=ShipmentState.PREPARING)
    return shipment


@transaction.atomic
def shipment_move(
    *,
    shipment: Shipment,
    to_state: ShipmentState,
    actor: User | None,
    carrier: str = "",
    tracking_number: str = "",
    note: str = "",
) -> Shipment:
    """Move a shipment, read under its row lock, if SHIPMENT_TRANSITIONS allows it; shipping
    needs a carrier and its tracking number. The requester is e-mailed at SHIPPED and
    DELIVERED; a delivery runs its request's DELIVERY_HANDLERS entry in this transaction."""
    locked = Shipment.objects.select_for_update().select_related("request").get(pk=shipment.pk)
    if to_state not in SHIPMENT_TRANSITIONS[ShipmentState(locked.state)]:
        raise ShipmentRefused(
            _("La spedizione è «%(state)s»: non può passare a «%(target)s».")
            % {"state": locked.get_state_display(), "target": to_state.label}
        )
    if to_state == ShipmentState.SHIPPED:
        if carrier not in Carrier.values or not tracking_number:
            raise ShipmentRefused(_("Per spedire indica il corriere e il numero di spedizione."))
        locked.carrier = carrier
        locked.tracking_number = tracking_number
    from_state = locked.state
    locked.state = to_state
    locked.save()
    ShipmentEvent.objects.create(
        shipment=locked, from_state=from_state, to_state=to_state, actor=actor, note=note
    )
    request = locked.request
    if to_state == ShipmentState.DELIVERED:
        handler = DELIVERY_HANDLERS.get(RequestKind(request.kind))
        if handler is not None:
            handler(locked)
    if to_state in (ShipmentState.SHIPPED, ShipmentState.DELIVERED):
        _notify(locked)
    return locked


def _notify(shipment: Shipment) -> None:
    requester = shipment.request.requester
    if requester is None or not requester.email:
        return
    context: dict[str, Any] = {"shipment": shipment, "request": shipment.request}
    send_templated_email("tracking/email/shipment_update", context, [requester.email])
