"""Consumi: usage of the SIMs in the user's scope, and of every SIM for the admins."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.forms import Form
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    QueryDict,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import requires, user_of
from accounts.fields import add_cost_centre_filter
from accounts.models import Contract, Line
from accounts.roles import Capability
from accounts.selectors import company_id_of, filter_by_cost_centre, lines_for_user
from billing.charges import CATEGORY_LABELS, billed_items, billed_services
from billing.payments import failure_message
from consumption import exports, periods, selectors, thresholds, top_ups
from consumption.forms import BilledReportForm, PeriodForm, SimSearchForm, TopUpForm
from consumption.models import LinePlan, Plan, SimCredit, TopUp, UsageKind
from consumption.templatetags import usage
from core.dbrouting import reads_from_replica, shown_after_a_write_elsewhere
from core.links import base_url
from core.pagination import paginate

C = Capability


@dataclass(frozen=True)
class Allowance:
    """One bar: the month's use of a kind against the plan's allowance, in the plan's unit."""

    label: str
    used: int
    allowance: int
    used_text: str
    allowance_text: str

    @property
    def value(self) -> int:
        return min(self.used, self.allowance)

    @property
    def percent(self) -> int:
        return round(self.used * 100 / self.allowance) if self.allowance else 100

    @property
    def over(self) -> bool:
        return self.used > self.allowance


