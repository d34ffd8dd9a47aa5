"""Tracking delle richieste (T1): every request of the company, from every channel."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import requires, user_of
from accounts.roles import Capability
from core.pagination import paginate
from tracking import selectors
from tracking.details import detail_rows
from tracking.forms import RequestFilterForm, RequestReplyForm
from tracking.models import RequestState

PAGE_SIZE = 25


def request_list_page(request: HttpRequest, *, company_wide: bool, template: str) -> HttpResponse:
    """A filtered, paginated list of requests: the company's (T1) or the user's own."""
    form = RequestFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    requests = selectors.filter_requests(
        selectors.requests_for_user(user=user_of(request), company_wide=company_wide),
        **{key: value for key, value in filters.items() if value},
    )
    page, query = paginate(request, requests, PAGE_SIZE)
    context = {"form": form, "page": page, "query": query}
    return render(request, template, context)


def request_detail_page(
    request: HttpRequest,
    reference: str,
    *,
    company_wide: bool,
    back_url: str,
    reply_form: RequestReplyForm | None = None,
) -> HttpResponse:
    """A request as its customer reads it; while it waits for an answer the person may give
    (`selectors.waiting_for`), the form to answer (`reply_form`, bound when it came back
    with errors)."""
    user = user_of(request)
    tracked = selectors.request_get_for_user(
        user=user, reference=reference, company_wide=company_wide
    )
    events = list(
        tracked.events.select_related("actor").prefetch_related("attachments").order_by("at", "id")
    )
    rejection = next((e for e in reversed(events) if e.to_state == RequestState.REJECTED), None)
    question = next(
        (e for e in reversed(events) if e.to_state == RequestState.WAITING_CUSTOMER), None
    )
    shipments = list(tracked.shipments.prefetch_related("events"))
    waiting = selectors.waiting_for(user=user, request=tracked)
    if waiting and reply_form is None:
        reply_form = RequestReplyForm(initial={"idempotency_key": uuid.uuid4().hex})
    context = {
        "tracked": tracked,
        "events": events,
        "rejection": rejection,
        "question": question if tracked.state == RequestState.WAITING_CUSTOMER else None,
        "reply_form": reply_form if waiting else None,
        "rows": detail_rows(tracked.details, labelled_only=True),
        "shipments": shipments,
        "back_url": back_url,
    }
    return render(request, "tracking/request_detail.html", context)


@requires(Capability.VIEW_REQUESTS)
def request_list(request: HttpRequest) -> HttpResponse:
    return request_list_page(request, company_wide=True, template="tracking/request_list.html")


@requires(Capability.VIEW_REQUESTS)
def request_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return request_detail_page(request, reference, company_wide=True, back_url="tracking:index")
