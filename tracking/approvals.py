"""A second pair of eyes (the company's validatori): the decision on a request that waits
for approval, bound to exactly what the approver saw; the LR's rules of who approves what.

The gate that puts a request here is `tracking.services.request_create`; a section's own
effects of an approval (a profile that changes at once) are its completion handler."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, QuerySet
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import AuditEntry, Company, User
from accounts.roles import Capability, Profile, can
from core.exceptions import ActionRefused
from core.plainsql import fetch_one, quoted_table
from tracking.approval_policy import (
    NAMEABLE_PROFILES,
    approvers_of,
    managers_label,
    nameable_label,
    policy_of,
)
from tracking.models import (
    APPROVABLE_KINDS,
    ApprovalDecision,
    ApprovalPolicy,
    Request,
    RequestKind,
    RequestState,
)
from tracking.services import CompletionRefused, _move, _notify_requester

LinesOf = Callable[[Request], list[str]]

# Kinds the area applies itself once approved (no back office step): approval completes them.
SELF_APPLIED_KINDS = frozenset({RequestKind.PROFILE_CHANGE})


# Per kind, the numbers of the lines a request covers when its section keeps them as rows
# rather than in its details (an offer activation's lines): the approval page lists them and
# the fingerprint covers them. Registered by the section (tracking cannot import it), as
# completion handlers are.
LINES_OF: dict[RequestKind, Callable[[Request], list[str]]] = {}


def lines_of(kind: RequestKind) -> Callable[[LinesOf], LinesOf]:
    def register(handler: LinesOf) -> LinesOf:
        LINES_OF[kind] = handler
        return handler

    return register


def covered_lines(request: Request) -> list[str]:
    handler = LINES_OF.get(RequestKind(request.kind))
    return handler(request) if handler is not None else []


class ApprovalRefused(ActionRefused):
    """The decision cannot be taken; the message says why, for the approver."""


def fingerprint(request: Request) -> str:
    """What the request asks, as a digest: its kind, line, requester, details and the lines
    it covers (`covered_lines`). The
    decision page carries it; a request changed since no longer matches."""
    content: dict[str, Any] = {
        "kind": request.kind,
        "line": request.line_id,
        "requester": request.requester_id,
        "summary": request.summary,
        "details": request.details,
        "lines": covered_lines(request),
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def pending_for(*, user: User) -> QuerySet[Request]:
    """The requests waiting for `user`'s decision: the company's awaiting approval, if
    `user` is one of its approvers now (`approvers_of`, asked inside the same query: the
    header counts them on every page), except their own."""
    if not user.is_active or user.company_id is None:
        return Request.objects.none()
    policy = ApprovalPolicy.objects.filter(company_id=user.company_id)
    if user.profile == Profile.LR:
        approves = Exists(policy.filter(legal_rep_approves=True))
    elif user.profile in NAMEABLE_PROFILES:
        approves = Exists(policy.filter(approvers=user))
    else:
        return Request.objects.none()
    return (
        Request.objects.filter(
            approves, company_id=user.company_id, state=RequestState.AWAITING_APPROVAL
        )
        .exclude(requester=user)
        .select_related("requester", "line")
        .order_by("created_at", "id")
    )


@cache
def _pending_count_sql(*, legal_rep: bool) -> str:
    """`pending_for(...).count()` as plain SQL, for the LR or for a nameable approver. A
    request whose requester left (NULL) counts, as in the ORM's exclusion."""
    quote = connection.ops.quote_name
    field: Any = ApprovalPolicy._meta.get_field("approvers")
    policy = quoted_table(ApprovalPolicy)
    named = quoted_table(field.remote_field.through)
    if legal_rep:
        approves = (
            f"SELECT 1 FROM {policy} p WHERE p.company_id = %(company)s AND p.legal_rep_approves"  # noqa: S608 - our own tables
        )
    else:
        approves = (
            f"SELECT 1 FROM {policy} p JOIN {named} a ON a.{quote(field.m2m_column_name())} = p.id"  # noqa: S608
            f" WHERE p.company_id = %(company)s AND a.{quote(field.m2m_reverse_name())} = %(user)s"
        )
    return (
        f"SELECT count(*) FROM {quoted_table(Request)} r"  # noqa: S608
        " WHERE r.company_id = %(company)s AND r.state = %(state)s"
        " AND (r.requester_id IS NULL OR r.requester_id <> %(user)s)"
        f" AND EXISTS ({approves})"
    )


