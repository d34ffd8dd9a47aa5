"""The one way any section opens a request for the operator and moves it along."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import Company, Line, User
from area_clienti.mail import send_templated_email
from tracking.models import TRANSITIONS, Channel, Request, RequestEvent, RequestKind, RequestState

# No 0/O or 1/I/L: references are read out on the phone to customer service.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class InvalidTransition(Exception):
    def __init__(self, request: Request, to_state: RequestState) -> None:
        super().__init__(f"{request.reference}: {request.state} → {to_state} is not allowed")
        self.request = request
        self.to_state = to_state


CompletionHandler = Callable[[Request], None]
# What completing a request of a kind does (the LR's new legal address takes effect, a
# SIM change gives the line its new ICCID...), registered by the app that owns the kind.
COMPLETION_HANDLERS: dict[RequestKind, CompletionHandler] = {}


def on_completion(kind: RequestKind) -> Callable[[CompletionHandler], CompletionHandler]:
    def register(handler: CompletionHandler) -> CompletionHandler:
        COMPLETION_HANDLERS[kind] = handler
        return handler

    return register


def _new_reference() -> str:
    return "RC" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


@transaction.atomic
def request_create(
    *,
    company: Company,
    kind: RequestKind,
    summary: str,
    requester: User | None = None,
    channel: Channel = Channel.WEB,
    line: Line | None = None,
    details: dict[str, Any] | None = None,
) -> Request:
    """Open a request; its first history entry is the submission. `line`, if any, must
    belong to `company`, and `requester`, if any, must be one of its people."""
    if line is not None and line.contract.company_id != company.pk:
        raise ValueError("The line does not belong to the company.")
    if requester is not None and requester.company_id != company.pk:
        raise ValueError("The requester does not belong to the company.")
    for _attempt in range(5):
        try:
            with transaction.atomic():
                request = Request.objects.create(
                    reference=_new_reference(),
                    company=company,
                    kind=kind,
                    channel=channel,
                    requester=requester,
                    line=line,
                    summary=summary,
                    details=details or {},
                )
            break
        except IntegrityError:  # a reference collision, about one in 10^12
            continue
    else:
        raise RuntimeError("Could not allocate a request reference.")
    RequestEvent.objects.create(
        request=request, from_state="", to_state=request.state, actor=requester
    )
    _notify_requester(request)
    return request


@transaction.atomic
def request_transition(
    *, request: Request, to_state: RequestState, actor: User | None, note: str = ""
) -> Request:
    """Move `request` to `to_state` if TRANSITIONS allows it from its current state, read
    under a row lock so two operators cannot move it from the same state at once."""
    locked = Request.objects.select_for_update().get(pk=request.pk)
    if to_state not in TRANSITIONS[RequestState(locked.state)]:
        raise InvalidTransition(locked, to_state)
    from_state = locked.state
    locked.state = to_state
    locked.save(update_fields=["state", "updated_at"])
    RequestEvent.objects.create(
        request=locked, from_state=from_state, to_state=to_state, actor=actor, note=note
    )
    handler = COMPLETION_HANDLERS.get(RequestKind(locked.kind))
    if to_state == RequestState.COMPLETED and handler is not None:
        handler(locked)  # same transaction: the effect and the state change go together
    _notify_requester(locked)
    return locked


def _notify_requester(request: Request) -> None:
    requester = request.requester
    if requester is None or not requester.email:
        return
    send_templated_email(
        "tracking/email/request_update",
        {"request": request, "person": requester},
        [requester.email],
    )
