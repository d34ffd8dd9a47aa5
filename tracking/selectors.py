from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db.models import Count, QuerySet, Window
from django.shortcuts import get_object_or_404

from accounts.models import User
from accounts.roles import Capability, can
from accounts.selectors import company_id_of
from tracking.models import OPEN_STATES, Request


def requests_for_user(*, user: User, company_wide: bool) -> QuerySet[Request]:
    """With `company_wide`, the company's requests from every channel (T1 holders only);
    otherwise the ones the user made."""
    requests = Request.objects.filter(company_id=company_id_of(user))
    if not (company_wide and can(user, Capability.VIEW_REQUESTS)):
        requests = requests.filter(requester=user)
    return requests.select_related("requester", "line")


def filter_requests(
    requests: QuerySet[Request],
    *,
    kind: str = "",
    state: str = "",
    channel: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[Request]:
    if kind:
        requests = requests.filter(kind=kind)
    if state == "OPEN":
        requests = requests.filter(state__in=OPEN_STATES)
    elif state:
        requests = requests.filter(state=state)
    if channel:
        requests = requests.filter(channel=channel)
    if since:
        requests = requests.filter(created_at__date__gte=since)
    if until:
        requests = requests.filter(created_at__date__lte=until)
    return requests.order_by("-created_at", "-id")


def request_get_for_user(*, user: User, reference: str, company_wide: bool) -> Request:
    """One request the user may follow (see `requests_for_user`); 404 for anything else."""
    requests = requests_for_user(user=user, company_wide=company_wide)
    return get_object_or_404(requests, reference=reference)


def open_requests_summary(*, user: User, limit: int = 5) -> tuple[Sequence[Request], int]:
    """The user's open requests (the company's for T1 holders), the last changed first, and
    how many there are: one query, whatever their number."""
    requests = requests_for_user(user=user, company_wide=True).filter(state__in=OPEN_STATES)
    rows = list(requests.annotate(total=Window(Count("pk"))).order_by("-updated_at", "-id")[:limit])
    return rows, int(rows[0].total) if rows else 0
