"""Orders of new SIMs from other channels (a shop, an agent), and the portability of the
numbers they bring, through the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from accounts.models import Company, Contract, Sim, User
from accounts.validators import validate_province as validate_province_code
from api.auth import api_client, api_error, client_of
from api.fulfilment import storable
from api.models import API_CHANNELS, ApiClient, ApiScope
from api.payloads import json_object
from api.requests import (
    _existing,
    _external_id_refused,
    _external_id_taken,
    _get,
    serialize,
)
from core.exceptions import ActionRefused
from core.italy import phone_number_e164, validate_cap, validate_municipality
from lines.models import (
    MAX_ORDER_QUANTITY,
    PORT_IN_TRANSITIONS,
    OrderedSim,
    Plan,
    PortInState,
)
from lines.order_forms import validate_port_in
from lines.orders import DeliveryData, OrderedSimData, PortInData, order_create
from lines.portability import PortInRefused, port_in_move
from tracking.models import APPROVAL_STATES, OPEN_STATES, Channel, Request, RequestKind

NOT_CREATED = "The order was not created."
DELIVERY_FIELDS = ("recipient", "street", "postal_code", "city", "province", "contact_phone")
PORT_IN_FIELDS = ("number", "donor", "iccid", "holder_tax_code")
Errors = dict[str, list[str]]


def _text(
    payload: dict[str, Any],
    key: str,
    path: str,
    errors: Errors,
    *,
    max_length: int,
    required: bool = True,
    validator: Callable[[str], object] | None = None,
) -> str:
    """The payload's string at `key`, trimmed and checked; an error at `path` otherwise."""
    value = payload.get(key)
    if value is None or value == "":
        if required:
            errors[path] = ["Required."]
        return ""
    if not isinstance(value, str):
        errors[path] = ["Must be a string."]
        return ""
    value = value.strip()
    if not storable(value):
        errors[path] = ["Contains characters that are not text."]
        return ""
    if len(value) > max_length:
        errors[path] = [f"At most {max_length} characters."]
        return ""
    if validator is not None:
        try:
            checked = validator(value)
        except ValidationError as error:
            errors[path] = list(error.messages)
            return ""
        if isinstance(checked, str):
            value = checked  # a normalizing validator: a phone number in E.164
    return value


def _object(payload: dict[str, Any], key: str, path: str, errors: Errors) -> dict[str, Any] | None:
    value = payload.get(key)
    if value is not None and not isinstance(value, dict):
        errors[path] = ["Must be an object or null."]
        return None
    return value


def _delivery(payload: dict[str, Any], errors: Errors) -> DeliveryData | None:
    address = _object(payload, "delivery", "delivery", errors)
    if address is None:
        return None
    fields = {
        "recipient": _text(address, "recipient", "delivery.recipient", errors, max_length=200),
        "street": _text(address, "street", "delivery.street", errors, max_length=200),
        "postal_code": _text(
            address, "postal_code", "delivery.postal_code", errors, max_length=5,
            validator=validate_cap,
        ),
        "city": _text(
            address, "city", "delivery.city", errors, max_length=100,
            validator=validate_municipality,
        ),
        "province": _text(
            address, "province", "delivery.province", errors, max_length=2,
            validator=validate_province_code,
        ),
        "contact_phone": _text(
            address, "contact_phone", "delivery.contact_phone", errors, max_length=30,
            validator=phone_number_e164,
        ),
    }  # fmt: skip
    return DeliveryData(**fields)


def _port_in(item: dict[str, Any], path: str, errors: Errors) -> PortInData | None:
    """The SIM's portability, checked by the web form's own rules (lines.order_forms)."""
    port_in = _object(item, "port_in", f"{path}.port_in", errors)
    if port_in is None:
        return None
    path = f"{path}.port_in"
    found = len(errors)
    values = {
        name: _text(port_in, name, f"{path}.{name}", errors, max_length=30, required=False)
        for name in PORT_IN_FIELDS
    }
    if len(errors) > found:
        return None
    try:
        return validate_port_in(values)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors[f"{path}.{name}"] = messages
        return None


