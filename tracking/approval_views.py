"""Approvazioni (T2): the queue of the requests waiting for the signed-in validatore, and
the page that shows one of them as it is and takes the decision."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import requires, requires_any, user_of
from accounts.models import User
from accounts.roles import Capability, section_capabilities
from tracking import approvals
from tracking.approval_forms import DecisionForm
from tracking.approval_policy import is_approver, managers_label
from tracking.details import detail_rows
from tracking.models import APPROVAL_STATES, Request, RequestState


@requires(Capability.APPROVE_REQUESTS)
def approval_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    pending = list(approvals.pending_for(user=user))
    # Only when the queue is empty does the page say why (the user may not be named).
    named = bool(pending) or is_approver(user)
    context = {"pending": pending, "named": named, "managers": managers_label()}
    return render(request, "tracking/approval_list.html", context)


@requires(Capability.APPROVE_REQUESTS)
@require_http_methods(["GET", "POST"])
def approval_detail(request: HttpRequest, reference: str) -> HttpResponseBase:
    """One of the company's requests that waits, or waited, for approval: another
    company's, or one that never needed approval, is 404. The decision form shows only
    while it waits for this user's decision; once decided, the page says who decided."""
    user = user_of(request)
    tracked = get_object_or_404(
        Request.objects.select_related("requester", "line"),
        company_id=user.company_id,
        reference=reference,
    )
    decision = approvals.decision_of(tracked)
    if decision is None and tracked.state not in APPROVAL_STATES:
        withdrawn = tracked.events.filter(from_state=RequestState.AWAITING_APPROVAL).exists()
        if not withdrawn:
            raise Http404
    pending = approvals.pending_for(user=user).filter(pk=tracked.pk).exists()
    form = DecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            approvals.request_decide(
                request=tracked,
                approver=user,
                approve=approve,
                note=form.cleaned_data["note"],
                seen=form.cleaned_data["seen"],
            )
        except approvals.ApprovalRefused as refusal:
            form.add_error(None, str(refusal))
            tracked.refresh_from_db()
            decision = approvals.decision_of(tracked)
            pending = approvals.pending_for(user=user).filter(pk=tracked.pk).exists()
        else:
            message = (
                _("Richiesta %(reference)s approvata.")
                if approve
                else _("Richiesta %(reference)s respinta.")
            )
            messages.success(request, message % {"reference": tracked.reference})
            return redirect("tracking:approval-list")
    elif request.method == "POST" and {"seen", "decision"} & set(form.errors):
        # Hidden fields: a page that did not come from here. Say it where it shows.
        form.add_error(None, _("La pagina non è valida: ricaricala e decidi di nuovo."))
    context = {
        "tracked": tracked,
        "decision": decision,
        "pending": pending,
        "form": form,
        "covered_lines": approvals.covered_lines(tracked),
        "seen": approvals.fingerprint(tracked),
        "rows": detail_rows(
            {key: value for key, value in tracked.details.items() if key != "sims"},
            labelled_only=True,
        ),
        "sims": _sims_with_names(tracked),
    }
    return render(request, "tracking/approval_detail.html", context)


def _sims_with_names(tracked: Request) -> list[dict[str, Any]]:
    """An order's SIMs as its details list them, each with the name of the person it is
    assigned to (details keep the username): one query."""
    sims = tracked.details.get("sims", []) if isinstance(tracked.details, dict) else []
    usernames = {sim.get("assignee") for sim in sims if sim.get("assignee")}
    names = {
        person.username: person.get_full_name() or person.username
        for person in User.objects.filter(company_id=tracked.company_id, username__in=usernames)
    }
    return [{**sim, "assignee_name": names.get(sim.get("assignee") or "", "")} for sim in sims]


# Whoever may open a request and follow it in «Le mie richieste» (as support's pages).
@requires_any(*section_capabilities("support"), Capability.VIEW_REQUESTS)
@require_POST
def request_withdraw(request: HttpRequest, reference: str) -> HttpResponseBase:
    """The requester takes back a request of theirs that still waits for approval, from
    its page in «Le mie richieste»; anyone else's request is 404."""
    user = user_of(request)
    tracked = get_object_or_404(Request.objects.filter(requester=user), reference=reference)
    try:
        approvals.request_withdraw(request=tracked, actor=user)
    except approvals.ApprovalRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request, _("Richiesta %(reference)s ritirata.") % {"reference": tracked.reference}
        )
    return redirect("support:request-detail", reference=tracked.reference)
