"""Assistenza online: chat (S1), callback (S2), experts (S3), faults (S4), diagnosis (S5),
and the requests one made."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import requires, requires_any, user_of
from accounts.models import Contract, User
from accounts.roles import Capability, can, section_capabilities
from accounts.selectors import lines_for_user
from core.exceptions import ActionRefused
from core.pagination import paginate
from core.uploads import download_response
from support import chat, selectors, services
from support.diagnostics import diagnostics
from support.forms import (
    CallbackForm,
    ChatStartForm,
    DiagnosisForm,
    ExpertForm,
    FaultForm,
    ReplyForm,
)
from support.models import Attachment
from tracking import selectors as tracking_selectors
from tracking.activity import activity_for, activity_rows
from tracking.forms import ActivityFilterForm
from tracking.models import Request, RequestKind
from tracking.pages import request_form_page
from tracking.selectors import requests_for_user
from tracking.services import open_request_of
from tracking.views import request_detail_page

C = Capability
SUPPORT = section_capabilities("support")


@requires_any(*SUPPORT)
def index(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    recent = requests_for_user(user=user, company_wide=False).order_by("-created_at")[:5]
    context = {"recent": recent, "intro": _support_intro(user)}
    return render(request, "support/index.html", context)


# What each capability of the section lets a person do, for the introduction: the sentence
# lists only what the matrix gives the person reading it.
INTRO_ACTIONS = (
    (C.CHAT, gettext_lazy("parlare con un operatore")),
    (C.CONTACT_OPERATOR, gettext_lazy("farti richiamare")),
    (C.ASK_EXPERT, gettext_lazy("scrivere ai nostri esperti")),
    (C.REPORT_FAULT, gettext_lazy("segnalare un guasto")),
    (C.DIAGNOSE_LINE, gettext_lazy("fare la diagnosi della linea fissa")),
)


def _support_intro(user: User) -> str:
    actions = [str(label) for capability, label in INTRO_ACTIONS if can(user, capability)]
    if not actions:
        return ""
    return _("Da qui puoi %(actions)s.") % {"actions": get_text_list(actions, last_word=_("e"))}


# --- Chat (S1) -------------------------------------------------------------------------


@requires(C.CHAT)
@require_http_methods(["GET", "POST"])
def chat_list(request: HttpRequest) -> HttpResponseBase:
    """The person's chats, past and open, and a form to start one."""
    user = user_of(request)
    form = ChatStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            conversation = services.conversation_start(
                customer=user, topic=form.cleaned_data["topic"], body=form.cleaned_data["body"]
            )
        except ActionRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("support:chat-list")
        return redirect("support:chat", pk=conversation.pk)
    conversations = selectors.conversations_of(customer=user)
    has_open = any(conversation.is_open for conversation in conversations)
    context = {"conversations": conversations, "form": form, "has_open": has_open}
    return render(request, "support/chat_list.html", context)


@requires(C.CHAT)
@require_http_methods(["GET", "POST"])
def chat_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    conversation = selectors.conversation_get_for_customer(customer=user_of(request), pk=pk)
    return chat.chat_page(
        request, conversation, url_name="support:chat", template="support/chat.html"
    )


@requires(C.CHAT)
def chat_messages(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = selectors.conversation_get_for_customer(customer=user_of(request), pk=pk)
    return chat.chat_messages(request, conversation, url_name="support:chat")


@requires(C.CHAT)
@require_POST
def chat_close(request: HttpRequest, pk: int) -> HttpResponseBase:
    conversation = selectors.conversation_get_for_customer(customer=user_of(request), pk=pk)
    services.conversation_close(conversation=conversation)
    messages.success(request, _("Chat chiusa. La trovi sempre tra le tue chat."))
    return redirect("support:chat-list")


# --- Callback (S2) and experts (S3) ------------------------------------------------------


@requires(C.CONTACT_OPERATOR)
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest) -> HttpResponseBase:
    user = user_of(request)
    return _support_request_page(
        request,
        form=CallbackForm(request.POST or None, initial={"phone": user.phone}),
        send=lambda data: services.callback_request(
            actor=user,
            phone=data["phone"],
            day=data["day"].isoformat(),
            slot=data["slot"],
            topic=data["topic"],
        ),
        title=_("Fatti richiamare da un operatore"),
        intro=_(
            "Scegli un giorno lavorativo e una fascia oraria: un operatore del servizio clienti "
            "business ti chiama al numero che indichi."
        ),
    )


@requires(C.ASK_EXPERT)
@require_http_methods(["GET", "POST"])
def expert(request: HttpRequest) -> HttpResponseBase:
    form = ExpertForm(
        request.POST or None, request.FILES or None, initial={"idempotency_key": uuid.uuid4().hex}
    )
    return _support_request_page(
        request,
        form=form,
        send=lambda data: services.expert_request(
            actor=user_of(request),
            topic=form.topic_label,
            message=data["message"],
            attachment=data["attachment"],
            content_type=getattr(form, "content_type", None) or "",
            idempotency_key=data["idempotency_key"],
        ),
        title=_("Scrivi ai nostri esperti"),
        intro=_(
            "Un esperto ti risponde entro due giorni lavorativi. Puoi allegare un documento o "
            "una schermata."
        ),
        multipart=True,
    )


