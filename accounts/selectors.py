"""Reads scoped to what a user may see. Every query starts from the user's company;
whatever lies outside answers 404, exactly like what does not exist (R6)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TypeVar

from django.db.models import Count, Exists, Model, OuterRef, Prefetch, Q, QuerySet, Window
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from accounts.models import (
    AuditEntry,
    Company,
    CostCentre,
    Invitation,
    Line,
    LineUserObjectPermission,
    User,
)
from accounts.roles import REFERENTE_PROFILES, Capability, Scope, scope_for
from core.exceptions import ActionRefused

REFERENTE_PERMISSION = "act_as_referente"


def company_id_of(user: User) -> int:
    """The user's company, for views and reads; staff and anonymous users have none, so
    nothing is theirs (404)."""
    if user.company_id is None:
        raise Http404
    return user.company_id


def actor_company_id(actor: User) -> int:
    """The acting user's company, for services: they refuse, never answer HTTP. The views'
    declarations only let customers this far."""
    if actor.company_id is None:
        raise ActionRefused(_("Funzione riservata ai clienti."))
    return actor.company_id


def company_lines(*, company: Company | int) -> QuerySet[Line]:
    return Line.objects.filter(contract__company=company)


def _delegated_to(user: User) -> Exists:
    """Lines the LR delegated to `user` as Referente (django-guardian object permissions)."""
    return Exists(
        LineUserObjectPermission.objects.filter(
            user=user, permission__codename=REFERENTE_PERMISSION, content_object=OuterRef("pk")
        )
    )


def lines_for_user(*, user: User, capability: Capability) -> QuerySet[Line]:
    """The lines `user` may act on with `capability`: all of the company's for scope ALL,
    their own (plus Referente delegations for LIGHT) for OWN, none without the capability."""
    if not user.is_authenticated or user.company_id is None:
        return Line.objects.none()
    scope = scope_for(user.profile, capability)
    lines = company_lines(company=user.company_id).select_related("contract")
    if scope in (Scope.ALL, Scope.YES):
        return lines
    if scope == Scope.OWN:
        mine = Q(assignee=user)
        if user.profile in REFERENTE_PROFILES:
            mine |= Q(_delegated_to(user))
        return lines.filter(mine)
    return Line.objects.none()


def referente_line_ids(*, user: User) -> list[int]:
    return list(
        LineUserObjectPermission.objects.filter(
            user=user, permission__codename=REFERENTE_PERMISSION
        ).values_list("content_object_id", flat=True)
    )


def employees_for(*, company_id: int) -> QuerySet[User]:
    """The company's people with their lines, for the employees table (fixed query count)."""
    return (
        User.objects.filter(company_id=company_id, is_active=True)
        .prefetch_related(Prefetch("assigned_lines", queryset=Line.objects.order_by("number")))
        .order_by("last_name", "first_name", "username")
    )


def employee_get_for_user(*, user: User, pk: int) -> User:
    """Another person of `user`'s company; 404 for anyone else, like a missing one."""
    return get_object_or_404(User, pk=pk, company_id=user.company_id, is_active=True)


def open_invitations(*, company_id: int) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        company_id=company_id, accepted_at__isnull=True, revoked_at__isnull=True
    ).order_by("-sent_at")


def audit_entries(
    *,
    company_id: int,
    action: str = "",
    person: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.filter(company_id=company_id)
    if action:
        entries = entries.filter(action=action)
    if person:
        entries = entries.filter(Q(actor_name__icontains=person) | Q(target_name__icontains=person))
    if since:
        entries = entries.filter(at__date__gte=since)
    if until:
        entries = entries.filter(at__date__lte=until)
    return entries.order_by("-at", "-id")


def pending_invitations_summary(
    *, company_id: int, limit: int = 5
) -> tuple[Sequence[Invitation], int]:
    """The people invited who have not registered yet (D4), the oldest first: one query."""
    invitations = open_invitations(company_id=company_id).annotate(total=Window(Count("pk")))
    rows = list(invitations.order_by("sent_at", "id")[:limit])
    return rows, int(rows[0].total) if rows else 0


def recent_profile_changes(
    *, company_id: int, since: datetime, limit: int = 5
) -> tuple[Sequence[AuditEntry], int]:
    """The company's web profile changes since `since` (D5, R5), the latest first."""
    entries = AuditEntry.objects.filter(
        company_id=company_id, action=AuditEntry.Action.PROFILE_CHANGED, at__gte=since
    ).annotate(total=Window(Count("pk")))
    rows = list(entries.order_by("-at", "-id")[:limit])
    return rows, int(rows[0].total) if rows else 0


# --- Cost centres, for the filters of every list of lines, SIMs and invoice rows -----------

# The `cost_centre` filter's value for the lines (rows) that belong to no centre.
WITHOUT_COST_CENTRE = "nessuno"
# Ids are PostgreSQL bigints: a bigger number names no centre (and must not reach the query).
MAX_ID = 2**63 - 1
M = TypeVar("M", bound=Model)


def cost_centres_of(*, company_id: int) -> QuerySet[CostCentre]:
    """The company's cost centres, by code."""
    return CostCentre.objects.filter(company_id=company_id).order_by("code")


def cost_centre_filter_choices(*, company_id: int) -> list[tuple[str, str]]:
    """The choices of a `cost_centre` filter (one query): every centre, then none; empty
    when the company has no centre, so that the filter is not shown."""
    centres = [
        (str(centre.pk), str(centre))
        for centre in cost_centres_of(company_id=company_id).only("pk", "code", "name")
    ]
    if not centres:
        return []
    return [
        ("", _("Tutti i centri di costo")),
        *centres,
        (WITHOUT_COST_CENTRE, _("Senza centro di costo")),
    ]


def filter_by_cost_centre(
    items: QuerySet[M], value: str, *, field: str = "cost_centre"
) -> QuerySet[M]:
    """`items` whose `field` is the centre `value` names (a pk among the choices above, which
    the filter's form checked), or none for WITHOUT_COST_CENTRE; all of them for ""."""
    if value == WITHOUT_COST_CENTRE:
        return items.filter(**{f"{field}__isnull": True})
    if value.isdigit() and int(value) <= MAX_ID:
        return items.filter(**{f"{field}_id": int(value)})
    return items
