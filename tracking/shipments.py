"""Physical SIMs on their way: a request whose details name a `delivery` (a new
order, a SIM change) gets a shipment when the back office takes it; the back office and
the API move it along SHIPMENT_TRANSITIONS; the requester hears of "shipped" and
"delivered"; what a delivery completes is the section's (`on_delivery`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Sim, User
from accounts.validators import validate_iccid
from core.exceptions import ActionRefused
from core.mail import send_templated_email
from tracking.models import (
    OPEN_STATES,
    SHIPMENT_TRANSITIONS,
    Carrier,
    Request,
    RequestKind,
    RequestState,
    Shipment,
    ShipmentEvent,
    ShipmentState,
)

DeliveryHandler = Callable[[Shipment], None]
# What a delivery does for a kind of request (a SIM change completes: the new SIM works),
# registered by the section that owns the kind; it runs in the delivery's transaction,
# with the request (shipment.request) read under its row lock.
DELIVERY_HANDLERS: dict[RequestKind, DeliveryHandler] = {}

TRACKING_NUMBER_PATTERN = r"^[A-Z0-9]{6,40}$"
# Still on its way: neither arrived nor come back.
OPEN_SHIPMENT_STATES = frozenset({ShipmentState.PREPARING, ShipmentState.SHIPPED})
PUK_PATTERN = r"^\d{8}$"

# The card in the envelope: shipping a SIM change names it, so that the delivery can
# activate it (lines.services._apply_sim_change reads these keys).
SHIPPING_DETAILS: dict[RequestKind, tuple[str, ...]] = {
    RequestKind.SIM_CHANGE: ("new_iccid", "new_puk"),
}


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
    """The request's current shipment, created (PREPARING) from its `delivery` if it has
    none or only returned ones (a returned envelope is followed by a new one). Called
    under the request's row lock (tracking.services._move, shipment_restart)."""
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
def shipment_restart(*, request: Request) -> Shipment:
    """After a return, a new shipment to the request's address: only while the back office
    works the request and its last shipment came back."""
    locked = Request.objects.select_for_update().get(pk=request.pk)
    last = locked.shipments.order_by("-id").first()
    if not ships(locked) or last is None or last.state != ShipmentState.RETURNED:
        raise ShipmentRefused(_("Si prepara una nuova spedizione solo dopo un reso."))
    if locked.state != RequestState.IN_PROGRESS:
        raise ShipmentRefused(
            _("La richiesta è «%(state)s»: una nuova spedizione serve solo se è in lavorazione.")
            % {"state": locked.get_state_display()}
        )
    return shipment_open_for(locked)


@transaction.atomic
def shipment_move(
    *,
    shipment: Shipment,
    to_state: ShipmentState,
    actor: User | None,
    carrier: str = "",
    tracking_number: str = "",
    note: str = "",
    details: dict[str, str] | None = None,
) -> Shipment:
    """Move a shipment if SHIPMENT_TRANSITIONS allows it from its state read under lock
    (the request's row first, then the shipment's: the order tracking.services keeps, so
    two operators, or an operator and the API, serialise). Shipping needs a carrier and
    its tracking number (upper-cased), and for the kinds in SHIPPING_DETAILS the card's
    data (`details`), which join the request's details but never change a value already
    there. The requester is e-mailed at SHIPPED and DELIVERED; a delivery runs its
    request's DELIVERY_HANDLERS entry in this transaction."""
    request = Request.objects.select_for_update().get(pk=shipment.request_id)
    locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
    locked.request = request
    if to_state not in SHIPMENT_TRANSITIONS[ShipmentState(locked.state)]:
        raise ShipmentRefused(
            _("La spedizione è «%(state)s»: non può passare a «%(target)s».")
            % {"state": locked.get_state_display(), "target": to_state.label}
        )
    if to_state == ShipmentState.SHIPPED:
        _ship(locked, carrier=carrier, tracking_number=tracking_number, details=details or {})
    from_state = locked.state
    locked.state = to_state
    locked.save()
    ShipmentEvent.objects.create(
        shipment=locked, from_state=from_state, to_state=to_state, actor=actor, note=note.strip()
    )
    if to_state == ShipmentState.DELIVERED:
        handler = DELIVERY_HANDLERS.get(RequestKind(request.kind))
        if handler is not None:
            handler(locked)
    if to_state in (ShipmentState.SHIPPED, ShipmentState.DELIVERED):
        _notify(locked)
    return locked


