"""Which requests wait for a second person of the company, and who that person may be.

Read by `tracking.services.request_create` (the gate every section's request goes through)
and by the approvals' pages; the decisions themselves are `tracking.approvals`."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Company, User
from accounts.notifications import notify
from accounts.roles import Capability, Profile, can, scope_for
from core.mail import send_templated_email
from tracking.models import APPROVABLE_KINDS, ApprovalPolicy, Channel, Request

# The profiles that can be named validators besides the LR (MATRIX's T2 holders).
NAMEABLE_PROFILES = frozenset(
    profile
    for profile in (Profile.FULL, Profile.LIGHT, Profile.USER)
    if scope_for(profile, Capability.APPROVE_REQUESTS) is not None
)


def _labels(profiles: frozenset[Profile] | list[Profile]) -> str:
    return ", ".join(str(p.label) for p in Profile if p in profiles)


def managers_label() -> str:
    """The profiles that set the rules (MATRIX's D9 holders), for the pages' copy."""
    return _labels([p for p in Profile if scope_for(p, Capability.MANAGE_APPROVALS) is not None])


def nameable_label() -> str:
    """The profiles that may be chosen to approve, for the pages' copy."""
    return _labels(NAMEABLE_PROFILES)


def no_approver_message(requester: User | None) -> str:
    """Why a request needing approval cannot be made: worded for who can fix it (sets the
    rules) or who must ask them."""
    if requester is not None and can(requester, Capability.MANAGE_APPROVALS):
        return _(
            "Questa richiesta va approvata, ma nessun altro può farlo: scegli chi approva in "
            "«Visualizza profilo e dati azienda», «Approvazioni delle richieste»."
        )
    return _(
        "Questa richiesta va approvata, ma nessun altro può farlo: chiedi a chi ha il profilo "
        "%(profiles)s di scegliere chi approva in «Visualizza profilo e dati azienda»."
    ) % {"profiles": managers_label()}


def policy_of(company: Company) -> ApprovalPolicy | None:
    return ApprovalPolicy.objects.filter(company=company).first()


def approval_needed(*, company: Company, kind: str, channel: str) -> bool:
    """Whether a request of `kind` the company's people open in the area waits for approval.
    Other channels (a shop, an agent) identify the customer their own way."""
    if channel != Channel.WEB or kind not in APPROVABLE_KINDS:
        return False
    policy = policy_of(company)
    return policy is not None and kind in policy.kinds


def approvers_of(company: Company) -> QuerySet[User]:
    """The active people who may decide the company's approvals now: the LR when the policy
    says so, and the named validators who still hold a profile that may approve."""
    policy = policy_of(company)
    if policy is None:
        return User.objects.none()
    chosen = Q(pk__in=policy.approvers.values("pk"), profile__in=NAMEABLE_PROFILES)
    if policy.legal_rep_approves:
        chosen |= Q(profile=Profile.LR)
    return User.objects.filter(chosen, company=company, is_active=True).order_by(
        "last_name", "first_name", "pk"
    )


def is_approver(user: User) -> bool:
    return user.company is not None and approvers_of(user.company).filter(pk=user.pk).exists()


def announce_to_approvers(request: Request, *, revision: str = "") -> None:
    """A new request waits: its approvers (but its requester) hear of it by e-mail and in
    their notifications, after the commit. `revision` names a changed version of it (the
    requester edited it), which they hear of again."""
    approvers = [
        person for person in approvers_of(request.company) if person.pk != request.requester_id
    ]
    if not approvers:
        return
    url = reverse("tracking:approval-detail", args=[request.reference])
    notify(
        recipients=approvers,
        kind="approval",
        title=(
            _("Richiesta %(reference)s modificata: da approvare")
            if revision
            else _("Richiesta %(reference)s da approvare")
        )
        % {"reference": request.reference},
        body=request.summary,
        url=url,
        key=f"approval:{request.reference}" + (f":{revision}" if revision else ""),
    )
    addresses = sorted({person.email for person in approvers if person.email})
    if addresses:
        send_templated_email(
            "tracking/email/approval_needed",
            {"request": request, "url": settings.SITE_URL + url},
            addresses,
        )
