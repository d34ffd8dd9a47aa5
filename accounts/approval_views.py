"""Approvazioni (D9): the LR chooses which requests need approval and who approves them."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.access import requires, user_of
from accounts.approval_forms import ApprovalPolicyForm
from accounts.models import User
from accounts.roles import Capability
from core.exceptions import ActionRefused
from tracking import approvals
from tracking.approval_policy import NAMEABLE_PROFILES, nameable_label


@requires(Capability.MANAGE_APPROVALS)
def approval_policy(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    company = user.company
    assert company is not None
    policy = approvals.policy_for_page(company)
    nameable = User.objects.filter(
        company=company, is_active=True, profile__in=NAMEABLE_PROFILES
    ).order_by("last_name", "first_name", "pk")
    initial = {
        "kinds": policy.kinds,
        "legal_rep_approves": policy.legal_rep_approves,
        # A named person no longer FULL is not offered (nor counted as a validatore).
        "approvers": list(policy.approvers.filter(pk__in=nameable)) if policy.pk else [],
    }
    form = ApprovalPolicyForm(
        request.POST if request.method == "POST" else None, nameable=nameable, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            approvals.policy_update(
                actor=user,
                company=company,
                kinds=form.cleaned_data["kinds"],
                legal_rep_approves=form.cleaned_data["legal_rep_approves"],
                approvers=form.cleaned_data["approvers"],
            )
        except ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Regole di approvazione salvate."))
            return redirect("accounts:approval-policy")
    context = {
        "form": form,
        "nameable": nameable,
        "approver_count": len(initial["approvers"]) + int(policy.legal_rep_approves),
        "needs_approval": bool(policy.kinds),
        "nameable_label": nameable_label(),
    }
    return render(request, "accounts/approval_policy.html", context)