def _ship(
    shipment: Shipment, *, carrier: str, tracking_number: str, details: dict[str, str]
) -> None:
    """Check and record what shipping needs on `shipment` and its (locked) request."""
    request = shipment.request
    if not request.is_open:
        raise ShipmentRefused(
            _("La richiesta è «%(state)s»: non si spedisce più nulla.")
            % {"state": request.get_state_display()}
        )
    number = tracking_number.strip().upper()
    if carrier not in Carrier.values or not re.fullmatch(TRACKING_NUMBER_PATTERN, number):
        raise ShipmentRefused(
            _(
                "Per spedire indica il corriere e il numero di spedizione (da 6 a 40 lettere "
                "o cifre)."
            )
        )
    shipment.carrier = carrier
    shipment.tracking_number = number
    needed = SHIPPING_DETAILS.get(RequestKind(request.kind), ())
    if not needed:
        return
    card = {key: str(details.get(key) or request.details.get(key) or "").strip() for key in needed}
    if not all(card.values()):
        raise ShipmentRefused(_("Per spedire la nuova SIM indica il suo ICCID e il suo PUK."))
    changed = [key for key in needed if request.details.get(key) not in (None, "", card[key])]
    if changed:
        raise ShipmentRefused(
            _(
                "La richiesta indica già un'altra SIM (ICCID %(iccid)s): si spedisce quella, "
                "o si annulla la richiesta e se ne apre un'altra."
            )
            % {"iccid": request.details.get("new_iccid", "")}
        )
    errors = card_errors(card, request=request)
    if errors:
        raise ShipmentRefused(" ".join(errors.values()))
    request.details = {**request.details, **card}
    request.save(update_fields=["details", "updated_at"])


def card_errors(card: dict[str, str], *, request: Request) -> dict[str, str]:
    """What is wrong with the new card's data, by field (empty when nothing): a valid ICCID
    that no SIM has yet nor another open request names, an 8-digit PUK. The one rule for
    shipping and for the back office's completion form (backoffice.forms)."""
    errors: dict[str, str] = {}
    iccid = card.get("new_iccid", "")
    try:
        validate_iccid(iccid)
    except ValidationError as error:
        errors["new_iccid"] = " ".join(error.messages)
    else:
        if Sim.objects.filter(iccid=iccid).exists():
            errors["new_iccid"] = _("Questo ICCID appartiene già a un'altra SIM.")
        elif (
            Request.objects.filter(state__in=OPEN_STATES, details__new_iccid=iccid)
            .exclude(pk=request.pk)
            .exists()
        ):
            errors["new_iccid"] = _("Questo ICCID è già indicato in un'altra richiesta aperta.")
    if not re.fullmatch(PUK_PATTERN, card.get("new_puk", "")):
        errors["new_puk"] = _("Il PUK è formato da 8 cifre.")
    return errors


def delivery_pending(request: Request) -> bool:
    """Whether the request's delivery, still to come, is what completes it."""
    return (
        RequestKind(request.kind) in DELIVERY_HANDLERS
        and request.shipments.filter(state__in=OPEN_SHIPMENT_STATES).exists()
    )


def shipments_follow(locked: Request, to_state: RequestState) -> None:
    """Keep the request's shipments true to its move (tracking.services._move, under the
    request's row lock). A kind that its delivery completes (DELIVERY_HANDLERS) completes
    only by the delivery while a shipment is on its way: completing it by hand would leave
    the envelope with no way on, the card in it unactivated. A request is not rejected or
    cancelled while its SIM travels (the delivery or the return comes first); a shipment
    still in preparation of a request rejected or cancelled is dropped, as nothing left."""
    if to_state == RequestState.COMPLETED:
        if delivery_pending(locked):
            raise ShipmentRefused(
                _(
                    "La richiesta ha una spedizione in corso: si completa da sola quando "
                    "registri la consegna."
                )
            )
    elif to_state in (RequestState.REJECTED, RequestState.CANCELLED):
        travelling = locked.shipments.filter(state__in=OPEN_SHIPMENT_STATES)
        if travelling.filter(state=ShipmentState.SHIPPED).exists():
            raise ShipmentRefused(
                _("La SIM è già partita: registra prima la consegna o il reso della spedizione.")
            )
        travelling.filter(state=ShipmentState.PREPARING).delete()


def _notify(shipment: Shipment) -> None:
    """The requester hears where their SIM is, with the link to the request's page in
    «Le mie richieste» (every profile may open it)."""
    request = shipment.request
    requester = request.requester
    if requester is None or not requester.email:
        return
    context: dict[str, Any] = {
        "shipment": shipment,
        "request": request,
        "person": requester,
        "link": settings.SITE_URL + reverse("support:request-detail", args=[request.reference]),
    }
    send_templated_email("tracking/email/shipment_update", context, [requester.email])
