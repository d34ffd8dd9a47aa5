"""Demo cost centres: a few centres of a company, most of its lines in one, and a history with
a line that moved (billing.demo.seed_invoice_cost_centres then gives the invoices' rows the
centre their line had when issued).

Idempotent: centres are found by code, and a line's history is rewritten only when it
differs from the demo's. The history is backdated, which lines_assign (it writes "now")
cannot do: the demo writes it directly."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

from django.db import transaction
from django.utils import timezone

from accounts.models import Company, CostCentre, Line, LineCostCentreChange, User
from costs.selectors import add_months

# (code, name): the demo's centres, and which of the lines given each one gets.
CENTRES = [
    ("UFF", "Uffici"),
    ("CANT-NORD", "Cantieri Nord"),
    ("COMM", "Commerciale"),
]


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@transaction.atomic
def seed_cost_centres(
    company: Company,
    *,
    offices: Sequence[Line],
    sites: Sequence[Line],
    sales: Sequence[Line],
    moved: Line,
    manager: User | None,
    today: date,
) -> dict[str, CostCentre]:
    """`offices`, `sites` and `sales` in their centres since a year ago; `moved` in the
    sites' centre until two months ago, in sales' since (so the roll-up's past months keep
    it where it was)."""
    centres: dict[str, CostCentre] = {}
    for code, name in CENTRES:
        centre, _created = CostCentre.objects.update_or_create(
            company=company, code=code, defaults={"name": name, "manager": manager}
        )
        centres[code] = centre
    start, move = _at(add_months(today, -12)), _at(add_months(today, -2))
    plan: dict[Line, list[tuple[datetime, CostCentre]]] = {}
    for code, lines in (("UFF", offices), ("CANT-NORD", sites), ("COMM", sales)):
        for line in lines:
            plan[line] = [(start, centres[code])]
    plan[moved] = [(start, centres["CANT-NORD"]), (move, centres["COMM"])]

    existing: dict[int, list[tuple[datetime, int | None]]] = {}
    for line_id, since, centre_id in (
        LineCostCentreChange.objects.filter(line__in=plan)
        .order_by("since", "id")
        .values_list("line_id", "since", "cost_centre_id")
    ):
        existing.setdefault(line_id, []).append((since, centre_id))
    for line, history in plan.items():
        wanted = [(since, centre.pk) for since, centre in history]
        if existing.get(line.pk) != wanted:
            LineCostCentreChange.objects.filter(line=line).delete()
            LineCostCentreChange.objects.bulk_create(
                LineCostCentreChange(line=line, cost_centre=centre, since=since)
                for since, centre in history
            )
        current = history[-1][1]
        if line.cost_centre_id != current.pk:
            Line.objects.filter(pk=line.pk).update(cost_centre=current)
            line.cost_centre = current
    return centres
