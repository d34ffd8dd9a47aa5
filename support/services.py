"""Assistenza online: chat, callback, experts, faults."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Company, Line, User
from accounts.selectors import actor_company_id
from core.exceptions import ActionRefused
from core.uploads import EXTENSIONS, download_name, sha256_of
from support.diagnostics import diagnostics
from support.models import Attachment, Conversation, Message
from tracking.models import Channel, Request, RequestEvent, RequestKind
from tracking.services import request_create, request_create_once, request_customer_reply

# --- Chat (S1) -------------------------------------------------------------------------


@transaction.atomic
def conversation_start(*, customer: User, topic: str, body: str) -> Conversation:
    """Open a chat with its first message; a person has one open chat at a time."""
    open_chat = Conversation.objects.filter(customer=customer).exclude(
        state=Conversation.State.CLOSED
    )
    if open_chat.exists():
        raise ActionRefused(_("Hai già una chat aperta: continua da lì."))
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                company_id=actor_company_id(customer), customer=customer, topic=topic
            )
    except IntegrityError as clash:  # the same person, in two tabs at once
        raise ActionRefused(_("Hai già una chat aperta: continua da lì.")) from clash
    Message.objects.create(conversation=conversation, author=customer, body=body)
    return conversation


@transaction.atomic
def message_post(*, conversation: Conversation, author: User, body: str) -> Message:
    """A message from the customer or, when `author` is staff, from the operator, who
    takes the chat if nobody has yet."""
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if locked.state == Conversation.State.CLOSED:
        raise ActionRefused(_("La chat è chiusa: aprine una nuova."))
    from_operator = author.is_staff
    if from_operator:
        _take(locked, author)
    return Message.objects.create(
        conversation=locked, author=author, body=body, from_operator=from_operator
    )


def _take(conversation: Conversation, operator: User) -> None:
    if conversation.operator_id not in (None, operator.pk):
        raise ActionRefused(_("Questa chat è già seguita da un altro operatore."))
    if conversation.operator_id is None:
        conversation.operator = operator
        conversation.state = Conversation.State.ACTIVE
        conversation.save(update_fields=["operator", "state"])


@transaction.atomic
def conversation_take(*, conversation: Conversation, operator: User) -> None:
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if locked.state == Conversation.State.CLOSED:
        raise ActionRefused(_("La chat è chiusa."))
    _take(locked, operator)


@transaction.atomic
def conversation_close(*, conversation: Conversation) -> None:
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if locked.state == Conversation.State.CLOSED:
        return
    locked.state = Conversation.State.CLOSED
    locked.closed_at = timezone.now()
    locked.save(update_fields=["state", "closed_at"])


# --- Requests: callback (S2), experts (S3), faults (S4) ---------------------------------


def _company(user: User) -> Company:
    return Company.objects.get(pk=actor_company_id(user))


def callback_request(*, actor: User, phone: str, day: str, slot: str, topic: str) -> Request:
    return request_create_once(
        company=_company(actor),
        kind=RequestKind.CALLBACK,
        requester=actor,
        summary=_("Richiamare al %(phone)s: %(topic)s") % {"phone": phone, "topic": topic},
        details={"phone": phone, "day": day, "slot": slot, "topic": topic},
    )


@transaction.atomic
def expert_request(
    *,
    actor: User,
    topic: str,
    message: str,
    attachment: UploadedFile[bytes] | None,
    content_type: str,
    idempotency_key: str,
) -> Request:
    """Open a request to the experts. The form's key makes it once: the same key again (a
    double click, the retry of a submission whose answer was lost while the database was
    away) returns the request it opened."""
    if (opened := _expert_request_sent(actor, idempotency_key)) is not None:
        return opened
    try:
        tracked = request_create(
            company=_company(actor),
            kind=RequestKind.EXPERT,
            requester=actor,
            summary=_("Richiesta agli esperti: %(topic)s") % {"topic": topic},
            details={"topic": topic, "message": message},
            # The web channel's own identifier of the request: the submission's key.
            external_id=idempotency_key,
        )
    except IntegrityError:  # the same key, submitted twice at the same moment
        if (opened := _expert_request_sent(actor, idempotency_key)) is not None:
            return opened
        raise
    if attachment is not None:
        _attachment_store(tracked, attachment, content_type)
    return tracked


def _attachment_store(
    tracked: Request,
    upload: UploadedFile[bytes],
    content_type: str,
    event: RequestEvent | None = None,
) -> Attachment:
    """Keep a file the form checked (`content_type` detected from its content), with its
    digest; `event`: the customer's answer it came with."""
    stored = Attachment(
        request=tracked,
        event=event,
        original_name=(upload.name or "allegato")[:200],
        content_type=content_type,
        size=upload.size or 0,
        sha256=sha256_of(upload),
    )
    # A name of ours on disk: the customer's file name is kept only as data.
    stored.file.save(f"{tracked.reference}.{EXTENSIONS[content_type]}", upload, save=False)
    stored.save()
    return stored


@transaction.atomic
def request_reply(
    *,
    actor: User,
    request: Request,
    message: str,
    attachment: UploadedFile[bytes] | None,
    content_type: str,
    idempotency_key: str,
) -> tuple[RequestEvent, bool]:
    """The customer's answer to a request waiting for them, with an optional file (checked
    by the form): `tracking.services.request_customer_reply` moves the request back to the
    operator, once per key; the file is kept only with a new answer, beside it."""
    name = download_name(attachment.name or "", content_type) if attachment is not None else ""
    event, created = request_customer_reply(
        request=request,
        author=actor,
        message=message,
        idempotency_key=idempotency_key,
        attachment_name=name,
    )
    if created and attachment is not None:
        _attachment_store(request, attachment, content_type, event=event)
    return event, created


def _expert_request_sent(actor: User, idempotency_key: str) -> Request | None:
    return Request.objects.filter(
        channel=Channel.WEB, external_id=idempotency_key, requester=actor, kind=RequestKind.EXPERT
    ).first()


def fault_report(
    *, actor: User, line: Line, category: str, category_label: str, description: str,
    availability: str, phone: str,
) -> Request:  # fmt: skip
    """Open a ticket on a line; for a fixed line the diagnosis at that moment goes with it."""
    details: dict[str, Any] = {
        "category": category,
        "description": description,
        "availability": availability,
        "contact_phone": phone,
    }
    if not line.is_mobile:
        details["diagnosis"] = diagnostics().diagnose(line).as_dict()
    return request_create_once(
        company=line.contract.company,
        kind=RequestKind.FAULT,
        line=line,
        requester=actor,
        summary=_("Guasto sulla linea %(number)s: %(category)s")
        % {"number": line.number, "category": category_label},
        details=details,
    )
