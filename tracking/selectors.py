from django.db.models import QuerySet

from tracking.models import OPEN_STATES, Request


def open_requests() -> QuerySet[Request]:
    """Requests of every company still waiting for someone, oldest first (back office)."""
    return (
        Request.objects.filter(state__in=OPEN_STATES)
        .select_related("company", "requester", "line")
        .order_by("created_at", "id")
    )
