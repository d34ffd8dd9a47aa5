"""Reads scoped to what a user may see. Every query starts from the user's company;
whatever lies outside answers 404, exactly like what does not exist (R6)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Company, Line, LineUserObjectPermission, User
from accounts.roles import REFERENTE_PROFILES, Capability, Scope, scope_for

REFERENTE_PERMISSION = "act_as_referente"


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


def line_get_for_user(*, user: User, capability: Capability, pk: int) -> Line:
    return get_object_or_404(lines_for_user(user=user, capability=capability), pk=pk)
