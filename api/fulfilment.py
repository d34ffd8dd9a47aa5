"""What the API says of an order's SIMs, their portability and the request's shipments, and
how an order's completion data from another channel joins the request. Read by
`api.requests.serialize` and the transition views; the views of orders, portability and
shipments are `api.orders` and `api.shipments`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import transaction

from accounts.models import Line, Sim
from accounts.validators import validate_iccid
from core.italy import validate_phone_number
from lines.models import PORT_IN_TRANSITIONS, OrderedSim, PortInState, SimOrder
from tracking.models import (
    APPROVAL_STATES,
    SHIPMENT_TRANSITIONS,
    TRANSITIONS,
    Request,
    RequestKind,
    RequestState,
    Shipment,
    ShipmentState,
)
from tracking.services import DetailsConflict, request_transition

validate_puk = RegexValidator(r"^\d{8}$", "A PUK is 8 digits.")
# What a channel may add to each SIM of an order it completes.
COMPLETION_SIM_FIELDS = ("iccid", "puk", "number")


class CompletionDataInvalid(ValueError):
    """Completion data a client sent that cannot be right, at `field` (a path in the body)."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


def storable(value: str) -> bool:
    """Whether the database can hold the text: PostgreSQL refuses NUL characters, and JSON
    may carry lone surrogates that UTF-8 cannot encode."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def allowed_states(request: Request) -> list[str]:
    """Where another channel may move the request: nowhere while the company's approvers
    decide (tracking.approvals moves it from there, never a channel)."""
    if request.state in APPROVAL_STATES:
        return []
    return sorted(TRANSITIONS[RequestState(request.state)])


def order_of(request: Request) -> SimOrder | None:
    if request.kind != RequestKind.EXPANSION:
        return None
    return (
        SimOrder.objects.select_related("contract", "plan")
        .prefetch_related("sims__assignee", "sims__line", "sims__events")
        .filter(request=request)
        .first()
    )


def serialize_order(request: Request) -> dict[str, Any] | None:
    order = order_of(request)
    if order is None:
        return None
    physical = order.sim_kind == Sim.Kind.PHYSICAL
    return {
        "contract": order.contract.number,
        "plan": order.plan.code,
        "plan_name": order.plan.name,
        "sim_kind": order.sim_kind,
        "quantity": order.quantity,
        "delivery": {
            "recipient": order.recipient,
            "street": order.street,
            "postal_code": order.postal_code,
            "city": order.city,
            "province": order.province,
            "contact_phone": order.contact_phone,
        }
        if physical
        else None,
        "esim_email": None if physical else order.esim_email,
        "sims": [_serialize_sim(sim) for sim in order.sims.all()],
    }


def _serialize_sim(sim: OrderedSim) -> dict[str, Any]:
    return {
        "position": sim.position,
        "assignee": sim.assignee.username if sim.assignee else None,
        # The line the order's completion gave this SIM, once completed.
        "number": sim.line.number if sim.line else None,
        "port_in": {
            "number": sim.port_number,
            "donor": sim.port_donor,
            "state": sim.port_state,
            "allowed_states": sorted(PORT_IN_TRANSITIONS[PortInState(sim.port_state)]),
            "cutover_date": sim.port_cutover_date.isoformat() if sim.port_cutover_date else None,
            "refusal_reason": sim.port_refusal_reason or None,
            "history": [
                {
                    "from": event.from_state or None,
                    "to": event.to_state,
                    "at": event.at.isoformat(),
                    "note": event.note,
                }
                for event in sim.events.all()
            ],
        }
        if sim.ports_in
        else None,
    }


def serialize_shipments(request: Request) -> list[dict[str, Any]]:
    shipments = Shipment.objects.filter(request=request).prefetch_related("events")
    return [
        {
            "id": shipment.pk,
            "state": shipment.state,
            "allowed_states": sorted(SHIPMENT_TRANSITIONS[ShipmentState(shipment.state)]),
            "carrier": shipment.carrier or None,
            "tracking_number": shipment.tracking_number or None,
            "address": {
                "recipient": shipment.recipient,
                "street": shipment.street,
                "postal_code": shipment.postal_code,
                "city": shipment.city,
                "province": shipment.province,
            },
            "history": [
                {
                    "from": event.from_state or None,
                    "to": event.to_state,
                    "at": event.at.isoformat(),
                    "note": event.note,
                }
                for event in shipment.events.all()
            ],
        }
        for shipment in shipments
    ]


def completion_replayed(
    request: Request, to_state: RequestState, details: dict[str, Any] | None
) -> bool:
    """A completion sent again (a client retrying after a lost answer): the request is
    already COMPLETED and the details say nothing it does not already say. The API answers
    it as done (200) instead of 409, and nothing happens twice."""
    if request.state != RequestState.COMPLETED or to_state != RequestState.COMPLETED:
        return False
    if not details:
        return True
    try:
        sims = _merged_sims(request, details["sims"]) if _orders_sims(request, details) else None
    except (CompletionDataInvalid, DetailsConflict):
        return False
    return all(
        request.details.get(key) == (sims if key == "sims" else value)
        for key, value in details.items()
    )


@transaction.atomic
def request_move(
    *,
    request: Request,
    to_state: RequestState,
    note: str,
    details: dict[str, Any] | None,
) -> Request:
    """`request_transition` for a client system (details add, never change). An order's
    completion may carry `sims`: [{position, iccid, puk, number}], which join the order's
    own entry for each SIM (read by lines.orders' completion) instead of replacing the list;
    a value a SIM already has is never changed (DetailsConflict, `sims[i].key`)."""
    if details and to_state == RequestState.COMPLETED and _orders_sims(request, details):
        locked = Request.objects.select_for_update().get(pk=request.pk)
        details = dict(details)
        locked.details = {**locked.details, "sims": _merged_sims(locked, details.pop("sims"))}
        locked.save(update_fields=["details", "updated_at"])
        request = locked
    return request_transition(
        request=request,
        to_state=to_state,
        actor=None,
        note=note,
        details=details or None,
        details_add_only=True,
    )


def _orders_sims(request: Request, details: dict[str, Any]) -> bool:
    return request.kind == RequestKind.EXPANSION and "sims" in details


def _merged_sims(request: Request, sent: object) -> list[dict[str, Any]]:
    """The order's SIM entries with what the client adds to each, checked: known positions,
    each once; a valid ICCID, PUK and number that no other SIM or line has, nor another SIM
    of the order; no number for a SIM whose own number was ported (its line keeps it)."""
    if not isinstance(sent, list):
        raise CompletionDataInvalid("details.sims", "Must be a list of objects.")
    port_states = dict(
        OrderedSim.objects.filter(order__request=request).values_list("position", "port_state")
    )
    positions = set(port_states)
    stored = request.details.get("sims")
    entries: dict[int, dict[str, Any]] = {
        entry["position"]: dict(entry)
        for entry in (stored if isinstance(stored, list) else [])
        if isinstance(entry, dict) and isinstance(entry.get("position"), int)
    }
    conflicts: list[str] = []
    seen: set[int] = set()
    for index, item in enumerate(sent):
        path = f"details.sims[{index}]"
        if not isinstance(item, dict):
            raise CompletionDataInvalid(path, "Must be an object.")
        position = item.get("position")
        if type(position) is not int or position not in positions or position in seen:
            raise CompletionDataInvalid(
                f"{path}.position", "Must be the position of one of the order's SIMs, once."
            )
        seen.add(position)
        entry = entries.setdefault(position, {"position": position})
        for key, value in item.items():
            if key == "position":
                continue
            if key not in COMPLETION_SIM_FIELDS:
                raise CompletionDataInvalid(
                    f"{path}.{key}", f"Unknown: send {', '.join(COMPLETION_SIM_FIELDS)}."
                )
            if key == "number" and port_states[position] == PortInState.DONE:
                raise CompletionDataInvalid(
                    f"{path}.number", "The SIM keeps the number ported to it: send none."
                )
            if key in ("iccid", "number") and any(
                other.get(key) == value
                for other_position, other in entries.items()
                if other_position != position
            ):
                raise CompletionDataInvalid(
                    f"{path}.{key}", "Another SIM of the order has this value."
                )
            if key in entry and entry[key] != value:
                conflicts.append(f"sims[{index}].{key}")
                continue
            if key not in entry:
                _check_sim_value(f"{path}.{key}", key, value)
            entry[key] = value
        if not (entry.get("iccid") and entry.get("puk")):
            raise CompletionDataInvalid(path, "Each SIM needs its iccid and puk.")
    if conflicts:
        raise DetailsConflict(request, conflicts)
    return [entries[position] for position in sorted(entries)]


def _check_sim_value(path: str, key: str, value: object) -> None:
    if not isinstance(value, str):
        raise CompletionDataInvalid(path, "Must be a string.")
    validator: dict[str, Callable[[str], None]] = {
        "iccid": validate_iccid,
        "puk": validate_puk,
        "number": validate_phone_number,
    }
    try:
        validator[key](value)
    except ValidationError as error:
        raise CompletionDataInvalid(path, " ".join(error.messages)) from None
    if key == "iccid" and Sim.objects.filter(iccid=value).exists():
        raise CompletionDataInvalid(path, "Another SIM has this ICCID.")
    if key == "number" and Line.objects.filter(number=value).exists():
        raise CompletionDataInvalid(path, "Another line has this number.")