def pending_count(*, user: User) -> int:
    """For the header of every page: no query for who cannot approve (T2), one plain COUNT
    for who can, of the same requests as `pending_for` (a test holds them equal). Through the
    ORM the count cost 1.4 ms of CPU a page, about what the rest of a signed-in request pays
    before its page's own work."""
    if not can(user, Capability.APPROVE_REQUESTS):
        return 0
    if user.profile != Profile.LR and user.profile not in NAMEABLE_PROFILES:
        return 0
    row = fetch_one(
        Request,
        _pending_count_sql(legal_rep=user.profile == Profile.LR),
        {
            "company": user.company_id,
            "state": RequestState.AWAITING_APPROVAL.value,
            "user": user.pk,
        },
    )
    return int(row[0]) if row else 0


def profile_changes_awaiting(*, company_id: int) -> dict[int, Request]:
    """The company's FULL profiles given that wait for approval, by the person's id
    (accounts' PROFILE_CHANGE details): the employees page shows them."""
    waiting = Request.objects.filter(
        company_id=company_id,
        kind=RequestKind.PROFILE_CHANGE,
        state=RequestState.AWAITING_APPROVAL,
    )
    return {tracked.details["person_id"]: tracked for tracked in waiting}


def decision_of(request: Request) -> ApprovalDecision | None:
    return ApprovalDecision.objects.filter(request=request).select_related("decided_by").first()


@transaction.atomic
def request_decide(
    *, request: Request, approver: User, approve: bool, note: str, seen: str
) -> Request:
    """Approve (to the back office, or completed for SELF_APPLIED_KINDS) or reject a request
    awaiting approval, read under its row lock: two approvers at once make one decision.
    Refused (ApprovalRefused) when it is decided already, is `approver`'s own, `approver`
    is not one of the company's approvers now, or it changed since the page that showed
    it (`seen`, its fingerprint then).

    The company's policy row is locked first (the order `policy_update` and `approver_left`
    lock in too): who approves cannot change between the check and the decision."""
    ApprovalPolicy.objects.select_for_update().filter(company_id=request.company_id).first()
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
            _(
                "Non puoi approvare una tua richiesta: la decide un'altra delle persone "
                "che approvano."
            )
        )
    if not approvers_of(locked.company).filter(pk=approver.pk).exists():
        raise ApprovalRefused(_("Non sei tra le persone che approvano le richieste dell'azienda."))
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
    try:
        _move(locked, to_state=to_state, actor=approver, note=note.strip())
    except CompletionRefused as refusal:
        # What the area applies itself no longer fits (the person's profile changed since
        # the request): nothing is decided, the approver reads why and may reject it.
        raise ApprovalRefused(str(refusal)) from refusal
    audit_record(
        actor=approver,
        action=AuditEntry.Action.REQUEST_APPROVED
        if approve
        else AuditEntry.Action.REQUEST_REJECTED,
        company=locked.company,
        target=locked.requester,
        changes={"request": locked.reference, "kind": locked.kind, "note": note.strip()},
    )
    _notify_requester(locked, note.strip(), approver=approver)
    return locked


