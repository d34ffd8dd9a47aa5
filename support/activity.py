"""The requests a person made, from any section, for the activity list (tracking.activity)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.selectors import company_id_of
from tracking.activity import ActivityRow, activity_source
from tracking.models import Request, RequestState

TONES = {
    RequestState.COMPLETED: "success",
    RequestState.WAITING_CUSTOMER: "warning",
    RequestState.REJECTED: "secondary",
    RequestState.CANCELLED: "secondary",
}


def _rows(user: User, ids: Sequence[int]) -> dict[int, ActivityRow]:
    return {
        tracked.pk: ActivityRow(
            at=tracked.created_at,
            what=tracked.get_kind_display(),
            description=tracked.summary,
            reference=tracked.reference,
            state=tracked.get_state_display(),
            tone=TONES.get(RequestState(tracked.state), "primary"),
            # Everyone follows the requests they made here (support:request-detail).
            url=reverse("support:request-detail", args=[tracked.reference]),
        )
        for tracked in Request.objects.filter(pk__in=ids)
    }


@activity_source(key="requests", label=_("Richieste"), position=10, moment="created_at", rows=_rows)
def requests_made(user: User) -> QuerySet[Request]:
    return Request.objects.filter(company_id=company_id_of(user), requester=user)
