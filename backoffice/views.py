from __future__ import annotations

from django.contrib import messages
from django.db import IntegrityError
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import staff, user_of
from accounts.models import Company, User
from backoffice.forms import COMPLETION_FORMS, TransitionForm
from backoffice.order_views import order_sims, port_in_panels
from backoffice.shipment_views import shipment_panels
from billing.selectors import payments_refund_due
from core.exceptions import ActionRefused
from core.pagination import paginate
from support import chat
from support.models import Attachment, Conversation
from support.selectors import conversations_for_operators
from support.services import conversation_close, conversation_take
from support.views import attachment_response
from tracking.details import detail_rows
from tracking.forms import RequestFilterForm
from tracking.models import (
    APPROVAL_STATES,
    BACK_OFFICE_STATES,
    Request,
    RequestState,
    ShipmentState,
)
from tracking.selectors import filter_requests
from tracking.services import (
    CompletionRefused,
    DetailsConflict,
    InvalidTransition,
    request_transition,
)
from tracking.shipments import delivery_pending

SEARCH_LIMIT = 50


@staff
def index(request: HttpRequest) -> HttpResponse:
    """The operators' console: the requests waiting for the back office, oldest first."""
    form = RequestFilterForm(request.GET or None)
    filters = (
        {key: value for key, value in form.cleaned_data.items() if value} if form.is_valid() else {}
    )
    # Open requests, oldest first, unless the operator asks for a state; never those still
    # waiting for the company's own approval (tracking.approvals): not the operators' work.
    base = Request.objects.exclude(state__in=APPROVAL_STATES).select_related(
        "company", "requester", "line"
    )
    requests = filter_requests(base, **{"state": "OPEN", **filters}).order_by("created_at", "id")
    return render(request, "backoffice/index.html", {"form": form, "requests": requests[:50]})