@transaction.atomic
def request_withdraw(*, request: Request, actor: User) -> Request:
    """The requester takes back their request while it waits for approval: CANCELLED, with
    an entry in its history. Anyone else, or a request already decided: ApprovalRefused.

    That history entry (who, when, the note) is the record of the withdrawal: the audit log
    has no action for it (AuditEntry.Action is frozen for this issue), and it is the
    requester's own request, not a change to the company's people or rules."""
    locked = Request.objects.select_for_update().get(pk=request.pk)
    if locked.requester_id != actor.pk:
        raise ApprovalRefused(_("Solo chi ha fatto la richiesta può ritirarla."))
    if locked.state != RequestState.AWAITING_APPROVAL:
        raise ApprovalRefused(
            _("La richiesta %(reference)s non è più in approvazione: non si può ritirare.")
            % {"reference": locked.reference}
        )
    _move(
        locked,
        to_state=RequestState.CANCELLED,
        actor=actor,
        note=_("Ritirata da chi l'ha fatta prima dell'approvazione."),
    )
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
    already waiting of a kind still listed keep waiting, for the new approvers (refused if
    one would have nobody but its requester); those of a kind no longer listed go on to the
    back office (`_release`)."""
    chosen_kinds = sorted(set(kinds))
    unknown = set(chosen_kinds) - set(APPROVABLE_KINDS)
    if unknown:
        raise ValueError(f"Not approvable: {sorted(unknown)}")
    named = list(approvers)
    if any(
        p.company_id != company.pk or p.profile not in NAMEABLE_PROFILES or not p.is_active
        for p in named
    ):
        raise ActionRefused(
            _("Chi approva si sceglie tra le persone dell'azienda con profilo %(profiles)s.")
            % {"profiles": nameable_label()}
        )
    if chosen_kinds and not legal_rep_approves and not named:
        raise ActionRefused(_("Scegli chi approva le richieste."))
    if RequestKind.PROFILE_CHANGE in chosen_kinds and not named:
        # Only the LR asks for profile changes, and nobody approves their own request.
        raise ActionRefused(
            _(
                "I cambi di profilo li chiede solo chi ha il profilo %(profiles)s: per "
                "approvarli scegli almeno un'altra persona."
            )
            % {"profiles": managers_label()}
        )
    policy, _created = ApprovalPolicy.objects.select_for_update().get_or_create(company=company)
    before = _policy_state(policy)
    policy.kinds = chosen_kinds
    policy.legal_rep_approves = legal_rep_approves
    policy.save()
    policy.approvers.set(named)
    after = _policy_state(policy)
    waiting = _waiting(company.pk)
    stuck = [
        tracked.reference
        for tracked in waiting
        if tracked.kind in chosen_kinds and not _someone_approves(tracked)
    ]
    if stuck:
        # Raised inside the transaction: nothing of the change is kept.
        raise ActionRefused(
            _(
                "Con queste regole nessuno potrebbe approvare le richieste in attesa "
                "%(references)s: scegli chi le approva oppure toglile da quelle da approvare."
            )
            % {"references": ", ".join(stuck)}
        )
    for tracked in waiting:
        if tracked.kind not in chosen_kinds:
            _release(tracked, actor=actor)
    if before != after:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.APPROVAL_POLICY_CHANGED,
            company=company,
            changes={"from": before, "to": after},
        )
    return policy


def _policy_state(policy: ApprovalPolicy) -> dict[str, Any]:
    """The policy as the audit log records it."""
    return {
        "kinds": sorted(policy.kinds),
        "legal_rep_approves": policy.legal_rep_approves,
        "approvers": sorted(str(p) for p in policy.approvers.all()),
    }


def _waiting(company_id: int) -> list[Request]:
    """The company's requests awaiting approval, under their row locks."""
    return list(
        Request.objects.select_for_update(of=("self",))
        .filter(company_id=company_id, state=RequestState.AWAITING_APPROVAL)
        .select_related("company", "requester")
        .order_by("pk")
    )


def _someone_approves(tracked: Request) -> bool:
    return approvers_of(tracked.company).exclude(pk=tracked.requester_id or 0).exists()


