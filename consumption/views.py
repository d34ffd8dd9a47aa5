"""Consumi: usage of the SIMs in the user's scope, and of every SIM for the admins."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db.models import Sum
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    QueryDict,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.access import requires, user_of
from accounts.roles import Capability
from accounts.selectors import lines_for_user
from billing.charges import CATEGORY_LABELS, billed_items, billed_services
from billing.payments import failure_message
from consumption import exports, selectors, top_ups
from consumption.forms import BilledReportForm, PeriodForm, SimSearchForm, TopUpForm
from consumption.models import LinePlan, SimCredit, TopUp
from core.pagination import paginate

C = Capability


@requires(C.VIEW_USAGE)
def index(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = PeriodForm(request.GET or None)
    start, end = form.period()
    sims = selectors.sims_for_user(user=user).select_related("assignee")
    page, query = paginate(request, sims.order_by("number"), 50)
    return render(
        request,
        "consumption/index.html",
        {"page": page, "query": query, "form": form, "start": start, "end": end},
    )


@requires(C.VIEW_USAGE)
def sim_usage(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    sim = get_object_or_404(selectors.sims_for_user(user=user).select_related("assignee"), pk=pk)
    form = PeriodForm(request.GET or None)
    start, end = form.period()
    plan = LinePlan.objects.filter(line=sim).select_related("plan").first()
    days = selectors.usage_by_day(line=sim, start=start, end=end)
    context = {
        "sim": sim,
        "form": form,
        "start": start,
        "end": end,
        "totals": selectors.usage_totals(line=sim, start=start, end=end),
        "days": days,
        "plan": plan.plan if plan else None,
        "credit": SimCredit.objects.filter(line=sim).values_list("balance", flat=True).first(),
        "chart": {
            "labels": [day["day"].strftime("%d/%m") for day in days],
            "data_mb": [round(day["DATA"] / 1024, 1) for day in days],
            "voice_minutes": [-(-day["VOICE"] // 60) for day in days],
            "label_data": _("Dati (MB)"),
            "label_voice": _("Voce (minuti)"),
        },
    }
    return render(request, "consumption/sim_usage.html", context)


@requires(C.VIEW_ALL_SIMS)
def all_sims(request: HttpRequest) -> HttpResponseBase:
    user = user_of(request)
    form = SimSearchForm(request.GET or None)
    start, end = form.period()
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    sims = selectors.all_sims_usage(
        user=user, start=start, end=end, search=data.get("q", ""), sort=data.get("sort") or "number"
    )
    export = request.GET.get("formato")
    if export == "csv":
        return exports.all_sims_csv(sims, start, end)
    if export == "xlsx":
        return exports.all_sims_xlsx(sims, start, end)
    page, query = paginate(request, sims, 50)
    base = QueryDict(query, mutable=True)
    base.pop("sort", None)
    return render(
        request,
        "consumption/all_sims.html",
        {
            "form": form,
            "page": page,
            "start": start,
            "end": end,
            "query": query,
            "base_query": base.urlencode(),
            "sort": data.get("sort") or "number",
            "columns": [
                ("number", _("Numero")),
                ("assignee", _("Assegnatario")),
                ("voice", _("Voce (minuti)")),
                ("sms", _("SMS")),
                ("data", _("Dati")),
                ("cost", _("Costo extra")),
                ("credit", _("Credito residuo")),
                ("state", _("Stato")),
            ],
            "numeric": {"voice", "sms", "data", "cost", "credit"},
        },
    )


@requires(C.VIEW_BILLED_REPORTS)
def billed_report(request: HttpRequest) -> HttpResponseBase:
    """Services already billed, per company line and invoice period (C3)."""
    user = user_of(request)
    lines = lines_for_user(user=user, capability=C.VIEW_BILLED_REPORTS).order_by("number")
    form = BilledReportForm(request.GET or None, lines=lines)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    chosen = [data["line"].pk] if data.get("line") else list(lines.values_list("pk", flat=True))
    items = billed_items(
        user=user, line_ids=chosen, since=data.get("since"), until=data.get("until")
    )
    rows = billed_services(items)
    if request.GET.get("formato") == "csv":
        return exports.billed_services_csv(rows)
    page, query = paginate(request, rows, 100)
    return render(
        request,
        "consumption/billed_report.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "total": items.aggregate(total=Sum("amount"))["total"] or Decimal("0"),
            "category_labels": CATEGORY_LABELS,
        },
    )


# --- Credit (C4), top-ups (C5) and their history (C6) -----------------------------------


@requires(C.TOP_UP)
def top_up(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = user_of(request)
    sim = get_object_or_404(selectors.sims_for_user(user=user, capability=C.TOP_UP), pk=pk)
    form = TopUpForm(request.POST or None, initial={"idempotency_key": uuid.uuid4().hex})
    if request.method == "POST" and form.is_valid():
        try:
            _top_up, next_url = top_ups.top_up_start(
                user=user,
                line=sim,
                amount=form.cleaned_data["amount"],
                idempotency_key=form.cleaned_data["idempotency_key"],
                base_url=f"{request.scheme}://{request.get_host()}",
            )
        except top_ups.TopUpRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            return redirect(next_url)
    credit = SimCredit.objects.filter(line=sim).first()
    return render(
        request,
        "consumption/top_up.html",
        {"sim": sim, "form": form, "credit": credit.balance if credit else Decimal("0")},
    )


@requires(C.TOP_UP)
def top_up_result(request: HttpRequest, reference: str) -> HttpResponse:
    user = user_of(request)
    top_up = get_object_or_404(
        TopUp.objects.select_related("line", "payment").filter(
            line__in=selectors.sims_for_user(user=user, capability=C.TOP_UP)
        ),
        payment__provider_reference=reference,
    )
    credit = SimCredit.objects.filter(line=top_up.line).first()
    return render(
        request,
        "consumption/top_up_result.html",
        {
            "top_up": top_up,
            "credit": credit.balance if credit else Decimal("0"),
            "failure": failure_message(top_up.payment),
        },
    )


@requires(C.VIEW_TOP_UP_HISTORY)
def top_up_history(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    top_ups = TopUp.objects.filter(
        line__in=selectors.sims_for_user(user=user, capability=C.VIEW_TOP_UP_HISTORY)
    ).select_related("line", "requested_by")
    page, query = paginate(request, top_ups, 50)
    return render(request, "consumption/top_up_history.html", {"page": page, "query": query})