@staff
@require_http_methods(["GET", "POST"])
def request_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Work one request: its data and timeline, and the move to its next state. Completing a
    request that needs the operator's data (a SIM change's new ICCID) asks for it."""
    tracked = get_object_or_404(
        Request.objects.select_related("company", "requester", "line"), pk=pk
    )
    data = request.POST if request.method == "POST" else None
    # A request its delivery completes is not completed here while its SIM travels
    # (tracking.shipments.shipments_follow refuses it too, under the request's lock).
    completable = not delivery_pending(tracked)
    form = TransitionForm(data, state=tracked.state, completable=completable)
    completion_class = COMPLETION_FORMS.get(tracked.kind) if completable else None
    # The card the request names is offered as it is. Once it went out in an envelope (then
    # came back) it is the one the request completes with: added only, never changed; before
    # that the operator may still correct a card mistyped by a channel.
    card = {key: tracked.details[key] for key in ("new_iccid", "new_puk") if key in tracked.details}
    card_shipped = bool(card) and tracked.shipments.exclude(state=ShipmentState.PREPARING).exists()
    completion = (
        completion_class(data, prefix="completion", initial=card, tracked=tracked)
        if completion_class
        else None
    )
    if request.method == "POST" and form.is_valid():
        to_state = RequestState(form.cleaned_data["to_state"])
        needs_data = to_state == RequestState.COMPLETED and completion is not None
        if not needs_data or (completion is not None and completion.is_valid()):
            try:
                request_transition(
                    request=tracked,
                    to_state=to_state,
                    actor=user_of(request),
                    note=form.cleaned_data["note"],
                    details=completion.cleaned_data if needs_data and completion else None,
                    details_add_only=needs_data and card_shipped,
                )
            except InvalidTransition:
                messages.error(
                    request, _("La richiesta è cambiata nel frattempo: controlla il suo stato.")
                )
            except (CompletionRefused, ActionRefused) as refusal:
                messages.error(request, str(refusal))
            except DetailsConflict:
                messages.error(
                    request,
                    _(
                        "La richiesta indica già la nuova SIM (ICCID %(iccid)s): si completa "
                        "con quella."
                    )
                    % {"iccid": tracked.details.get("new_iccid", "")},
                )
            except IntegrityError:
                messages.error(request, _("Questo ICCID appartiene già a un'altra SIM."))
            else:
                messages.success(
                    request,
                    _("Richiesta %(reference)s: %(state)s.")
                    % {"reference": tracked.reference, "state": to_state.label},
                )
            return redirect("backoffice:request-detail", pk=tracked.pk)
    panels, restart = shipment_panels(tracked)
    context = {
        "tracked": tracked,
        "shipment_panels": panels,
        "shipment_restart": restart,
        "port_in_panels": port_in_panels(tracked),
        "order_sims": order_sims(tracked),
        "rows": detail_rows(tracked.details),
        "events": tracked.events.select_related("actor").prefetch_related("attachments"),
        # A request awaiting the company's approval is not the back office's work yet.
        "form": form if tracked.state in BACK_OFFICE_STATES else None,
        "awaiting_approval": tracked.state in APPROVAL_STATES,
        "completion": completion,
    }
    return render(request, "backoffice/request_detail.html", context)


@staff
def search(request: HttpRequest) -> HttpResponse:
    """Find a company (name, Partita IVA, customer code) or a person (name, username,
    e-mail, codice fiscale): the path behind a call to 191 that changes the LR."""
    query = request.GET.get("q", "").strip()[:100]
    companies: list[Company] = []
    people: list[User] = []
    if len(query) >= 2:
        companies = list(
            Company.objects.filter(
                Q(name__icontains=query)
                | Q(vat_number__startswith=query)
                | Q(customer_code__iexact=query)
            ).order_by("name")[:SEARCH_LIMIT]
        )
        words = query.split()
        people_filter = (
            Q(username__iexact=query) | Q(email__iexact=query) | Q(tax_code__iexact=query)
        )
        name_filter = Q()
        for word in words:
            name_filter &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
        people = list(
            User.objects.filter(people_filter | name_filter, company__isnull=False)
            .select_related("company")
            .order_by("last_name", "first_name")[:SEARCH_LIMIT]
        )
    context = {"query": query, "companies": companies, "people": people}
    return render(request, "backoffice/search.html", context)


# --- Chat console (S1) and request attachments --------------------------------------------


@staff
def chat_list(request: HttpRequest) -> HttpResponse:
    conversations = conversations_for_operators(operator=user_of(request))
    return render(request, "backoffice/chat_list.html", {"conversations": conversations})


@staff
@require_http_methods(["GET", "POST"])
def chat_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    conversation = get_object_or_404(
        Conversation.objects.select_related("customer", "company"), pk=pk
    )
    return chat.chat_page(
        request, conversation, url_name="backoffice:chat", template="backoffice/chat.html"
    )


@staff
def chat_messages(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = get_object_or_404(Conversation, pk=pk)
    return chat.chat_messages(request, conversation, url_name="backoffice:chat")


@staff
@require_POST
def chat_take(request: HttpRequest, pk: int) -> HttpResponseBase:
    conversation = get_object_or_404(Conversation, pk=pk)
    try:
        conversation_take(conversation=conversation, operator=user_of(request))
    except ActionRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("backoffice:chat-list")
    return redirect("backoffice:chat", pk=pk)


@staff
@require_POST
def chat_close(request: HttpRequest, pk: int) -> HttpResponseBase:
    conversation_close(conversation=get_object_or_404(Conversation, pk=pk))
    messages.success(request, _("Chat chiusa."))
    return redirect("backoffice:chat-list")


@staff
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    return attachment_response(get_object_or_404(Attachment, pk=pk))


@staff
def refunds(request: HttpRequest) -> HttpResponse:
    """Charges that paid nothing and that the provider has not confirmed refunding yet:
    the task worker and `manage.py retry_refunds` keep asking; these are for an operator
    to watch (and to take up with the provider when the error stays)."""
    due = payments_refund_due()
    page, query = paginate(request, due, 50)
    return render(request, "backoffice/refunds.html", {"page": page, "query": query})
