"""Reads for Linee e servizi, scoped by the role matrix through accounts.selectors."""

from __future__ import annotations

from typing import TypedDict

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Contract, Line, Sim, User
from accounts.roles import Capability, Scope, can, scope_for, section_capabilities
from accounts.selectors import lines_for_user
from lines.models import LineEvent, LineService
from tracking.models import Request

HISTORY_LENGTH = 20


def line_list_for_user(*, user: User) -> QuerySet[Line]:
    """The lines `user` sees in this section: the widest scope among the section's
    capabilities they hold (all lines for LR and FULL, their own for LIGHT)."""
    held = [cap for cap in section_capabilities("lines") if can(user, cap)]
    if not held:
        return Line.objects.none()
    widest = min(held, key=lambda cap: scope_for(user.profile, cap) == Scope.OWN)
    return lines_for_user(user=user, capability=widest)


class LineRow(TypedDict):
    pk: int
    number: str
    label: str
    kind_label: str
    state_label: str
    # The badge's colour as partials/line_state.html gives it to a Line in the same state:
    # the list writes the badge inline, 50 includes cost it more than the rest of a row.
    state_badge: str
    assignee: str  # "–" for nobody, as the page shows it
    services: str  # the active services' names, ", "-joined; "–" for none
    url: str  # the view's to fill: selectors know no URLs


def line_rows(lines: QuerySet[Line]) -> list[LineRow]:
    """One page of the line list as plain values ready to print, with the names of the
    active services: two queries, and no model instances (they cost more than the rest of
    the page). The template prints each value as it is: a row costs it no filter or tag."""
    # Labels translated once a page, not once a row. A row answers what its state allows as
    # a Line in that state does.
    kinds = {code: str(label) for code, label in Contract.Kind.choices}
    in_state = {code: Line(state=code) for code in Line.State.values}
    state_labels = {code: line.state_label for code, line in in_state.items()}
    badges = {code: line.state_badge for code, line in in_state.items()}
    values = list(
        lines.values_list(
            "pk",
            "number",
            "label",
            "contract__kind",
            "state",
            "assignee__first_name",
            "assignee__last_name",
        )
    )
    services: dict[int, list[str]] = {pk: [] for pk, *_rest in values}
    active = LineService.objects.filter(line__in=services, until__isnull=True)
    for line_id, name in active.order_by("kind", "name").values_list("line_id", "name"):
        services[line_id].append(name)
    return [
        LineRow(
            pk=pk,
            number=number,
            label=label,
            kind_label=kinds[kind],
            state_label=state_labels[state],
            state_badge=badges[state],
            assignee=f"{first_name or ''} {last_name or ''}".strip() or "–",
            services=", ".join(services[pk]) or "–",
            url="",
        )
        for pk, number, label, kind, state, first_name, last_name in values
    ]


def line_get_for_user(*, user: User, pk: int) -> Line:
    return get_object_or_404(
        line_list_for_user(user=user).select_related("contract", "assignee", "cost_centre"),
        pk=pk,
    )


def line_for_action(*, user: User, capability: Capability, pk: int, kind: str) -> Line:
    """A line of `kind` in `user`'s scope for `capability`; anything else is 404 (a fixed
    line has no SIM to block, a mobile one has no site to move)."""
    lines = lines_for_user(user=user, capability=capability).select_related("assignee")
    return get_object_or_404(lines.filter(contract__kind=kind), pk=pk)


def mobile_line_for_action(*, user: User, capability: Capability, pk: int) -> Line:
    return line_for_action(user=user, capability=capability, pk=pk, kind=Contract.Kind.MOBILE)


def line_active_services(line: Line) -> list[LineService]:
    return list(line.services.filter(until__isnull=True).order_by("kind", "name"))


def line_active_sim(line: Line) -> Sim | None:
    return line.sims.filter(is_active=True).first()


def line_block_in_force(line: Line) -> LineEvent | None:
    """The block that stopped the SIM, while it is blocked."""
    if not line.is_blocked:
        return None
    return LineEvent.objects.filter(line=line, kind=LineEvent.Kind.BLOCKED).first()


def line_history(line: Line) -> QuerySet[LineEvent]:
    return LineEvent.objects.filter(line=line).order_by("-at", "-id")[:HISTORY_LENGTH]


def line_requests(line: Line) -> QuerySet[Request]:
    return Request.objects.filter(line=line).order_by("-created_at", "-id")[:HISTORY_LENGTH]