def _release(tracked: Request, *, actor: User | None) -> None:
    """Nobody is to approve `tracked` any more: it goes on as if the company's rules had never
    asked for approval (to the back office), and its requester hears of it. A change the area
    applies itself (SELF_APPLIED_KINDS) is not applied unseen: it is cancelled, to be made
    again, now without approval."""
    note = _("Approvazione non più richiesta.")
    if tracked.kind in SELF_APPLIED_KINDS:
        note = _("Approvazione non più richiesta: rifai il cambio, ora si applica subito.")
        to_state = RequestState.CANCELLED
    else:
        to_state = RequestState.SUBMITTED
    _move(tracked, to_state=to_state, actor=actor, note=note)
    _notify_requester(tracked, note)


@transaction.atomic
def approver_left(*, person: User, actor: User | None) -> None:
    """`person` was deactivated or given another profile. If they were a named validatore
    and no longer may approve, they leave the company's policy (audited); requests that
    then have nobody left who may approve them are released (`_release`): the simplest
    honest rule, since waiting would be forever and the LR's choice of approvers is gone."""
    if person.company_id is None:
        return
    policy = (
        ApprovalPolicy.objects.select_for_update()
        .filter(company_id=person.company_id)
        .select_related("company")
        .first()
    )
    if policy is None:
        return
    still_approves = person.is_active and (
        person.profile in NAMEABLE_PROFILES or person.profile == Profile.LR
    )
    if not still_approves and policy.approvers.filter(pk=person.pk).exists():
        before = _policy_state(policy)
        policy.approvers.remove(person)
        audit_record(
            actor=actor,
            action=AuditEntry.Action.APPROVAL_POLICY_CHANGED,
            company=policy.company,
            changes={"from": before, "to": _policy_state(policy)},
        )
    for tracked in _waiting(person.company_id):
        if not _someone_approves(tracked):
            _release(tracked, actor=actor)


def profile_change_cancel(*, person: User, actor: User, note: str) -> None:
    """The LR changed `person`'s profile directly, or they were deactivated: a change of
    their profile still waiting for approval is moot, and is cancelled with `note`."""
    if person.company_id is None:
        return
    for tracked in Request.objects.select_for_update().filter(
        company_id=person.company_id,
        kind=RequestKind.PROFILE_CHANGE,
        state=RequestState.AWAITING_APPROVAL,
        details__person_id=person.pk,
    ):
        _move(tracked, to_state=RequestState.CANCELLED, actor=actor, note=note)


def policy_change_lines(changes: dict[str, Any]) -> list[str]:
    """An APPROVAL_POLICY_CHANGED audit entry (`_policy_state` from → to) for people: what
    was added and removed, kinds by their label, approvers by name."""
    before, after = changes.get("from") or {}, changes.get("to") or {}
    lines = []

    def kind_label(kind: str) -> str:
        return str(APPROVABLE_KINDS.get(kind, kind))  # type: ignore[call-overload]

    for key, title, label in (
        ("kinds", _("Richieste da approvare"), kind_label),
        ("approvers", _("Chi approva"), str),
    ):
        old, new = set(before.get(key) or []), set(after.get(key) or [])
        parts = [f"+ {label(item)}" for item in sorted(new - old)]
        parts += [f"− {label(item)}" for item in sorted(old - new)]
        if parts:
            lines.append(f"{title}: {', '.join(parts)}")
    if before.get("legal_rep_approves") != after.get("legal_rep_approves"):
        lines.append(
            (
                _("%(profile)s approva")
                if after.get("legal_rep_approves")
                else _("%(profile)s non approva")
            )
            % {"profile": Profile.LR.label}
        )
    return lines


def policy_for_page(company: Company) -> ApprovalPolicy:
    """The company's rules, or the defaults (nothing to approve, the LR approves)."""
    return policy_of(company) or ApprovalPolicy(company=company)