def _sims(payload: dict[str, Any], company: Company | None, errors: Errors) -> list[OrderedSimData]:
    sims = payload.get("sims")
    if not isinstance(sims, list) or not 1 <= len(sims) <= MAX_ORDER_QUANTITY:
        errors["sims"] = [f"A list of 1 to {MAX_ORDER_QUANTITY} SIMs."]
        return []
    found: list[OrderedSimData] = []
    for index, item in enumerate(sims):
        path = f"sims[{index}]"
        if not isinstance(item, dict):
            errors[path] = ["Must be an object."]
            continue
        username = _text(
            item, "assignee", f"{path}.assignee", errors, max_length=150, required=False
        )
        assignee = None
        if username and company is not None:
            assignee = User.objects.filter(
                username=username, company=company, is_active=True
            ).first()
            if assignee is None:
                errors[f"{path}.assignee"] = ["The customer has no active person with this name."]
        found.append(OrderedSimData(assignee=assignee, port_in=_port_in(item, path, errors)))
    return found


def _order_errors(errors: Errors) -> JsonResponse:
    field, found = next(iter(errors.items()))
    return api_error(400, NOT_CREATED, field=field, detail=found[0], errors=errors)


@api_client(ApiScope.REQUESTS_WRITE)
@require_POST
def order_create_view(request: HttpRequest) -> JsonResponse:
    """Order new SIMs for a customer: the request (kind EXPANSION) with its `order`. Sent
    again with the same `external_id`, the order it opened the first time (200)."""
    payload = json_object(request)
    if isinstance(payload, JsonResponse):
        return payload
    client = client_of(request)
    errors: Errors = {}
    code = _text(payload, "customer_code", "customer_code", errors, max_length=20)
    company = client.customers().filter(customer_code=code).first() if code else None
    if code and company is None:
        # A customer the client does not act for is, to it, no customer at all.
        errors["customer_code"] = ["No customer has this code."]
    channel = _text(payload, "channel", "channel", errors, max_length=10, validator=_channel)
    external_id = _text(
        payload, "external_id", "external_id", errors, max_length=64, required=False
    )
    if channel and "channel" not in errors and not client.opens_for(channel):
        return api_error(
            403,
            "This token may not open requests for this channel.",
            field="channel",
            detail=f"Allowed: {', '.join(client.channels) or 'none'}.",
        )
    if channel and external_id and "customer_code" not in errors:
        existing = _existing(channel, external_id, client)
        if existing is not None:
            return _replayed(existing, company)
        if _external_id_taken(channel, external_id, client):
            return _external_id_refused()
    requester = _person(payload, company, errors)
    contract_number = _text(payload, "contract", "contract", errors, max_length=20)
    contract = None
    if contract_number and company is not None:
        contract = Contract.objects.filter(number=contract_number, company=company).first()
        if contract is None or contract.kind != Contract.Kind.MOBILE:
            errors["contract"] = ["The customer has no mobile contract with this number."]
    plan_code = _text(payload, "plan", "plan", errors, max_length=30)
    plan = Plan.objects.filter(code=plan_code).first() if plan_code else None
    if plan_code and (
        plan is None
        or not plan.is_active
        or (company is not None and company.segment not in plan.segments)
    ):
        errors["plan"] = ["No plan in the catalogue for this customer has this code."]
    sim_kind = _text(payload, "sim_kind", "sim_kind", errors, max_length=8, validator=_sim_kind)
    sims = _sims(payload, company, errors)
    delivery = _delivery(payload, errors)
    esim_email = _text(
        payload, "esim_email", "esim_email", errors, max_length=254, required=False,
        validator=EmailValidator("Not a valid e-mail address."),
    )  # fmt: skip
    if sim_kind == Sim.Kind.PHYSICAL and esim_email:
        errors["esim_email"] = ["Physical SIMs are shipped to the delivery address: no e-mail."]
    if sim_kind == Sim.Kind.PHYSICAL and payload.get("delivery") is None:
        errors["delivery"] = ["Required for physical SIMs."]
    if sim_kind == Sim.Kind.ESIM and payload.get("delivery") is not None:
        errors["delivery"] = ["eSIMs arrive by e-mail: no delivery address."]
    if sim_kind == Sim.Kind.ESIM and not esim_email and "esim_email" not in errors:
        errors["esim_email"] = ["Required for eSIMs."]
    if errors:
        return _order_errors(errors)
    assert company is not None and contract is not None and plan is not None
    try:
        tracked = order_create(
            company=company,
            requester=requester,
            contract=contract,
            plan=plan,
            sim_kind=sim_kind,
            sims=sims,
            delivery=delivery if sim_kind == Sim.Kind.PHYSICAL else None,
            esim_email=esim_email,
            channel=Channel(channel),
            external_id=external_id,
        )
    except ActionRefused as refusal:
        return api_error(422, NOT_CREATED, detail=str(refusal))
    except IntegrityError:  # the same external_id, sent twice at once
        existing = _existing(channel, external_id, client)
        if existing is None:
            raise
        return _replayed(existing, company)
    return JsonResponse(serialize(_get(tracked.reference, client) or tracked), status=201)