def _support_request_page(
    request: HttpRequest,
    *,
    form: Form,
    send: Callable[[dict[str, Any]], Request],
    title: str,
    intro: str,
    **extra: object,
) -> HttpResponse:
    """A request made here is followed from «Le mie richieste»."""
    return request_form_page(
        request,
        form=form,
        send=send,
        sent_message=_("Richiesta %(reference)s inviata: la segui da «Le mie richieste»."),
        sent_url=lambda tracked: reverse("support:request-detail", args=[tracked.reference]),
        context={
            "title": title,
            "intro": [intro],
            "back_url": reverse("support:index"),
            "back_label": _("Torna all'assistenza"),
            **extra,
        },
    )


# --- Faults (S4) and diagnosis (S5) ------------------------------------------------------


@requires(C.REPORT_FAULT)
@require_http_methods(["GET", "POST"])
def fault(request: HttpRequest) -> HttpResponseBase:
    user = user_of(request)
    lines = lines_for_user(user=user, capability=C.REPORT_FAULT).select_related("assignee")
    initial = {
        "line": request.GET.get("linea"),
        "category": request.GET.get("problema"),
        "phone": user.phone,
    }
    form = FaultForm(request.POST or None, initial=initial, lines=lines.order_by("number"))
    return _support_request_page(
        request,
        form=form,
        send=lambda data: services.fault_report(
            actor=user,
            line=data["line"],
            category=data["category"],
            category_label=form.category_label,
            description=data["description"],
            availability=data["availability"],
            phone=data["phone"],
        ),
        title=_("Segnala un guasto"),
        intro=_(
            "Apri una segnalazione: la segui da «Le mie richieste» e ricevi un'e-mail a ogni "
            "aggiornamento."
        ),
        submit_label=_("Invia la segnalazione"),
    )


@requires(C.DIAGNOSE_LINE)
def diagnosis(request: HttpRequest) -> HttpResponse:
    """Choose a fixed line, then see the test's result (a GET: safe to repeat)."""
    user = user_of(request)
    fixed = lines_for_user(user=user, capability=C.DIAGNOSE_LINE).filter(
        contract__kind=Contract.Kind.FIXED
    )
    form = DiagnosisForm(
        request.GET or None, lines=fixed.select_related("assignee").order_by("number")
    )
    result = open_fault = None
    if form.is_valid():  # the form offers only the fixed lines in the user's scope
        line = form.cleaned_data["line"]
        result = diagnostics().diagnose(line)
        open_fault = open_request_of(
            company=line.contract.company, kind=RequestKind.FAULT, line=line
        )
    context = {
        "form": form,
        "result": result,
        "open_fault": open_fault,
        "can_report": can(user, C.REPORT_FAULT),
        "no_lines": not fixed.exists(),
    }
    return render(request, "support/diagnosis.html", context)


# --- The requests one made, and their attachments -----------------------------------------


ACTIVITY_PAGE_SIZE = 25


@requires_any(*SUPPORT)
def my_requests(request: HttpRequest) -> HttpResponse:
    """«Le mie richieste»: everything the person did, from every section (the requests they
    made, SIM blocks, top-ups, payments: tracking.activity), newest first; the same number
    of queries whatever their number."""
    user = user_of(request)
    form = ActivityFilterForm(request.GET or None)
    kind = form.cleaned_data["kind"] if form.is_valid() else ""
    page, query = paginate(request, activity_for(user=user, kind=kind), ACTIVITY_PAGE_SIZE)
    rows = activity_rows(user=user, entries=page.object_list)
    context = {
        "form": form,
        "page": page,
        "query": query,
        "rows": rows,
        "awaiting": tracking_selectors.requests_awaiting_answer(user=user),
    }
    return render(request, "support/my_requests.html", context)


@requires_any(*SUPPORT)
def my_request_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return request_detail_page(request, reference, company_wide=False, back_url="support:requests")


@requires_any(*SUPPORT, C.VIEW_REQUESTS)
@require_POST
def request_reply(request: HttpRequest, reference: str) -> HttpResponseBase:
    """The answer to a request waiting for the customer, from its page (the form is on
    tracking/request_detail.html): a request the person may not see answers 404, one they
    may see but not answer (`may_answer`) 403; in another state, a message and no change."""
    user = user_of(request)
    tracked = tracking_selectors.request_get_for_user(
        user=user, reference=reference, company_wide=True
    )
    if not tracking_selectors.may_answer(user=user, request=tracked):
        raise PermissionDenied
    # The maker follows it from «Le mie richieste»; a T1 holder answering for another
    # channel's request, from the company's tracking.
    mine = tracked.requester_id == user.pk
    page = "support:request-detail" if mine else "tracking:detail"
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            _event, created = services.request_reply(
                actor=user,
                request=tracked,
                message=form.cleaned_data["message"],
                attachment=form.cleaned_data["attachment"],
                content_type=form.content_type,
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ActionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            sent = (
                _("Risposta inviata: la richiesta %(reference)s torna al servizio clienti.")
                if created
                else _("Risposta già inviata: la richiesta %(reference)s è al servizio clienti.")
            )
            messages.success(request, sent % {"reference": tracked.reference})
        return redirect(page, reference=tracked.reference)
    return request_detail_page(
        request,
        reference,
        company_wide=not mine,
        back_url="support:requests" if mine else "tracking:index",
        reply_form=form,
    )


def attachment_response(attachment: Attachment) -> FileResponse:
    return download_response(
        attachment.file,
        original_name=attachment.original_name,
        content_type=attachment.content_type,
    )


@requires_any(*SUPPORT, C.VIEW_REQUESTS)
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """A file of a request the person may follow: their own, or the company's for T1."""
    user = user_of(request)
    requests = requests_for_user(user=user, company_wide=True)
    return attachment_response(selectors.attachment_get(pk=pk, requests=requests))
