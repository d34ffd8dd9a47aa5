"""A second pair of eyes (the company's validatori): the decision on a request that waits
for approval, bound to exactly what the approver saw; the LR's rules of who approves what.

The gate that puts a request here is `tracking.services.request_create`; a section's own
effects of an approval (a profile that changes at once) are its completion handler."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import AuditEntry, Company, User
from core.exceptions import ActionRefused
from tracking.approval_policy import NAMEABLE_PROFILES, approvers_of, policy_of
from tracking.models import (
    APPROVABLE_KINDS,
    ApprovalDecision,
    ApprovalPolicy,
    Request,
    RequestKind,
    RequestState,
)
from tracking.services import _move, _notify_requester

# Kinds the area applies itself once approved (no back office step): approval completes them.
SELF_APPLIED_KINDS = frozenset({RequestKind.PROFILE_CHANGE})


class ApprovalRefused(ActionRefused):
    """The decision cannot be taken; the message says why, for the approver."""


def fingerprint(request: Request) -> str:
    """What the request asks, as a digest: its kind, line, requester and details. The
    decision page carries it; a request changed since no longer matches."""
    content: dict[str, Any] = {
        "kind": request.kind,
        "line": request.line_id,
        "requester": request.requester_id,
        "summary": request.summary,
        "details": request.details,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def pending_for(*, user: User) -> QuerySet[Request]:
    """The requests waiting for `user`'s decision: the company's awaiting approval, if
    `user` is one of its approvers now, except their own."""
    if user.company is None or not approvers_of(user.company).filter(pk=user.pk).exists():
        return Request.objects.none()
    return (
        Request.objects.filter(company=user.company, state=RequestState.AWAITING_APPROVAL)
        .exclude(requester=user)
        .select_related("requester", "line")
        .order_by("created_at", "id")
    )


def pending_count(*, user: User) -> int:
    return pending_for(user=user).count()


@transaction.atomic
def request_decide(
    *, request: Request, approver: User, approve: bool, note: str, seen: str
) -> Request:
    """Approve (to the back office, or completed for SELF_APPLIED_KINDS) or reject a request
    awaiting approval, read under its row lock: two approvers at once make one decision.
    Refused (ApprovalRefused) when it is decided already, is `approver`'s own, `approver`
    is not one of the company's approvers now, or it changed since the page that showed
    it (`seen`, its fingerprint then)."""
    locked = Request.objects.select_for_update().select_related("company").get(pk=request.pk)
    if locked.state != RequestState.AWAITING_APPROVAL:
        decision = ApprovalDecision.objects.filter(request=locked).first()
        raise ApprovalRefused(
            _("La richiesta %(reference)s è già stata decisa da %(name)s.")
            % {"reference": locked.reference, "name": decision.decider_name}
            if decision
            else _("La richiesta %(reference)s non è più in approvazione (%(state)s).")
            % {"reference": locked.reference, "state": locked.get_state_display()}
        )
    if locked.requester_id == approver.pk:
        raise ApprovalRefused(
            _("Non puoi approvare una tua richiesta: decide un altro validatore.")
        )
    if not approvers_of(locked.company).filter(pk=approver.pk).exists():
        raise ApprovalRefused(_("Non sei tra i validatori dell'azienda."))
    current = fingerprint(locked)
    if seen != current:
        raise ApprovalRefused(
            _(
                "La richiesta è cambiata dopo che l'hai aperta: rileggila e decidi di nuovo "
                "(nulla è stato approvato)."
            )
        )
    if not approve and not note.strip():
        raise ApprovalRefused(_("Per respingere la richiesta scrivi il motivo al richiedente."))
    ApprovalDecision.objects.create(
        request=locked,
        approved=approve,
        decided_by=approver,
        decider_name=approver.get_full_name() or approver.username,
        note=note.strip(),
        fingerprint=current,
    )
    if approve:
        to_state = (
            RequestState.COMPLETED if locked.kind in SELF_APPLIED_KINDS else RequestState.SUBMITTED
        )
    else:
        to_state = RequestState.REJECTED
    _move(locked, to_state=to_state, actor=approver, note=note.strip())
    audit_record(
        actor=approver,
        action=AuditEntry.Action.REQUEST_APPROVED
        if approve
        else AuditEntry.Action.REQUEST_REJECTED,
        company=locked.company,
        target=locked.requester,
        changes={"request": locked.reference, "kind": locked.kind, "note": note.strip()},
    )
    _notify_requester(locked, note.strip())
    return locked


@transaction.atomic
def policy_update(
    *,
    actor: User,
    company: Company,
    kinds: Iterable[str],
    legal_rep_approves: bool,
    approvers: Iterable[User],
) -> ApprovalPolicy:
    """The LR's rules: which kinds need approval, whether the LR approves, which people of
    the company (holding a profile that may approve) are validators. Audited. Requests
    already waiting keep waiting: the new approvers decide them."""
    chosen_kinds = sorted(set(kinds))
    unknown = set(chosen_kinds) - set(APPROVABLE_KINDS)
    if unknown:
        raise ValueError(f"Not approvable: {sorted(unknown)}")
    named = list(approvers)
    if any(p.company_id != company.pk or p.profile not in NAMEABLE_PROFILES for p in named):
        raise ActionRefused(_("I validatori si scelgono tra gli Amministratori Full dell'azienda."))
    if chosen_kinds and not legal_rep_approves and not named:
        raise ActionRefused(_("Scegli chi approva le richieste."))
    policy, _created = ApprovalPolicy.objects.select_for_update().get_or_create(company=company)
    before = {
        "kinds": policy.kinds,
        "legal_rep_approves": policy.legal_rep_approves,
        "approvers": sorted(str(p) for p in policy.approvers.all()),
    }
    policy.kinds = chosen_kinds
    policy.legal_rep_approves = legal_rep_approves
    policy.save()
    policy.approvers.set(named)
    after = {
        "kinds": chosen_kinds,
        "legal_rep_approves": legal_rep_approves,
        "approvers": sorted(str(p) for p in named),
    }
    if before != after:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.APPROVAL_POLICY_CHANGED,
            company=company,
            changes={"from": before, "to": after},
        )
    return policy


def policy_for_page(company: Company) -> ApprovalPolicy:
    """The company's rules, or the defaults (nothing to approve, the LR approves)."""
    return policy_of(company) or ApprovalPolicy(company=company)
