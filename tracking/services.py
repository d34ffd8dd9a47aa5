"""The one way any section opens a request for the operator and moves it along."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Company, Line, User
from core.exceptions import ActionRefused
from core.mail import send_templated_email
from tracking.approval_policy import (
    announce_to_approvers,
    approval_needed,
    approvers_of,
    no_approver_message,
)
from tracking.models import (
    APPROVAL_STATES,
    OPEN_STATES,
    TRANSITIONS,
    Channel,
    Request,
    RequestEvent,
    RequestKind,
    RequestState,
)
from tracking.shipments import shipment_open_for, shipments_follow, ships

# No 0/O or 1/I/L: references are read out on the phone to customer service.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class InvalidTransition(Exception):
    def __init__(self, request: Request, to_state: RequestState) -> None:
        super().__init__(f"{request.reference}: {request.state} → {to_state} is not allowed")
        self.request = request
        self.to_state = to_state


class RequestAlreadyOpen(ActionRefused):
    """A request of the same kind is still open; the message is for the customer."""

    def __init__(self, existing: Request) -> None:
        super().__init__(
            _(
                "C'è già una richiesta di questo tipo in lavorazione (%(reference)s): attendi "
                "che sia conclusa."
            )
            % {"reference": existing.reference}
        )
        self.existing = existing


class RejectionNeedsNote(ActionRefused):
    """A rejection without a note: the customer must read why."""

    def __init__(self) -> None:
        super().__init__(_("Per respingere la richiesta scrivi al cliente il motivo."))


class NoApprover(ActionRefused):
    """The request needs an approval and nobody but its requester could give it."""

    def __init__(self, requester: User | None = None) -> None:
        super().__init__(no_approver_message(requester))


class ReplyRefused(ActionRefused):
    """The customer's answer cannot be taken; the message says why."""


class CompletionRefused(Exception):
    """A completion handler lacks what it needs; the message tells the operator what."""


class DetailsConflict(Exception):
    """Details that may only add to a request's own would change some of them (`fields`,
    sorted): the customer's data (the IBAN of a direct debit) stays theirs."""

    def __init__(self, request: Request, fields: list[str]) -> None:
        super().__init__(f"{request.reference}: details already set: {', '.join(fields)}")
        self.request = request
        self.fields = fields


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
    external_id: str = "",
) -> Request:
    """Open a request; its first history entry is the submission. `line`, if any, must
    belong to `company`, and `requester`, if any, must be one of its people."""
    if line is not None and line.contract.company_id != company.pk:
        raise ValueError("The line does not belong to the company.")
    if requester is not None and requester.company_id != company.pk:
        raise ValueError("The requester does not belong to the company.")
    state = RequestState.SUBMITTED
    if approval_needed(company=company, kind=kind, channel=channel):
        others = approvers_of(company)
        if requester is not None:
            others = others.exclude(pk=requester.pk)
        if not others.exists():
            raise NoApprover(requester)
        state = RequestState.AWAITING_APPROVAL
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
                    state=state,
                    summary=summary,
                    details=details or {},
                    external_id=external_id,
                )
            break
        except IntegrityError:
            if (
                external_id
                and Request.objects.filter(channel=channel, external_id=external_id).exists()
            ):
                raise  # the channel sent this request before: the caller answers with it
            continue  # a reference collision, about one in 10^12
    else:
        raise RuntimeError("Could not allocate a request reference.")
    RequestEvent.objects.create(
        request=request, from_state="", to_state=request.state, actor=requester
    )
    _notify_requester(request)
    if state == RequestState.AWAITING_APPROVAL:
        announce_to_approvers(request)
    return request


def open_request_of(
    *, company: Company, kind: RequestKind, line: Line | None = None
) -> Request | None:
    """The company's open request of `kind` (on `line`, when given), if there is one."""
    requests = Request.objects.filter(company=company, kind=kind, state__in=OPEN_STATES)
    if line is not None:
        requests = requests.filter(line=line)
    return requests.order_by("created_at").first()


@transaction.atomic
def request_create_once(
    *, company: Company, kind: RequestKind, line: Line | None = None, **fields: Any
) -> Request:
    """`request_create`, refused with RequestAlreadyOpen while a request of the same kind (on
    the same line, when there is one) is open. The company's row lock makes two submissions
    at once queue up, so the second one sees the first."""
    Company.objects.select_for_update().get(pk=company.pk)
    existing = open_request_of(company=company, kind=kind, line=line)
    if existing is not None:
        raise RequestAlreadyOpen(existing)
    return request_create(company=company, kind=kind, line=line, **fields)


@transaction.atomic
def request_transition(
    *,
    request: Request,
    to_state: RequestState,
    actor: User | None,
    note: str = "",
    details: dict[str, Any] | None = None,
    details_add_only: bool = False,
    notify: bool = True,
) -> Request:
    """Move `request` to `to_state` if TRANSITIONS allows it from its current state, read
    under a row lock so two operators cannot move it from the same state at once.
    `details` (what the operator supplies, like a new SIM's ICCID) join the request's own
    before its completion handler reads them. The back office may correct a value the
    request has (its operators read the request before completing it); with
    `details_add_only` (client systems) they may only add keys, and one that would change a
    value already there raises DetailsConflict with nothing moved. A rejection without a
    note is refused (RejectionNeedsNote): the customer reads why, whichever channel rejects.
    The requester is e-mailed unless `notify` is false (a move whose cause tells them
    itself: the delivery's e-mail says the new SIM works)."""
    if to_state == RequestState.REJECTED and not note.strip():
        raise RejectionNeedsNote
    locked = Request.objects.select_for_update().get(pk=request.pk)
    if locked.state in APPROVAL_STATES:
        raise InvalidTransition(locked, to_state)  # the company decides (tracking.approvals)
    _move(
        locked,
        to_state=to_state,
        actor=actor,
        note=note,
        details=details,
        details_add_only=details_add_only,
    )
    if notify:
        _notify_requester(locked, note)
    return locked


