"""The top-ups a person made, for the activity list (tracking.activity)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Capability
from accounts.selectors import company_id_of
from consumption.models import TopUp
from consumption.selectors import sims_for_user
from tracking.activity import ActivityRow, activity_source

TONES = {TopUp.Status.CREDITED: "success", TopUp.Status.PENDING: "warning"}


def _rows(user: User, ids: Sequence[int]) -> dict[int, ActivityRow]:
    top_ups = list(TopUp.objects.filter(pk__in=ids).select_related("line", "payment"))
    # Linked only while the SIM is still the person's to top up (it may have been reassigned).
    visible = set(
        sims_for_user(user=user, capability=Capability.TOP_UP)
        .filter(pk__in={top_up.line_id for top_up in top_ups})
        .values_list("pk", flat=True)
    )
    return {
        top_up.pk: ActivityRow(
            at=top_up.created_at,
            what=_("Ricarica"),
            description="",
            reference=top_up.line.number,  # the SIM topped up
            state=top_up.get_status_display(),
            tone=TONES.get(TopUp.Status(top_up.status), "secondary"),
            amount=top_up.amount,
            url=reverse("consumption:top-up-result", args=[top_up.payment.provider_reference])
            if top_up.line_id in visible
            else "",
        )
        for top_up in top_ups
    }


@activity_source(key="top_ups", label=_("Ricariche"), position=30, moment="created_at", rows=_rows)
def top_ups_made(user: User) -> QuerySet[TopUp]:
    return TopUp.objects.filter(requested_by=user, line__contract__company_id=company_id_of(user))
