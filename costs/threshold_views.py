"""Soglie (K3): the company's thresholds with this month's figures; create, change, remove."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import requires, user_of
from accounts.roles import Capability as C
from accounts.selectors import company_id_of
from consumption import thresholds
from core.exceptions import ActionRefused
from core.pagination import paginate
from costs.threshold_forms import ThresholdForm

PER_PAGE = 25


@requires(C.MANAGE_THRESHOLDS)
def threshold_list(request: HttpRequest) -> HttpResponse:
    company_id = company_id_of(user_of(request))
    month = timezone.localdate().replace(day=1)
    page, query = paginate(
        request, thresholds.thresholds_of_company(company_id=company_id), PER_PAGE
    )
    # The figures of the page's thresholds only: a fixed number of queries per page.
    states = thresholds.threshold_states(page.object_list, month=month)
    context = {
        "states": states,
        "page": page,
        "query": query,
        "month_label": thresholds.month_name(month),
    }
    return render(request, "costs/thresholds.html", context)


@requires(C.MANAGE_THRESHOLDS)
@require_http_methods(["GET", "POST"])
def threshold_create(request: HttpRequest) -> HttpResponseBase:
    user = user_of(request)
    form = ThresholdForm(request.POST or None, company_id=company_id_of(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            thresholds.threshold_save(
                actor=user,
                line=form.line,
                cost_centre=form.centre,
                metric=data["metric"],
                limit=data["limit"],
                recipients=data["recipients"],
            )
        except ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request, _("Soglia salvata: gli avvisi partono dal prossimo carico dei consumi.")
            )
            return redirect("costs:thresholds")
    return render(request, "costs/threshold_form.html", {"form": form, "threshold": None})


@requires(C.MANAGE_THRESHOLDS)
@require_http_methods(["GET", "POST"])
def threshold_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = user_of(request)
    company_id = company_id_of(user)
    threshold = thresholds.threshold_get_for_company(company_id=company_id, pk=pk)
    form = ThresholdForm(request.POST or None, company_id=company_id, instance=threshold)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            thresholds.threshold_save(
                actor=user,
                threshold=threshold,
                metric=data["metric"],
                limit=data["limit"],
                recipients=data["recipients"],
            )
        except ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Soglia aggiornata."))
            return redirect("costs:thresholds")
    context = {
        "form": form,
        "threshold": threshold,
        "subject": thresholds.threshold_subject(threshold),
    }
    return render(request, "costs/threshold_form.html", context)


@requires(C.MANAGE_THRESHOLDS)
@require_http_methods(["GET", "POST"])
def threshold_delete(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = user_of(request)
    threshold = thresholds.threshold_get_for_company(company_id=company_id_of(user), pk=pk)
    if request.method == "POST":
        thresholds.threshold_delete(actor=user, threshold=threshold)
        messages.success(request, _("Soglia eliminata."))
        return redirect("costs:thresholds")
    context = {
        "threshold": threshold,
        "subject": thresholds.threshold_subject(threshold),
        "limit": thresholds.metric_amount(threshold.metric, threshold.limit),
    }
    return render(request, "costs/threshold_delete.html", context)
