"""Reads of the orders of new SIMs: the company's, and one of them (404 for the rest)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from accounts.models import User
from lines.models import OrderedSim, PortInEvent
from tracking.models import Request, RequestKind, Shipment


def _orders_of(company_id: int) -> QuerySet[Request]:
    return Request.objects.filter(
        company_id=company_id, kind=RequestKind.EXPANSION, sim_order__isnull=False
    ).select_related("sim_order__plan", "requester")


def orders_for_user(*, user: User) -> QuerySet[Request]:
    """The company's orders (EXPANSION requests with their rows), newest first, each with
    its shipments, the latest first."""
    if user.company_id is None:
        return Request.objects.none()
    return (
        _orders_of(user.company_id)
        .prefetch_related(Prefetch("shipments", queryset=Shipment.objects.order_by("-id")))
        .order_by("-created_at", "-id")
    )


def order_get_for_user(*, user: User, reference: str) -> Request:
    """One order of the user's company, with what its page shows; 404 otherwise."""
    if user.company_id is None:
        raise Http404
    tracked = (
        _orders_of(user.company_id)
        .select_related("sim_order__contract", "company")
        .prefetch_related(
            Prefetch(
                "sim_order__sims",
                queryset=OrderedSim.objects.select_related("assignee", "line").prefetch_related(
                    Prefetch("events", queryset=PortInEvent.objects.order_by("at", "id"))
                ),
            ),
            Prefetch("shipments", queryset=Shipment.objects.prefetch_related("events")),
        )
        .filter(reference=reference)
        .first()
    )
    if tracked is None:
        raise Http404
    return tracked
