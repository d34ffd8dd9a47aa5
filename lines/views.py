"""Linee e servizi: lines with their services, SIM block / unblock, SIM change, relocation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import requires, requires_any, user_of
from accounts.fields import add_cost_centre_filter
from accounts.models import Contract, Line
from accounts.roles import Capability, section_capabilities
from accounts.selectors import filter_by_cost_centre
from core.exceptions import ActionRefused
from core.links import pk_urls
from core.pagination import paginate
from lines import selectors, services, theft
from lines.forms import LineFilterForm, RelocationForm, SimBlockForm, SimChangeForm
from lines.models import BlockReason
from lines.search import filter_lines
from lines.theft_forms import PoliceReportForm
from tracking.models import Request, RequestKind
from tracking.pages import request_form_page
from tracking.services import open_request_of

C = Capability
PAGE_SIZE = 50


@requires_any(*section_capabilities("lines"))
def line_list(request: HttpRequest) -> HttpResponse:
    form = LineFilterForm(request.GET or None)
    add_cost_centre_filter(form, user=user_of(request))
    filters = form.cleaned_data if form.is_valid() else {}
    lines = filter_lines(
        selectors.line_list_for_user(user=user_of(request)),
        query=filters.get("q", ""),
        kind=filters.get("kind", ""),
        state=filters.get("state", ""),
    )
    lines = filter_by_cost_centre(lines, filters.get("cost_centre", ""))
    page, query = paginate(request, lines.order_by("number"), PAGE_SIZE)
    detail_url = pk_urls("lines:detail")  # one reverse() for every row's link
    rows = selectors.line_rows(cast("QuerySet[Line]", page.object_list))
    for row in rows:
        row["url"] = detail_url(row["pk"])
    return render(
        request,
        "lines/line_list.html",
        {"form": form, "page": page, "rows": rows, "query": query},
    )


@requires_any(*section_capabilities("lines"))
def line_detail(request: HttpRequest, pk: int) -> HttpResponse:
    line = selectors.line_get_for_user(user=user_of(request), pk=pk)
    services_on_line = selectors.line_active_services(line)
    context = {
        "line": line,
        "sim": selectors.line_active_sim(line),
        "services": services_on_line,
        "monthly_total": sum((service.monthly_fee for service in services_on_line), start=0),
        "last_block": selectors.line_block_in_force(line),
        "history": selectors.line_history(line),
        "requests": selectors.line_requests(line),
        "theft": theft.latest_story(line),
    }
    return render(request, "lines/line_detail.html", context)


@requires(C.BLOCK_SIM)
@require_http_methods(["GET", "POST"])
def sim_block(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Reason first, then a confirmation page; the block takes effect on confirming."""
    user = user_of(request)
    line = selectors.mobile_line_for_action(user=user, capability=C.BLOCK_SIM, pk=pk)
    form = SimBlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # A theft or loss takes the police report's copy on the confirmation step, where the
        # file is posted with the block itself (a file cannot ride along in hidden fields).
        with_report = data["reason"] in (BlockReason.THEFT, BlockReason.LOSS)
        report_form = PoliceReportForm(
            request.POST if request.POST.get("confirmed") else None,
            request.FILES or None,
            required=False,
        )
        if not request.POST.get("confirmed") or (with_report and not report_form.is_valid()):
            # The case asks for the copy even when the report's date is given here.
            due = services.police_report_due(data["reason"], timezone.localdate())
            context = {
                "line": line,
                "form": form,
                "report_form": report_form if with_report else None,
                "reason_label": BlockReason(data["reason"]).label,
                "report_due": due,
            }
            return render(request, "lines/sim_block_confirm.html", context)
        try:
            # The line's page then offers what comes next: the new SIM, the device's block.
            theft.sim_block_with_report(
                actor=user,
                line=line,
                reason=data["reason"],
                note=data["note"],
                report_date=data["report_date"],
                report_authority=data["report_authority"],
                report=report_form.cleaned_data.get("report_file") if with_report else None,
                report_type=report_form.content_type if with_report else "",
            )
        except ActionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(
                request,
                _("SIM %(number)s bloccata: il traffico in uscita è fermo da ora.")
                % {"number": line.number},
            )
        return redirect("lines:detail", pk=line.pk)
    return render(request, "lines/sim_block.html", {"line": line, "form": form})


@requires(C.BLOCK_SIM)
@require_http_methods(["GET", "POST"])
def sim_unblock(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = user_of(request)
    line = selectors.mobile_line_for_action(user=user, capability=C.BLOCK_SIM, pk=pk)
    if request.method == "POST":
        try:
            services.sim_unblock(actor=user, line=line)
        except ActionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(
                request, _("SIM %(number)s sbloccata: funziona di nuovo.") % {"number": line.number}
            )
        return redirect("lines:detail", pk=line.pk)
    return render(request, "lines/sim_unblock.html", {"line": line})


@requires(C.CHANGE_SIM)
@require_http_methods(["GET", "POST"])
def sim_change(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = user_of(request)
    line = selectors.mobile_line_for_action(user=user, capability=C.CHANGE_SIM, pk=pk)
    initial = {"esim_email": user.email, "recipient": user.get_full_name()}
    form = SimChangeForm(request.POST or None, initial=initial)
    return _line_request_page(
        request,
        line,
        form=form,
        send=lambda data: services.sim_change_request(
            actor=user,
            line=line,
            reason=data["reason"],
            sim_kind=data["sim_kind"],
            details=form.request_details(),
        ),
        context={
            "line": line,
            "pending": open_request_of(
                company=line.contract.company, kind=RequestKind.SIM_CHANGE, line=line
            ),
        },
        template="lines/sim_change.html",
    )


@requires(C.REQUEST_RELOCATION)
@require_http_methods(["GET", "POST"])
def relocation(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = user_of(request)
    line = selectors.line_for_action(
        user=user, capability=C.REQUEST_RELOCATION, pk=pk, kind=Contract.Kind.FIXED
    )
    intro = [
        _(
            "Indica il nuovo indirizzo e il giorno in cui preferisci l'intervento del tecnico: "
            "ti chiamiamo per confermarlo. Numero e servizi restano gli stessi."
        )
    ]
    if line.site_address:
        intro.insert(
            0, _("Oggi la linea è installata in %(address)s.") % {"address": line.site_address}
        )
    return _line_request_page(
        request,
        line,
        form=RelocationForm(request.POST or None, initial={"contact_phone": user.phone}),
        send=lambda data: services.relocation_request(
            actor=user,
            line=line,
            address={key: data[key] for key in ("street", "postal_code", "city", "province")},
            preferred_date=data["preferred_date"],
            phone=data["contact_phone"],
        ),
        context={
            "pending": open_request_of(
                company=line.contract.company, kind=RequestKind.RELOCATION, line=line
            ),
            "title": _("Trasloco della linea %(number)s") % {"number": line.number},
            "intro": intro,
            "back_url": reverse("lines:detail", args=[line.pk]),
            "back_label": _("Torna alla linea"),
        },
    )


def _line_request_page(
    request: HttpRequest,
    line: Line,
    *,
    form: Form,
    send: Callable[[dict[str, Any]], Request],
    context: dict[str, Any],
    template: str = "request_form.html",
) -> HttpResponse:
    """A request on `line` is followed from the line's page."""
    return request_form_page(
        request,
        form=form,
        send=send,
        sent_message=_("Richiesta %(reference)s inviata: ne segui lo stato da questa pagina."),
        sent_url=lambda tracked: reverse("lines:detail", args=[line.pk]),
        context=context,
        template=template,
    )
