"""Cost centres and the lines assigned to them: every write of the section's cost centres.

A line's centre changes only through `lines_assign`, which writes its history
(LineCostCentreChange) in the same transaction: a month's usage rolls up by the centre the
line had at that month's end, so moving a line does not rewrite past months."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import CostCentre, Line, LineCostCentreChange, User
from accounts.selectors import actor_company_id, company_lines
from core.exceptions import ActionRefused
from core.italy import phone_number_e164

# What a code may hold once upper-cased: ASCII letters, digits, "-", "_", "." (the help text
# says so), and no more than the column does. The text typed must be ASCII too: "ß" would
# turn into "SS" and change the length, "ı" into "I".
CODE_MAX_LENGTH = 20
_CODE = re.compile(r"[A-Z0-9._-]+")


def cost_centre_code(text: str) -> str:
    """`text` as a centre's code is stored: stripped and upper-case. ValidationError when it
    is not one."""
    code = text.strip().upper()
    if not code or not text.isascii() or not _CODE.fullmatch(code):
        raise ValidationError(
            _(
                "Il codice può contenere solo lettere senza accenti (A-Z), cifre, trattini, "
                "punti e trattini bassi."
            ),
            code="invalid_code",
        )
    if len(code) > CODE_MAX_LENGTH:
        raise ValidationError(
            _("Il codice può avere al massimo %(count)d caratteri.") % {"count": CODE_MAX_LENGTH},
            code="too_long",
        )
    return code


def _valid_code(text: str) -> str:
    try:
        return cost_centre_code(text)
    except ValidationError as error:
        raise ActionRefused(error.messages[0]) from None


def _code_taken() -> ActionRefused:
    return ActionRefused(_("Esiste già un centro di costo con questo codice: scegline un altro."))


def _check_manager(company_id: int, manager: User | None) -> None:
    if manager is not None and (manager.company_id != company_id or not manager.is_active):
        raise ActionRefused(_("Scegli il responsabile tra le persone attive della tua azienda."))


@transaction.atomic
def cost_centre_create(*, user: User, code: str, name: str, manager: User | None) -> CostCentre:
    company_id = actor_company_id(user)
    _check_manager(company_id, manager)
    code = _valid_code(code)
    if CostCentre.objects.filter(company_id=company_id, code=code).exists():
        raise _code_taken()
    try:
        # A savepoint: a concurrent creation with the same code loses here, not with a 500.
        with transaction.atomic():
            return CostCentre.objects.create(
                company_id=company_id, code=code, name=name.strip(), manager=manager
            )
    except IntegrityError:
        raise _code_taken() from None


@transaction.atomic
def cost_centre_update(
    *, user: User, cost_centre: CostCentre, code: str, name: str, manager: User | None
) -> CostCentre:
    company_id = actor_company_id(user)
    if cost_centre.company_id != company_id:
        raise ActionRefused(_("Centro di costo non trovato."))
    _check_manager(company_id, manager)
    code = _valid_code(code)
    others = CostCentre.objects.filter(company_id=company_id, code=code).exclude(pk=cost_centre.pk)
    if others.exists():
        raise _code_taken()
    cost_centre.code, cost_centre.name, cost_centre.manager = code, name.strip(), manager
    try:
        with transaction.atomic():
            cost_centre.save(update_fields=["code", "name", "manager"])
    except IntegrityError:
        raise _code_taken() from None
    return cost_centre


@transaction.atomic
def cost_centre_delete(*, user: User, cost_centre: CostCentre) -> int:
    """Delete the centre; its lines become unassigned, with a history row each. Refused
    when invoice rows name it (they keep the centre of the time they were issued). Returns
    how many lines it had."""
    if cost_centre.company_id != actor_company_id(user):
        raise ActionRefused(_("Centro di costo non trovato."))
    line_ids = list(cost_centre.lines.values_list("pk", flat=True))
    moved = lines_assign(user=user, cost_centre=None, line_ids=line_ids)
    try:
        with transaction.atomic():
            cost_centre.delete()
    except ProtectedError:
        # The whole deletion is undone, the lines' moves included.
        raise ActionRefused(
            _(
                "Il centro di costo compare nelle righe di fatture già emesse e non si può "
                "eliminare: puoi cambiarne il nome o spostarne le linee."
            )
        ) from None
    return moved


@transaction.atomic
def lines_assign(*, user: User, cost_centre: CostCentre | None, line_ids: Iterable[int]) -> int:
    """Assign the lines `line_ids` of the user's company to `cost_centre` (None: to no
    centre), with one UPDATE, and one history row for each line that really moved. Lines
    of other companies (or that do not exist) are refused, and nothing changes. Returns
    how many lines moved."""
    company_id = actor_company_id(user)
    if cost_centre is not None and cost_centre.company_id != company_id:
        raise ActionRefused(_("Centro di costo non trovato."))
    wanted = set(line_ids)
    if not wanted:
        return 0
    target = cost_centre.pk if cost_centre is not None else None
    # Locked, so that two assignments of the same lines write a coherent history.
    current = dict(
        company_lines(company=company_id)
        .filter(pk__in=wanted)
        # The lines only: the query joins their contracts, which others may be changing.
        .select_for_update(of=("self",))
        .values_list("pk", "cost_centre_id")
    )
    if len(current) != len(wanted):
        raise ActionRefused(_("Alcune delle linee indicate non sono della tua azienda."))
    moving = sorted(pk for pk, centre in current.items() if centre != target)
    if not moving:
        return 0
    Line.objects.filter(pk__in=moving).update(cost_centre=target)
    now = timezone.now()
    LineCostCentreChange.objects.bulk_create(
        LineCostCentreChange(line_id=pk, cost_centre_id=target, since=now, changed_by=user)
        for pk in moving
    )
    return len(moving)


class NumberOutcome(StrEnum):
    ASSIGNED = "assigned"
    ALREADY = "already"
    UNKNOWN = "unknown"
    INVALID = "invalid"


@dataclass(frozen=True)
class NumberRow:
    """One row of an uploaded file of numbers, and what became of it."""

    row: int
    text: str
    outcome: NumberOutcome


def _stored_forms(e164: str) -> tuple[str, ...]:
    """How a number may be stored: E.164, and the digits-only values stored before it."""
    forms = [e164, e164.removeprefix("+")]
    if e164.startswith("+39"):
        forms.append(e164.removeprefix("+39"))
    return tuple(forms)


@transaction.atomic
def lines_assign_numbers(
    *, user: User, cost_centre: CostCentre, rows: Sequence[tuple[int, str]]
) -> list[NumberRow]:
    """Assign to `cost_centre` the lines whose numbers the rows of a file name, row by row:
    the company's lines are assigned (or were there already); numbers that are not valid or
    name no line of the company are reported and change nothing. Fixed queries, whatever
    the number of rows."""
    company_id = actor_company_id(user)
    parsed: list[tuple[int, str, str | None]] = []
    for row, text in rows:
        try:
            parsed.append((row, text, phone_number_e164(text)))
        except ValidationError:
            parsed.append((row, text, None))
    wanted = {form for _row, _text, e164 in parsed if e164 for form in _stored_forms(e164)}
    by_form: dict[str, tuple[int, int | None]] = {}
    for pk, number, centre in (
        company_lines(company=company_id)
        .filter(number__in=wanted)
        .values_list("pk", "number", "cost_centre_id")
    ):
        by_form[number] = (pk, centre)
    report: list[NumberRow] = []
    moving: set[int] = set()
    for row, text, e164 in parsed:
        if e164 is None:
            report.append(NumberRow(row, text, NumberOutcome.INVALID))
            continue
        found = next((by_form[form] for form in _stored_forms(e164) if form in by_form), None)
        if found is None:
            outcome = NumberOutcome.UNKNOWN
        elif found[1] == cost_centre.pk or found[0] in moving:
            outcome = NumberOutcome.ALREADY
        else:
            moving.add(found[0])
            outcome = NumberOutcome.ASSIGNED
        report.append(NumberRow(row, text, outcome))
    lines_assign(user=user, cost_centre=cost_centre, line_ids=moving)
    return report
