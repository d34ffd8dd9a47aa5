"""Shipments of physical SIMs moved by the channel that works the request (a courier's
updates relayed by a shop's or an agent's system), through the API."""

from __future__ import annotations

import re

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from api.auth import api_client, api_error, client_of
from api.fulfilment import storable
from api.models import ApiScope
from api.payloads import json_object
from api.requests import _get, serialize
from core.exceptions import ActionRefused
from tracking.models import SHIPMENT_TRANSITIONS, Carrier, Shipment, ShipmentState
from tracking.services import CompletionRefused, InvalidTransition
from tracking.shipments import TRACKING_NUMBER_PATTERN, ShipmentRefused, shipment_move

NOT_MOVED = "The shipment was not moved."
FIELDS = {"state": 10, "carrier": 10, "tracking_number": 40, "note": 1000}


@api_client(ApiScope.REQUESTS_WRITE)
@require_POST
def shipment_transition_view(
    request: HttpRequest, reference: str, shipment_id: str
) -> JsonResponse:
    """Move a shipment along SHIPMENT_TRANSITIONS: SHIPPED (with the carrier and its
    tracking number), then DELIVERED or RETURNED. A delivery may complete the request (a
    SIM change: the new SIM works)."""
    client = client_of(request)
    tracked = _get(reference, client)
    if tracked is None:
        return api_error(404, "No request has this reference.")
    # The path takes any text, so a malformed id is a JSON 404 like an unknown one.
    shipment = (
        Shipment.objects.filter(request=tracked, pk=int(shipment_id)).first()
        if shipment_id.isascii() and shipment_id.isdigit() and len(shipment_id) < 10
        else None
    )
    if shipment is None:
        return api_error(404, "The request has no shipment with this id.")
    if not client.opens_for(tracked.channel):
        # As for the request itself: the customer's own (WEB) are the back office's alone.
        return api_error(
            403,
            "This token may not move requests of this channel.",
            field="channel",
            detail=f"Allowed: {', '.join(client.channels) or 'none'}.",
        )
    payload = json_object(request)
    if isinstance(payload, JsonResponse):
        return payload
    data: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name, max_length in FIELDS.items():
        value = payload.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[name] = ["Must be a string."]
        elif not storable(value):
            errors[name] = ["Contains characters that are not text."]
        elif len(value) > max_length:
            errors[name] = [f"At most {max_length} characters."]
        else:
            data[name] = value.strip()
    if "state" not in errors and data.get("state") not in ShipmentState.values:
        errors["state"] = [f"One of {', '.join(ShipmentState.values)}."]
    if data.get("carrier") and data["carrier"] not in Carrier.values:
        errors["carrier"] = [f"One of {', '.join(Carrier.values)}."]
    if data.get("tracking_number") and not re.fullmatch(
        TRACKING_NUMBER_PATTERN, data["tracking_number"]
    ):
        errors["tracking_number"] = ["6 to 40 capital letters and digits."]
    if errors:
        field, found = next(iter(errors.items()))
        return api_error(400, NOT_MOVED, field=field, detail=found[0], errors=errors)
    state = ShipmentState(data["state"])
    allowed = sorted(SHIPMENT_TRANSITIONS[ShipmentState(shipment.state)])
    if state not in allowed:
        return api_error(
            409, f"A shipment in state {shipment.state} cannot move to {state}.",
            allowed_states=allowed,
        )  # fmt: skip
    if state == ShipmentState.SHIPPED and not (data["carrier"] and data["tracking_number"]):
        field = "carrier" if not data["carrier"] else "tracking_number"
        reason = "Shipping needs the carrier and its tracking number."
        return api_error(422, NOT_MOVED, field=field, detail=reason, errors={field: [reason]})
    try:
        shipment_move(
            shipment=shipment,
            to_state=state,
            actor=None,
            carrier=data["carrier"],
            tracking_number=data["tracking_number"],
            note=data["note"],
        )
    except ShipmentRefused as refusal:  # moved meanwhile by someone else
        shipment.refresh_from_db()
        return api_error(
            409, str(refusal),
            allowed_states=sorted(SHIPMENT_TRANSITIONS[ShipmentState(shipment.state)]),
        )  # fmt: skip
    except InvalidTransition as refusal:
        # What the delivery completes (a SIM change) cannot move: nothing moved.
        return api_error(
            409, f"The delivery would complete a request in state {refusal.request.state}."
        )
    except (CompletionRefused, ActionRefused) as refusal:
        return api_error(422, NOT_MOVED, detail=str(refusal))
    return JsonResponse(serialize(_get(tracked.reference, client) or tracked))
