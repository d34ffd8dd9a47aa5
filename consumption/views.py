"""Consumi: usage of the SIMs in the user's scope, and of every SIM for the admins."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import QuerySet, Sum
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.access import requires, user_of
from accounts.models import Line
from accounts.roles import Capability
from accounts.selectors import lines_for_user
from billing.charges import CATEGORY_LABELS, billed_items, billed_services
from billing.payments import failure_message
from consumption import selectors, services
from consumption.forms import BilledReportForm, PeriodForm, SimSearchForm, TopUpForm
from consumption.models import LinePlan, SimCredit, TopUp
from core.exports import csv_response, xlsx_response

C = Capability


@requires(C.VIEW_USAGE)
def index(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = PeriodForm(request.GET or None)
    start, end = form.period()
    sims = selectors.sims_for_user(user=user).select_related("assignee")
    page = Paginator(sims.order_by("number"), 50).get_page(request.GET.get("pagina"))
    return render(
        request,
        "consumption/index.html",
        {"page": page, "form": form, "start": start, "end": end},
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


EXPORT_HEADER = (
    "numero",
    "assegnatario",
    "voce_secondi",
    "sms",
    "dati_kb",
    "costo_euro",
    "credito_euro",
    "stato",
)


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
        return _csv_export(sims, start, end)
    if export == "xlsx":
        return _xlsx_export(sims, start, end)
    page = Paginator(sims, 50).get_page(request.GET.get("pagina"))
    query = request.GET.copy()
    query.pop("pagina", None)
    base = query.copy()
    base.pop("sort", None)
    return render(
        request,
        "consumption/all_sims.html",
        {
            "form": form,
            "page": page,
            "start": start,
            "end": end,
            "query": query.urlencode(),
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


Row = tuple[str, str, int, int, int, Decimal, Decimal, str]


def _rows(sims: QuerySet[Line]) -> Iterator[Row]:
    for sim in sims.iterator(chunk_size=2000):
        assignee = sim.assignee.get_full_name() if sim.assignee else ""
        cost = sim.cost.quantize(Decimal("0.01"))  # type: ignore[attr-defined]
        credit = sim.balance or Decimal("0.00")  # type: ignore[attr-defined]
        usage = (sim.voice, sim.sms, sim.data)  # type: ignore[attr-defined]
        yield (sim.number, assignee, *usage, cost, credit, str(sim.get_state_display()))


def _filename(start: date, end: date, extension: str) -> str:
    return f"consumi-sim-{start:%Y%m%d}-{end:%Y%m%d}.{extension}"


def _csv_export(sims: QuerySet[Line], start: date, end: date) -> StreamingHttpResponse:
    """Streamed: thousands of SIMs never sit in memory at once."""
    return csv_response(
        filename=_filename(start, end, "csv"), header=EXPORT_HEADER, rows=_rows(sims)
    )


def _xlsx_export(sims: QuerySet[Line], start: date, end: date) -> FileResponse:
    return xlsx_response(
        filename=_filename(start, end, "xlsx"),
        sheet=_("Consumi"),
        header=EXPORT_HEADER,
        rows=_rows(sims),
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
        header = (
            "linea",
            "fattura",
            "periodo_dal",
            "periodo_al",
            "categoria",
            "servizio",
            "importo",
        )
        body = (
            (
                row["line__number"],
                row["invoice__number"],
                row["invoice__period_start"],
                row["invoice__period_end"],
                row["category"],
                row["service"],
                row["amount"].quantize(Decimal("0.01")),
            )
            for row in rows.iterator(chunk_size=2000)
        )
        return csv_response(filename="servizi-fatturati.csv", header=header, rows=body)
    page = Paginator(rows, 100).get_page(request.GET.get("pagina"))
    query = request.GET.copy()
    query.pop("pagina", None)
    return render(
        request,
        "consumption/billed_report.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
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
            _top_up, next_url = services.top_up_start(
                user=user,
                line=sim,
                amount=form.cleaned_data["amount"],
                idempotency_key=form.cleaned_data["idempotency_key"],
                base_url=f"{request.scheme}://{request.get_host()}",
            )
        except services.TopUpRefused as refusal:
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
    page = Paginator(top_ups, 50).get_page(request.GET.get("pagina"))
    return render(request, "consumption/top_up_history.html", {"page": page, "query": ""})
