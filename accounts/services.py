"""Writes about people and companies. Each function is one transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import AuditEntry, Company, User
from accounts.roles import Profile


class LegalRepresentativeError(ValueError):
    pass


def audit_record(
    *,
    actor: User | None,
    action: AuditEntry.Action,
    company: Company | None = None,
    target: User | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor,
        actor_name=str(actor) if actor else "sistema",
        company=company,
        action=action,
        target=target,
        target_name=str(target) if target else "",
        changes=changes or {},
    )


@transaction.atomic
def company_change_legal_representative(
    *, company: Company, new_legal_rep: User, actor: User
) -> None:
    """Back office only (R1): make `new_legal_rep` the company's LR. The previous LR account,
    if any, becomes a USER (least privilege; the new LR may promote it), the company's
    record names the new person, and the audit log says who did it."""
    if new_legal_rep.company_id != company.pk:
        raise LegalRepresentativeError("The new legal representative is not of this company.")
    if not new_legal_rep.tax_code:
        raise LegalRepresentativeError("The new legal representative has no codice fiscale.")
    # Lock the company's people so two operators cannot swap the LR at once.
    people = {u.pk: u for u in User.objects.select_for_update().filter(company=company)}
    previous = next((u for u in people.values() if u.profile == Profile.LR), None)
    if previous is not None and previous.pk == new_legal_rep.pk:
        return
    new_previous_profile = people[new_legal_rep.pk].profile
    if previous is not None:
        previous.profile = Profile.USER
        previous.save(update_fields=["profile"])
    new_legal_rep.profile = Profile.LR
    new_legal_rep.save(update_fields=["profile"])
    company.legal_rep_first_name = new_legal_rep.first_name
    company.legal_rep_last_name = new_legal_rep.last_name
    company.legal_rep_tax_code = new_legal_rep.tax_code
    company.save(
        update_fields=["legal_rep_first_name", "legal_rep_last_name", "legal_rep_tax_code"]
    )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.LEGAL_REP_CHANGED,
        company=company,
        target=new_legal_rep,
        changes={
            "previous_legal_rep": str(previous) if previous else None,
            "previous_legal_rep_id": previous.pk if previous else None,
            "new_legal_rep": str(new_legal_rep),
            "new_legal_rep_previous_profile": new_previous_profile,
        },
    )
