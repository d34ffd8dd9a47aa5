"""Which requests wait for a second person of the company, and who that person may be.

Read by `tracking.services.request_create` (the gate every section's request goes through)
and by the approvals' pages; the decisions themselves are `tracking.approvals`."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Company, User
from accounts.notifications import notify
from accounts.roles import Capability, Profile, scope_for
from core.mail import send_templated_email
from tracking.models import APPROVABLE_KINDS, ApprovalPolicy, Channel, Request, RequestKind

# The profiles that can be named validators besides the LR (MATRIX's T2 holders).
NAMEABLE_PROFILES = frozenset(
    profile
    for profile in (Profile.FULL, Profile.LIGHT, Profile.USER)
    if scope_for(profile, Capability.APPROVE_REQUESTS) is not None
)


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


def approval_kind_label(kind: str) -> str:
    return str(APPROVABLE_KINDS[RequestKind(kind)])


def announce_to_approvers(request: Request) -> None:
    """A new request waits: its approvers (but its requester) hear of it by e-mail and in
    their notifications, after the commit."""
    approvers = [
        person for person in approvers_of(request.company) if person.pk != request.requester_id
    ]
    url = reverse("tracking:approval-detail", args=[request.reference])
    notify(
        recipients=approvers,
        kind="approval",
        title=_("Richiesta %(reference)s da approvare") % {"reference": request.reference},
        body=request.summary,
        url=url,
        key=f"approval:{request.reference}",
    )
    addresses = sorted({person.email for person in approvers if person.email})
    if addresses:
        send_templated_email(
            "tracking/email/approval_needed", {"request": request, "url": url}, addresses
        )