@requires(C.VIEW_USAGE)
@reads_from_replica
def index(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = PeriodForm(request.GET or None)
    start, end = form.period()
    sims = selectors.sims_for_user(user=user).select_related("assignee")
    centre_form = Form(request.GET or None)
    add_cost_centre_filter(centre_form, user=user)
    if "cost_centre" in centre_form.fields and centre_form.is_valid():
        sims = filter_by_cost_centre(sims, centre_form.cleaned_data["cost_centre"])
    page, query = paginate(request, sims.order_by("number"), 50)
    return render(
        request,
        "consumption/index.html",
        {
            "page": page,
            "query": query,
            "form": form,
            "centre_form": centre_form if "cost_centre" in centre_form.fields else None,
            "start": start,
            "end": end,
        },
    )


def _period_context(request: HttpRequest, start: date, end: date, today: date) -> dict[str, Any]:
    """The period's name, its grouping and the arrows to the months around it."""
    grouping = periods.grouping_for(start, end)
    return {
        "start": start,
        "end": end,
        "whole_month": periods.is_whole_month(start, end),
        "month_name": periods.month_name(start),
        "grouping": grouping.value,
        "grouping_text": periods.grouping_text(grouping),
        "navigation": periods.month_navigation(request.GET, start, end, today),
    }


def _allowances(totals: dict[str, selectors.KindTotals], plan: Plan | None) -> list[Allowance]:
    """The month's use against each capped allowance of the plan (unlimited ones have none)."""
    if plan is None:
        return []
    voice, sms, data = totals[UsageKind.VOICE], totals[UsageKind.SMS], totals[UsageKind.DATA]
    bars = []
    if plan.voice_minutes is not None:
        used = -(-voice.total // 60)
        bars.append(
            Allowance(
                _("Voce"),
                used,
                plan.voice_minutes,
                usage.minutes(voice.total),
                _("%(n)s minuti") % {"n": usage.count(plan.voice_minutes)},
            )
        )
    if plan.sms is not None:
        bars.append(
            Allowance(
                _("SMS"),
                sms.total,
                plan.sms,
                usage.count(sms.total),
                _("%(n)s SMS") % {"n": usage.count(plan.sms)},
            )
        )
    if plan.data_mb is not None:
        bars.append(
            Allowance(
                _("Dati"),
                round(data.total / 1024),
                plan.data_mb,
                usage.data_size(data.total),
                _plan_data(plan.data_mb),
            )
        )
    return bars


def _plan_data(megabytes: int) -> str:
    """A plan's data as plans name it: "100 GB", "500 MB"."""
    if megabytes >= 1000 and megabytes % 1024 == 0:
        return f"{usage.count(megabytes // 1024)} GB"
    return usage.data_size(megabytes * 1024)


def _show_month(form: PeriodForm, start: date, end: date) -> None:
    """The month field shows the month the page opened on when none was chosen."""
    if not form.is_bound and periods.is_whole_month(start, end):
        form.initial["month"] = f"{start:%Y-%m}"


@requires(C.VIEW_USAGE)
@reads_from_replica
def sim_usage(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    sim = get_object_or_404(
        selectors.sims_for_user(user=user).select_related("assignee", "cost_centre", "contract"),
        pk=pk,
    )
    form = PeriodForm(request.GET or None)
    today = timezone.localdate()
    start, end = form.period(latest=lambda: selectors.last_usage_month(sims=sim, until=today))
    _show_month(form, start, end)
    period = _period_context(request, start, end, today)
    plan = LinePlan.objects.filter(line=sim).select_related("plan").first()
    days = selectors.usage_by_day(
        line=sim, start=start, end=end, grouping=periods.Grouping(period["grouping"])
    )
    labels = [
        periods.bucket_label(day["day"], periods.Grouping(period["grouping"]), start, end)
        for day in days
    ]
    totals = selectors.usage_totals(line=sim, start=start, end=end)
    # The thresholds of the month shown (a notification links to its month), else this one.
    threshold_month = start if period["whole_month"] else today.replace(day=1)
    context = {
        **period,
        "sim": sim,
        "form": form,
        "totals": totals,
        "rows": list(zip(labels, days, strict=True)),
        "plan": plan.plan if plan else None,
        # Allowances are monthly: a bar only makes sense for one calendar month.
        "allowances": _allowances(totals, plan.plan if plan else None)
        if period["whole_month"]
        else [],
        "credit": SimCredit.objects.filter(line=sim).values_list("balance", flat=True).first(),
        "threshold_states": thresholds.threshold_states(
            thresholds.thresholds_of_line(line=sim), month=threshold_month
        ),
        "threshold_month_label": thresholds.month_name(threshold_month),
        # Drawn by assets/js/bar-chart.js: data on the left axis, voice on the right one.
        "chart": {
            "labels": labels,
            "datasets": [
                {
                    "label": _("Dati (MB)"),
                    "data": [round(day["DATA"] / 1024, 1) for day in days],
                    "color": "#0b3a82",
                    "axis": "data",
                },
                {
                    "label": _("Voce (minuti)"),
                    "data": [-(-day["VOICE"] // 60) for day in days],
                    "color": "#c2570c",
                    "axis": "voice",
                },
            ],
            "axes": [
                {"id": "data", "title": _("Dati (MB)")},
                {"id": "voice", "title": _("Voce (minuti)")},
            ],
        },
    }
    return render(request, "consumption/sim_usage.html", context)


@requires(C.VIEW_ALL_SIMS)
@reads_from_replica
def all_sims(request: HttpRequest) -> HttpResponseBase:
    user = user_of(request)
    form = SimSearchForm(request.GET or None)
    add_cost_centre_filter(form, user=user)
    today = timezone.localdate()
    company_sims = Line.objects.filter(
        contract__company_id=company_id_of(user), contract__kind=Contract.Kind.MOBILE
    )
    start, end = form.period(
        latest=lambda: selectors.last_usage_month(sims=company_sims, until=today)
    )
    _show_month(form, start, end)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    sims = selectors.all_sims_usage(
        user=user, start=start, end=end, search=data.get("q", ""), sort=data.get("sort") or "number"
    )
    sims = filter_by_cost_centre(sims, data.get("cost_centre", ""))
    export = request.GET.get("formato")
    if export == "csv":
        return exports.all_sims_csv(sims, start, end)
    if export == "xlsx":
        return exports.all_sims_xlsx(sims, start, end)
    page, query = paginate(request, sims, 50)
    base = QueryDict(query, mutable=True)
    base.pop("sort", None)
    # The exports cover the period shown, also when it was the default one.
    shown = QueryDict(query, mutable=True)
    if not (data.get("since") and data.get("until")):
        shown["month"] = f"{start:%Y-%m}"
    return render(
        request,
        "consumption/all_sims.html",
        {
            **_period_context(request, start, end, today),
            "form": form,
            "page": page,
            "query": query,
            "export_query": shown.urlencode(),
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
@reads_from_replica
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
        return exports.billed_services_csv(rows, CATEGORY_LABELS)
    if request.GET.get("formato") == "xlsx":
        return exports.billed_services_xlsx(rows, CATEGORY_LABELS)
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
                base_url=base_url(request),
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
    # Back from the provider, whose callback settled the payment: the credit as it left it.
    shown_after_a_write_elsewhere(request)
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
