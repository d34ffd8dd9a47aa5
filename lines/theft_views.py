"""Theft and loss (L3): the case page with the police report's copy, its download, the
device's IMEI block and the replacement SIM (L4), all from one place."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import requires, user_of
from accounts.models import User
from accounts.roles import Capability
from core.exceptions import ActionRefused
from core.uploads import download_response
from lines import selectors, theft
from lines.models import TheftCase
from lines.theft_forms import DeviceBlockForm, PoliceReportForm, ReplacementSimForm
from tracking.pages import request_form_page

C = Capability


def _case_for(user: User, capability: Capability, pk: int, case_pk: int) -> TheftCase:
    """The case of a line in `user`'s scope for `capability`: another company's line, or a
    case of another line, is 404."""
    line = selectors.mobile_line_for_action(user=user, capability=capability, pk=pk)
    case = get_object_or_404(theft.cases_with_story().filter(line=line), pk=case_pk)
    case.line = line
    return case


@requires(C.BLOCK_SIM)
@require_http_methods(["GET", "POST"])
def theft_case(request: HttpRequest, pk: int, case_pk: int) -> HttpResponseBase:
    """Everything about one theft or loss; the report's copy is uploaded here."""
    user = user_of(request)
    case = _case_for(user, C.BLOCK_SIM, pk, case_pk)
    story = theft.story_of(case)
    form = None
    if story.report_needed:
        bound = request.method == "POST"  # a POST without a file is still an answer
        form = PoliceReportForm(request.POST if bound else None, request.FILES if bound else None)
        if request.method == "POST" and form.is_valid():
            try:
                theft.police_report_attach(
                    case=case,
                    actor=user,
                    upload=form.cleaned_data["report_file"],
                    content_type=form.content_type,
                )
            except ActionRefused as refusal:
                messages.error(request, str(refusal))
            else:
                messages.success(request, _("Copia della denuncia caricata."))
            return redirect("lines:theft-case", pk=case.line_id, case_pk=case.pk)
    elif request.method == "POST":
        if case.has_report:
            messages.error(request, _("La copia della denuncia è già stata caricata."))
        else:
            messages.error(request, _("La SIM smarrita è stata ritrovata: la denuncia non serve."))
        return redirect("lines:theft-case", pk=case.line_id, case_pk=case.pk)
    context = {"line": case.line, "story": story, "report_form": form}
    return render(request, "lines/theft_case.html", context)


@requires(C.BLOCK_SIM)
@require_GET
def theft_report_download(request: HttpRequest, pk: int, case_pk: int) -> FileResponse:
    case = _case_for(user_of(request), C.BLOCK_SIM, pk, case_pk)
    if not case.has_report:
        raise Http404
    return download_response(
        case.report_file,
        original_name=case.report_original_name,
        content_type=case.report_content_type,
    )


@requires(C.BLOCK_SIM)
@require_http_methods(["GET", "POST"])
def theft_device_block(request: HttpRequest, pk: int, case_pk: int) -> HttpResponseBase:
    user = user_of(request)
    case = _case_for(user, C.BLOCK_SIM, pk, case_pk)
    form = DeviceBlockForm(request.POST or None)
    return request_form_page(
        request,
        form=form,
        send=lambda data: theft.device_block_request(
            actor=user, case=case, imei=data["imei"], device=form.device
        ),
        sent_message=_("Richiesta %(reference)s inviata: il dispositivo sarà bloccato."),
        sent_url=lambda tracked: _case_url(case),
        context=_request_page_context(
            case,
            title=_("Blocca anche il dispositivo"),
            intro=[
                _(
                    "Con l'IMEI chiediamo a tutti gli operatori di bloccare il telefono: non "
                    "funzionerà più con nessuna SIM, anche se chi lo ha trovato o rubato ne "
                    "inserisce un'altra."
                )
            ],
            pending=theft.standing(case.device_request),
        ),
    )


@requires(C.CHANGE_SIM)
@require_http_methods(["GET", "POST"])
def theft_replacement(request: HttpRequest, pk: int, case_pk: int) -> HttpResponseBase:
    """The SIM change prefilled from the case: the new SIM keeps the number and, once
    active, the line works again."""
    user = user_of(request)
    case = _case_for(user, C.CHANGE_SIM, pk, case_pk)
    form = ReplacementSimForm(request.POST or None, initial=theft.replacement_initial(case, user))
    return request_form_page(
        request,
        form=form,
        send=lambda data: theft.replacement_request(
            actor=user, case=case, sim_kind=data["sim_kind"], details=form.request_details()
        ),
        sent_message=_("Richiesta %(reference)s inviata: ti avvisiamo quando la SIM parte."),
        sent_url=lambda tracked: _case_url(case),
        context={
            "line": case.line,
            "case": case,
            "pending": theft.standing(case.replacement_request),
        },
        template="lines/theft_replacement.html",
    )


def _case_url(case: TheftCase) -> str:
    return reverse("lines:theft-case", args=[case.line_id, case.pk])


def _request_page_context(case: TheftCase, **context: Any) -> dict[str, Any]:
    return {
        "back_url": _case_url(case),
        "back_label": _("Torna al furto o smarrimento"),
        **context,
    }
