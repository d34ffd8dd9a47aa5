"""Tracking delle richieste (T1): every request of the company, from every channel."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import requires, user_of
from accounts.roles import Capability
from core.pagination import paginate
from tracking import selectors
from tracking.details import detail_rows
from tracking.forms import RequestFilterForm
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
    request: HttpRequest, reference: str, *, company_wide: bool, back_url: str
) -> HttpResponse:
    tracked = selectors.request_get_for_user(
        user=user_of(request), reference=reference, company_wide=company_wide
    )
    events = tracked.events.order_by("at", "id")
    rejection = events.filter(to_state=RequestState.REJECTED).last()
    context = {
        "tracked": tracked,
        "events": events,
        "rejection": rejection,
        "rows": detail_rows(tracked.details, labelled_only=True),
        "back_url": back_url,
    }
    return render(request, "tracking/request_detail.html", context)


@requires(Capability.VIEW_REQUESTS)
def request_list(request: HttpRequest) -> HttpResponse:
    return request_list_page(request, company_wide=True, template="tracking/request_list.html")


@requires(Capability.VIEW_REQUESTS)
def request_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return request_detail_page(request, reference, company_wide=True, back_url="tracking:index")