def _replayed(existing: Request, company: Company | None) -> JsonResponse:
    """The order this `external_id` opened, sent again: answered as it is. The identifier
    of another kind of request, or of another customer's, is no replay: refused."""
    same_company = company is not None and existing.company_id == company.pk
    if existing.kind == RequestKind.EXPANSION and same_company:
        return JsonResponse(serialize(existing), status=200)
    return _external_id_refused()


def _channel(value: str) -> None:
    if value not in (choice for choice, _label in API_CHANNELS):
        raise ValidationError(f"One of {', '.join(choice for choice, _label in API_CHANNELS)}.")


def _sim_kind(value: str) -> None:
    if value not in Sim.Kind.values:
        raise ValidationError(f"One of {', '.join(Sim.Kind.values)}.")


def _person(payload: dict[str, Any], company: Company | None, errors: Errors) -> User | None:
    username = _text(payload, "requester", "requester", errors, max_length=150, required=False)
    if not username or company is None:
        return None
    person = User.objects.filter(username=username, company=company, is_active=True).first()
    if person is None:
        errors["requester"] = ["The customer has no active person with this username."]
    return person


# --- Portability ---------------------------------------------------------------------------


@api_client(ApiScope.REQUESTS_WRITE)
@require_POST
def port_in_transition_view(request: HttpRequest, reference: str, position: str) -> JsonResponse:
    """Move the portability of one SIM of an order: ACCEPTED, SCHEDULED (with the
    cut-over date), DONE or REFUSED (with the reason), along PORT_IN_TRANSITIONS."""
    client = client_of(request)
    tracked = _get(reference, client)
    if tracked is None:
        return api_error(404, "No request has this reference.")
    # The path takes any text, so a malformed position is a JSON 404 like an unknown one.
    ordered = (
        OrderedSim.objects.filter(order__request=tracked, position=int(position))
        .exclude(port_number="")
        .first()
        if position.isascii() and position.isdigit() and len(position) < 5
        else None
    )
    if ordered is None:
        return api_error(404, "The order has no SIM at this position that keeps its number.")
    refused = _not_movable(client, tracked)
    if refused is not None:
        return refused
    payload = json_object(request)
    if isinstance(payload, JsonResponse):
        return payload
    errors: Errors = {}
    state = _text(payload, "state", "state", errors, max_length=10, validator=_port_state)
    cutover = _text(
        payload, "cutover_date", "cutover_date", errors, max_length=10, required=False,
        validator=_iso_date,
    )  # fmt: skip
    reason = _text(payload, "reason", "reason", errors, max_length=300, required=False)
    if errors:
        field, found = next(iter(errors.items()))
        return api_error(
            400, "The portability was not moved.", field=field, detail=found[0], errors=errors
        )
    allowed = sorted(PORT_IN_TRANSITIONS[PortInState(ordered.port_state)])
    if state not in allowed:
        return api_error(
            409,
            f"A portability in state {ordered.port_state} cannot move to {state}.",
            allowed_states=allowed,
        )
    try:
        port_in_move(
            ordered_sim=ordered,
            to_state=PortInState(state),
            actor=None,
            cutover_date=date.fromisoformat(cutover) if cutover else None,
            reason=reason,
        )
    except PortInRefused as refusal:
        field = "cutover_date" if state == PortInState.SCHEDULED else "reason"
        return api_error(422, "The portability was not moved.", field=field, detail=str(refusal))
    return JsonResponse(serialize(_get(tracked.reference, client) or tracked))


def _not_movable(client: ApiClient, tracked: Request) -> JsonResponse | None:
    """Why the client may not move what belongs to the request, if it may not: another
    channel's (the customer's own, WEB, are the back office's alone), waiting for the
    company's approvers, or closed."""
    if not client.opens_for(tracked.channel):
        return api_error(
            403,
            "This token may not move requests of this channel.",
            field="channel",
            detail=f"Allowed: {', '.join(client.channels) or 'none'}.",
        )
    if tracked.state in APPROVAL_STATES or tracked.state not in OPEN_STATES:
        return api_error(
            409,
            f"The request is {tracked.state}: what it asks cannot move now.",
            allowed_states=[],
        )
    return None


def _port_state(value: str) -> None:
    if value not in PortInState.values:
        raise ValidationError(f"One of {', '.join(PortInState.values)}.")


def _iso_date(value: str) -> None:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValidationError("A date as YYYY-MM-DD.") from None
    if len(value) != 10:
        raise ValidationError("A date as YYYY-MM-DD.")
