"""Tracked requests through the API: other channels open them and move them along."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import DataError, IntegrityError
from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Company, Line, User
from api.auth import api_client, api_error, client_of
from api.fulfilment import (
    CompletionDataInvalid,
    allowed_states,
    completion_replayed,
    request_move,
    serialize_order,
    serialize_shipments,
)
from api.models import API_CHANNELS, ApiClient, ApiScope
from api.payloads import json_object
from tracking.models import Channel, Request, RequestKind, RequestState
from tracking.services import (
    CompletionRefused,
    DetailsConflict,
    InvalidTransition,
    request_create,
)


class RequestCreateForm(forms.Form):
    customer_code = forms.CharField(max_length=20)
    kind = forms.ChoiceField(choices=RequestKind.choices)
    channel = forms.ChoiceField(choices=API_CHANNELS)
    summary = forms.CharField(max_length=200)
    line = forms.CharField(max_length=16, required=False)
    requester = forms.CharField(max_length=150, required=False)
    external_id = forms.CharField(max_length=64, required=False)

    def __init__(self, *args: Any, companies: QuerySet[Company], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.companies = companies

    def clean_customer_code(self) -> Company:
        # A customer the client does not act for is, to it, no customer at all.
        company = self.companies.filter(customer_code=self.cleaned_data["customer_code"]).first()
        if company is None:
            raise forms.ValidationError("No customer has this code.")
        return company

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        company = data.get("customer_code")
        if not isinstance(company, Company):
            return data
        if data.get("line"):
            line = Line.objects.filter(number=data["line"], contract__company=company).first()
            if line is None:
                self.add_error("line", "The customer has no line with this number.")
            data["line"] = line
        if data.get("requester"):
            person = User.objects.filter(username=data["requester"], company=company).first()
            if person is None:
                self.add_error("requester", "The customer has no person with this username.")
            data["requester"] = person
        return data


class TransitionPayloadForm(forms.Form):
    state = forms.ChoiceField(choices=RequestState.choices)
    note = forms.CharField(max_length=1000, required=False)


def _strings(
    payload: dict[str, Any], form_class: type[forms.Form]
) -> dict[str, str] | JsonResponse:
    """The payload's values for the form's fields, which must all be strings."""
    data: dict[str, str] = {}
    for name in form_class.base_fields:
        value = payload.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            return api_error(400, "Invalid payload.", field=name, detail="Must be a string.")
        data[name] = value
    return data


def _form_error(form: forms.Form, message: str) -> JsonResponse:
    errors = {field: [str(error) for error in found] for field, found in form.errors.items()}
    field, found = next(iter(errors.items()))
    return api_error(400, message, field=field, detail=found[0], errors=errors)


def serialize(tracked: Request) -> dict[str, Any]:
    return {
        "reference": tracked.reference,
        "customer_code": tracked.company.customer_code,
        "kind": tracked.kind,
        "channel": tracked.channel,
        "state": tracked.state,
        "summary": tracked.summary,
        "line": tracked.line.number if tracked.line else None,
        "requester": tracked.requester.username if tracked.requester else None,
        "external_id": tracked.external_id or None,
        "details": tracked.details,
        "created_at": tracked.created_at.isoformat(),
        "updated_at": tracked.updated_at.isoformat(),
        "allowed_states": allowed_states(tracked),
        "order": serialize_order(tracked),
        "shipments": serialize_shipments(tracked),
        "history": [
            {
                "from": event.from_state or None,
                "to": event.to_state,
                "at": event.at.isoformat(),
                "note": event.note,
                # The customer's answer to a request that waited for them: `note` is
                # their message, `attachments` the files they sent with it.
                "customer_reply": event.is_customer_reply,
                "attachments": [
                    {
                        "name": file.download_name,
                        "content_type": file.content_type,
                        "size": file.size,
                        "sha256": file.sha256,
                    }
                    for file in event.attachments.all()
                ],
            }
            for event in tracked.events.select_related("actor")
            .prefetch_related("attachments")
            .order_by("at", "id")
        ],
    }


def _requests() -> QuerySet[Request]:
    """Requests with what `serialize` reads of them."""
    return Request.objects.select_related("company", "line", "requester")


def _get(reference: str, client: ApiClient) -> Request | None:
    """A request of the client's customers; any other is absent (404) to it."""
    found = _requests().filter(reference=reference)
    if not client.all_companies:
        found = found.filter(company__in=client.customers())
    return found.first()


