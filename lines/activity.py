"""The SIM blocks and unblocks a person made (the lines' own history records them), for the
activity list (tracking.activity)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.selectors import company_id_of
from lines.models import BlockReason, LineEvent
from lines.selectors import line_list_for_user
from tracking.activity import ActivityRow, activity_source

BLOCKS = (LineEvent.Kind.BLOCKED, LineEvent.Kind.UNBLOCKED)


def _rows(user: User, ids: Sequence[int]) -> dict[int, ActivityRow]:
    # A block takes effect at once: it has no state of its own but "done".
    events = list(LineEvent.objects.filter(pk__in=ids).select_related("line"))
    # Linked only while the line is still the person's to open (it may have been reassigned).
    visible = set(
        line_list_for_user(user=user)
        .filter(pk__in={event.line_id for event in events})
        .values_list("pk", flat=True)
    )
    reasons = dict(BlockReason.choices)
    return {
        event.pk: ActivityRow(
            at=event.at,
            what=event.get_kind_display(),
            description=str(reasons.get(event.details.get("reason", ""), "")),
            reference=event.line.number,
            state=_("Eseguito"),
            tone="success",
            url=reverse("lines:detail", args=[event.line_id]) if event.line_id in visible else "",
        )
        for event in events
    }


@activity_source(
    key="sim_blocks", label=_("Blocchi e sblocchi SIM"), position=20, moment="at", rows=_rows
)
def blocks_made(user: User) -> QuerySet[LineEvent]:
    return LineEvent.objects.filter(
        actor=user, kind__in=BLOCKS, line__contract__company_id=company_id_of(user)
    )