def _move(
    locked: Request,
    *,
    to_state: RequestState,
    actor: User | None,
    note: str,
    details: dict[str, Any] | None = None,
    details_add_only: bool = False,
    idempotency_key: str = "",
) -> RequestEvent:
    """The state change itself, on a request read under its row lock: checked against
    TRANSITIONS, recorded in the history (the entry returned), completed by the kind's
    handler."""
    if to_state not in TRANSITIONS[RequestState(locked.state)]:
        raise InvalidTransition(locked, to_state)
    if details and details_add_only:
        changed = sorted(
            key
            for key, value in details.items()
            if key in locked.details and locked.details[key] != value
        )
        if changed:
            raise DetailsConflict(locked, changed)
    shipments_follow(locked, to_state)
    from_state = locked.state
    locked.state = to_state
    if details:
        locked.details = {**locked.details, **details}
    locked.save(update_fields=["state", "details", "updated_at"])
    event = RequestEvent.objects.create(
        request=locked,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        note=note,
        idempotency_key=idempotency_key,
    )
    if to_state == RequestState.IN_PROGRESS and ships(locked):
        shipment_open_for(locked)  # the back office took it: the SIM is being prepared
    handler = COMPLETION_HANDLERS.get(RequestKind(locked.kind))
    if to_state == RequestState.COMPLETED and handler is not None:
        handler(locked)  # same transaction: the effect and the state change go together
    return event


@transaction.atomic
def request_customer_reply(
    *,
    request: Request,
    author: User,
    message: str,
    idempotency_key: str,
    attachment_name: str = "",
) -> tuple[RequestEvent, bool]:
    """The customer's answer to a request waiting for them (WAITING_CUSTOMER): it goes back
    to the operator, IN_PROGRESS, the only state a request comes to wait from (TRANSITIONS),
    with the message as the history entry's note and `author` as its actor; the operator
    who asked (or the back office's address) is e-mailed. Returns the entry and whether it
    is new: the same `idempotency_key` again finds the answer it sent, under the row lock,
    so a double submit never adds a second one. In any other state, ReplyRefused. Who may
    answer is the caller's to check (`tracking.selectors.may_answer`)."""
    locked = Request.objects.select_for_update().get(pk=request.pk)
    if idempotency_key:
        sent = locked.events.filter(idempotency_key=idempotency_key).first()
        if sent is not None:
            # A repeat of the latest answer is harmless; an old form sent again after a new
            # question (a back button, an old tab) must not pass for the answer to it.
            if locked.state != RequestState.WAITING_CUSTOMER:
                return sent, False
            raise ReplyRefused(
                _(
                    "Questa risposta era già stata inviata prima della nuova domanda: ricarica "
                    "la pagina e scrivi la risposta di nuovo."
                )
            )
    if locked.state != RequestState.WAITING_CUSTOMER:
        raise ReplyRefused(
            _(
                "La richiesta %(reference)s non è in attesa di una tua risposta (è nello stato "
                "«%(state)s»): non è stato inviato nulla."
            )
            % {"reference": locked.reference, "state": locked.get_state_display()}
        )
    if not message.strip():
        raise ReplyRefused(_("Scrivi la tua risposta."))
    asked = locked.events.filter(to_state=RequestState.WAITING_CUSTOMER).last()
    event = _move(
        locked,
        to_state=RequestState.IN_PROGRESS,
        actor=author,
        note=message.strip(),
        idempotency_key=idempotency_key,
    )
    _notify_back_office(locked, event, asked=asked, attachment_name=attachment_name)
    return event, True


def _notify_back_office(
    request: Request, event: RequestEvent, *, asked: RequestEvent | None, attachment_name: str
) -> None:
    """As the customer hears of each step by e-mail, the back office hears of their answer:
    the operator who asked for it, else the back office's address (BACK_OFFICE_EMAIL)."""
    operator = asked.actor if asked is not None else None
    if operator is not None and operator.is_staff and operator.email:
        address = operator.email
    else:
        address = settings.BACK_OFFICE_EMAIL
    if not address:
        return
    send_templated_email(
        "tracking/email/customer_reply",
        {"request": request, "event": event, "attachment_name": attachment_name},
        [address],
    )


def _notify_requester(request: Request, note: str = "", *, approver: User | None = None) -> None:
    """The requester's update e-mail; `approver`, who decided an approval (the note is then
    theirs rather than the back office's)."""
    requester = request.requester
    if requester is None or not requester.email:
        return
    send_templated_email(
        "tracking/email/request_update",
        {
            "request": request,
            "person": requester,
            "note": note,
            "approver": (approver.get_full_name() or approver.username) if approver else "",
        },
        [requester.email],
    )