@api_client(ApiScope.REQUESTS_WRITE)
@require_POST
def request_create_view(request: HttpRequest) -> JsonResponse:
    """Open a request made through another channel; an `external_id` sent again returns the
    request it opened the first time (200 instead of 201)."""
    payload = json_object(request)
    if isinstance(payload, JsonResponse):
        return payload
    details = payload.pop("details", {})
    if not isinstance(details, dict):
        return api_error(
            400, "The request was not created.", field="details", detail="Not an object."
        )
    data = _strings(payload, RequestCreateForm)
    if isinstance(data, JsonResponse):
        return data
    client = client_of(request)
    form = RequestCreateForm(data, companies=client.customers())
    if not form.is_valid():
        return _form_error(form, "The request was not created.")
    cleaned = form.cleaned_data
    if not client.opens_for(cleaned["channel"]):
        return api_error(
            403,
            "This token may not open requests for this channel.",
            field="channel",
            detail=f"Allowed: {', '.join(client.channels) or 'none'}.",
        )
    existing = _existing(cleaned["channel"], cleaned["external_id"], client)
    if existing is not None:
        return JsonResponse(serialize(existing), status=200)
    if _external_id_taken(cleaned["channel"], cleaned["external_id"], client):
        return _external_id_refused()
    try:
        tracked = request_create(
            company=cleaned["customer_code"],
            kind=RequestKind(cleaned["kind"]),
            channel=Channel(cleaned["channel"]),
            summary=cleaned["summary"],
            line=cleaned["line"] or None,
            requester=cleaned["requester"] or None,
            details=details,
            external_id=cleaned["external_id"],
        )
    except IntegrityError:  # the same external_id, sent twice at once
        existing = _existing(cleaned["channel"], cleaned["external_id"], client)
        if existing is None:
            if _external_id_taken(cleaned["channel"], cleaned["external_id"], client):
                return _external_id_refused()
            raise
        return JsonResponse(serialize(existing), status=200)
    return JsonResponse(serialize(tracked), status=201)


def _existing(channel: str, external_id: str, client: ApiClient) -> Request | None:
    if not external_id:
        return None
    return (
        _requests()
        .filter(channel=channel, external_id=external_id, company__in=client.customers())
        .first()
    )


def _external_id_taken(channel: str, external_id: str, client: ApiClient) -> bool:
    """The channel's identifier names a request of a customer the client does not act for:
    refused without a word about that request."""
    return bool(external_id) and (
        Request.objects.filter(channel=channel, external_id=external_id)
        .exclude(company__in=client.customers())
        .exists()
    )


def _external_id_refused() -> JsonResponse:
    return api_error(
        409,
        "The request was not created.",
        field="external_id",
        detail="Already used for another request of this channel.",
    )


@api_client(ApiScope.REQUESTS_READ)
@require_GET
def request_detail_view(request: HttpRequest, reference: str) -> JsonResponse:
    tracked = _get(reference, client_of(request))
    if tracked is None:
        return api_error(404, "No request has this reference.")
    return JsonResponse(serialize(tracked))


@api_client(ApiScope.REQUESTS_WRITE)
@require_POST
def request_transition_view(request: HttpRequest, reference: str) -> JsonResponse:
    """Move a request of one of the client's channels to another state, if the state machine
    allows it. `details` add the operator's completion data (a new SIM's ICCID); they never
    change what the request already says, such as the IBAN a customer asked to be debited."""
    client = client_of(request)
    tracked = _get(reference, client)
    if tracked is None:
        return api_error(404, "No request has this reference.")
    if not client.opens_for(tracked.channel):
        # The request is one of its customers' (it may read it), but another channel works
        # it: the customer's own requests (WEB) are the back office's alone.
        return api_error(
            403,
            "This token may not move requests of this channel.",
            field="channel",
            detail=f"Allowed: {', '.join(client.channels) or 'none'}.",
        )
    payload = json_object(request)
    if isinstance(payload, JsonResponse):
        return payload
    data = _strings(payload, TransitionPayloadForm)
    if isinstance(data, JsonResponse):
        return data
    form = TransitionPayloadForm(data)
    if not form.is_valid():
        return _form_error(form, "The request was not moved.")
    if (
        form.cleaned_data["state"] == RequestState.REJECTED
        and not form.cleaned_data["note"].strip()
    ):
        reason = "A rejection needs a note for the customer."
        return api_error(
            422, "The request was not moved.", field="note", detail=reason,
            errors={"note": [reason]},
        )  # fmt: skip
    details = payload.get("details") or None
    if details is not None and not isinstance(details, dict):
        return api_error(
            400, "The request was not moved.", field="details", detail="Not an object."
        )
    if completion_replayed(tracked, RequestState(form.cleaned_data["state"]), details):
        return JsonResponse(serialize(tracked))  # a retry: done the first time, not again
    try:
        moved = request_move(
            request=tracked,
            to_state=RequestState(form.cleaned_data["state"]),
            note=form.cleaned_data["note"],
            details=details,
        )
    except InvalidTransition as refusal:
        return api_error(
            409,
            f"A request in state {refusal.request.state} cannot move to {refusal.to_state}.",
            allowed_states=allowed_states(refusal.request),
        )
    except CompletionDataInvalid as invalid:
        return api_error(
            422, "The request was not moved.", field=invalid.field, detail=invalid.detail,
            errors={invalid.field: [invalid.detail]},
        )  # fmt: skip
    except DetailsConflict as conflict:
        reason = "The request already has a different value: details may add data, not change it."
        names = [f"details.{key}" for key in conflict.fields]
        return api_error(
            422,
            "The request was not moved.",
            field=names[0],
            detail=reason,
            errors={name: [reason] for name in names},
        )
    except CompletionRefused as refusal:
        return api_error(422, str(refusal))
    except (KeyError, TypeError, ValueError, IntegrityError, DataError):
        # A completion handler met data it cannot apply: missing or malformed in a request
        # another channel opened (an IBAN that is a number, a 2-digit PUK). The transaction
        # rolled back, so nothing moved; bad input is the client's to fix, not a 500.
        return api_error(
            422,
            "The request was not moved.",
            field="details",
            detail="The completion lacks data it needs or cannot apply it.",
        )
    return JsonResponse(serialize(_get(moved.reference, client) or moved))
