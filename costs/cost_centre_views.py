"""Cost centres (K1, K2): the company's centres, creating, changing and deleting them,
assigning lines to one (the line chooser of lines/chooser.py, or a CSV of numbers), and the
monthly roll-up of invoices and usage by centre."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import requires, requires_any, user_of
from accounts.models import CostCentre, User
from accounts.roles import Capability as C
from accounts.selectors import MAX_ID, company_id_of
from core.exceptions import ActionRefused
from core.exports import csv_response, xlsx_response
from core.italy import month_year
from costs import selectors, services
from costs.forms import CostCentreForm, NumbersFileForm
from costs.services import NumberOutcome
from lines.chooser import (
    PAGE_SIZE,
    ChooserAction,
    ChooserStep,
    LineChooserForm,
    LineSelection,
    chooser_submit,
)
from lines.search import LineSearchForm, filter_lines

A = ChooserAction
# The centre's lines its page lists; the list of lines, filtered by the centre, has them all.
OWN_LINES_SHOWN = 20


@requires_any(C.VIEW_COST_CENTRES, C.MANAGE_COST_CENTRES)
def cost_centre_list(request: HttpRequest) -> HttpResponse:
    centres = selectors.cost_centres_for_user(user=user_of(request))
    return render(request, "costs/cost_centre_list.html", {"centres": centres})


@requires(C.MANAGE_COST_CENTRES)
@require_http_methods(["GET", "POST"])
def cost_centre_create(request: HttpRequest) -> HttpResponseBase:
    user = user_of(request)
    form = CostCentreForm(request.POST or None, company_id=company_id_of(user))
    if request.method == "POST" and form.is_valid():
        try:
            centre = services.cost_centre_create(user=user, **form.cleaned_data)
        except ActionRefused as refusal:
            form.add_error("code", str(refusal))
        else:
            messages.success(request, _("Centro di costo %(centre)s creato.") % {"centre": centre})
            return redirect("costs:cost-centre-detail", pk=centre.pk)
    return render(request, "costs/cost_centre_form.html", {"form": form, "centre": None})


@requires(C.MANAGE_COST_CENTRES)
@require_http_methods(["GET", "POST"])
def cost_centre_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = user_of(request)
    centre = selectors.cost_centre_get_for_user(user=user, pk=pk)
    form = CostCentreForm(
        request.POST or None,
        company_id=company_id_of(user),
        initial=CostCentreForm.initial_of(centre),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.cost_centre_update(user=user, cost_centre=centre, **form.cleaned_data)
        except ActionRefused as refusal:
            form.add_error("code", str(refusal))
        else:
            messages.success(request, _("Centro di costo %(centre)s salvato.") % {"centre": centre})
            return redirect("costs:cost-centre-detail", pk=centre.pk)
    return render(request, "costs/cost_centre_form.html", {"form": form, "centre": centre})


@requires(C.MANAGE_COST_CENTRES)
@require_http_methods(["GET", "POST"])
def cost_centre_delete(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = user_of(request)
    centre = selectors.cost_centre_get_for_user(user=user, pk=pk)
    if request.method == "POST":
        name = str(centre)
        try:
            moved = services.cost_centre_delete(user=user, cost_centre=centre)
        except ActionRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("costs:cost-centre-detail", pk=pk)
        messages.success(
            request,
            ngettext(
                "Centro di costo %(centre)s eliminato: la sua linea è ora senza centro di costo.",
                "Centro di costo %(centre)s eliminato: le sue %(count)d linee sono ora senza "
                "centro di costo.",
                moved,
            )
            % {"centre": name, "count": moved}
            if moved
            else _("Centro di costo %(centre)s eliminato.") % {"centre": name},
        )
        return redirect("costs:cost-centres")
    line_count = centre.lines.count()
    return render(
        request, "costs/cost_centre_delete.html", {"centre": centre, "line_count": line_count}
    )


# --- Assigning lines ----------------------------------------------------------------------


def _selection(request: HttpRequest, centre: CostCentre) -> LineSelection:
    return LineSelection(request.session, f"costs.selection.{centre.pk}")


def _detail_context(
    request: HttpRequest,
    user: User,
    centre: CostCentre,
    *,
    query: str = "",
    page_number: int | str | None = None,
    chooser: LineChooserForm | None = None,
    upload: NumbersFileForm | None = None,
) -> dict[str, Any]:
    """The centre's page: its lines, the line chooser on the company's lines matching
    `query` at `page_number`, and the CSV upload."""
    eligible = selectors.assignable_lines(user=user)
    page = Paginator(filter_lines(eligible, query=query), PAGE_SIZE).get_page(page_number)
    selection = _selection(request, centre)
    own_lines = centre.lines.order_by("number").select_related("assignee")
    return {
        "centre": centre,
        "own_lines": own_lines[:OWN_LINES_SHOWN],
        "own_count": centre.lines.count(),
        "chooser_url": reverse("costs:cost-centre-choose", args=[centre.pk]),
        "search": LineSearchForm({"q": query}),
        "chooser": chooser,
        "query": query,
        "page": page,
        "rows": [(line, line.pk in selection) for line in page],
        "chosen_count": len(selection),
        "upload": upload or NumbersFileForm(),
    }


@requires(C.MANAGE_COST_CENTRES)
def cost_centre_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    centre = selectors.cost_centre_get_for_user(user=user, pk=pk)
    search = LineSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    context = _detail_context(
        request, user, centre, query=query, page_number=request.GET.get("pagina")
    )
    return render(request, "costs/cost_centre_detail.html", context)


@requires(C.MANAGE_COST_CENTRES)
@require_POST
def cost_centre_choose(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A page of the line chooser was submitted: its ticks are recorded, then the button's
    action is done (SUMMARY: the chosen lines are assigned to the centre)."""
    user = user_of(request)
    centre = selectors.cost_centre_get_for_user(user=user, pk=pk)
    eligible = selectors.assignable_lines(user=user)
    form = LineChooserForm(request.POST, eligible=eligible)
    if not form.is_valid():
        return _refused(request, user, centre, chooser=form)
    selection = _selection(request, centre)
    step = chooser_submit(request, form, selection, eligible=eligible)
    if step.action == A.SUMMARY:
        if not selection:
            selection.save()
            form.add_error(None, _("Scegli almeno una linea."))
            return _refused(request, user, centre, chooser=form)
        _assign_chosen(request, user, centre, selection)
        step = ChooserStep()
    selection.save()
    return redirect(step.url(reverse("costs:cost-centre-detail", args=[centre.pk])))


def _assign_chosen(
    request: HttpRequest, user: User, centre: CostCentre, selection: LineSelection
) -> None:
    try:
        moved = services.lines_assign(user=user, cost_centre=centre, line_ids=selection.ids)
    except ActionRefused as refusal:
        messages.error(request, str(refusal))
        return
    chosen = len(selection)
    selection.clear()
    messages.success(
        request,
        ngettext(
            "%(moved)d linea assegnata a %(centre)s.",
            "%(moved)d linee assegnate a %(centre)s.",
            moved,
        )
        % {"moved": moved, "centre": centre},
    )
    if chosen > moved:
        messages.info(
            request,
            ngettext(
                "%(count)d delle linee scelte c'era già.",
                "%(count)d delle linee scelte c'erano già.",
                chosen - moved,
            )
            % {"count": chosen - moved},
        )


class RemoveLineForm(forms.Form):
    line = forms.IntegerField(min_value=1, max_value=MAX_ID)


@requires(C.MANAGE_COST_CENTRES)
@require_POST
def cost_centre_remove_line(request: HttpRequest, pk: int) -> HttpResponseBase:
    """One of the centre's lines leaves it (to no centre), with its history row. A line
    that is not the company's answers 404; one already out of the centre changes nothing."""
    user = user_of(request)
    centre = selectors.cost_centre_get_for_user(user=user, pk=pk)
    form = RemoveLineForm(request.POST)
    if not form.is_valid():
        raise Http404
    line = get_object_or_404(selectors.assignable_lines(user=user), pk=form.cleaned_data["line"])
    if line.cost_centre_id != centre.pk:
        messages.info(
            request,
            _("La linea %(number)s non è più nel centro %(centre)s.")
            % {"number": line.number, "centre": centre},
        )
    else:
        try:
            services.lines_assign(user=user, cost_centre=None, line_ids=[line.pk])
        except ActionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(
                request,
                _("Linea %(number)s tolta dal centro %(centre)s: ora è senza centro di costo.")
                % {"number": line.number, "centre": centre},
            )
    return redirect(reverse("costs:cost-centre-detail", args=[centre.pk]) + "#own-heading")


def _refused(
    request: HttpRequest,
    user: User,
    centre: CostCentre,
    *,
    chooser: LineChooserForm | None = None,
    upload: NumbersFileForm | None = None,
) -> HttpResponse:
    """The centre's page again, with what was wrong; the choice is as it was before."""
    data = chooser.cleaned_data if chooser is not None else {}
    context = _detail_context(
        request,
        user,
        centre,
        query=data.get("searched") or "",
        page_number=data.get("pagina"),
        chooser=chooser,
        upload=upload,
    )
    return render(request, "costs/cost_centre_detail.html", context, status=400)


OUTCOME_LABELS = {
    NumberOutcome.ASSIGNED: gettext_lazy("Assegnata"),
    NumberOutcome.ALREADY: gettext_lazy("C'era già"),
    NumberOutcome.UNKNOWN: gettext_lazy("Nessuna linea dell'azienda con questo numero"),
    NumberOutcome.INVALID: gettext_lazy("Numero non valido"),
}


@requires(C.MANAGE_COST_CENTRES)
@require_POST
def cost_centre_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """A CSV of numbers: each row's line is assigned to the centre when it is the company's,
    and the page reports every row (row by row: the others change nothing)."""
    user = user_of(request)
    centre = selectors.cost_centre_get_for_user(user=user, pk=pk)
    form = NumbersFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _refused(request, user, centre, upload=form)
    report = services.lines_assign_numbers(
        user=user, cost_centre=centre, rows=form.cleaned_data["file"]
    )
    counts = {outcome: 0 for outcome in NumberOutcome}
    for row in report:
        counts[row.outcome] += 1
    context = {
        "centre": centre,
        "report": [
            {
                "row": row.row,
                "text": row.text,
                "outcome": row.outcome,
                "label": OUTCOME_LABELS[row.outcome],
            }
            for row in report
        ],
        "counts": {str(outcome): count for outcome, count in counts.items()},
    }
    return render(request, "costs/cost_centre_upload_report.html", context)


# --- The monthly roll-up ------------------------------------------------------------------


class MonthForm(forms.Form):
    """The roll-up's month: from FIRST_MONTH to the end of next year (its invoices are not
    issued yet, but a month typed by hand must answer, not fail)."""

    month = forms.DateField(
        label=gettext_lazy("Mese"),
        input_formats=["%Y-%m"],
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.first, self.last = selectors.ROLLUP_FIRST_MONTH, selectors.rollup_last_month()
        self.fields["month"].widget.attrs.update(
            min=f"{self.first:%Y-%m}", max=f"{self.last:%Y-%m}"
        )

    def clean_month(self) -> date | None:
        month: date | None = self.cleaned_data.get("month")
        if month is not None and not self.first <= month <= self.last:
            raise forms.ValidationError(
                _("Scegli un mese tra %(first)s e %(last)s.")
                % {"first": month_year(self.first), "last": month_year(self.last)},
                code="out_of_range",
            )
        return month


def _chart(rollup: selectors.Rollup) -> dict[str, Any]:
    """What the bar chart draws (assets/js/bar-chart.js): the invoice amounts of the month
    before and of the month, per centre."""
    return {
        "labels": [row.centre.code if row.centre else _("Senza centro") for row in rollup.rows],
        "datasets": [
            {
                "label": _("Fatturato %(month)s") % {"month": month_year(rollup.previous_month)},
                "data": [float(row.previous.invoiced) for row in rollup.rows],
                "color": "#8a9bb8",
                "axis": "euro",
            },
            {
                "label": _("Fatturato %(month)s") % {"month": month_year(rollup.month)},
                "data": [float(row.current.invoiced) for row in rollup.rows],
                "color": "#0b3a82",
                "axis": "euro",
            },
        ],
        "axes": [{"id": "euro", "title": _("Euro")}],
    }


@requires(C.VIEW_COST_CENTRES)
def cost_centre_rollup(request: HttpRequest) -> HttpResponseBase:
    user = user_of(request)
    form = MonthForm(request.GET or None)
    valid = form.is_valid()
    month = form.cleaned_data.get("month") if valid else None
    if month is None:
        month = selectors.default_month(company_id=company_id_of(user))
        if valid or not form.is_bound:
            form = MonthForm(initial={"month": month})
    rollup = selectors.cost_centre_rollup(user=user, month=month)
    export = request.GET.get("formato")
    # A month that is not one shows the page and its error, not another month's file.
    if export in ("csv", "xlsx") and not form.errors:
        name = f"centri-di-costo-{rollup.month:%Y-%m}.{export}"
        header, rows = selectors.rollup_header(), selectors.rollup_rows(rollup)
        if export == "csv":
            return csv_response(filename=name, header=header, rows=rows)
        return xlsx_response(filename=name, sheet=_("Centri di costo"), header=header, rows=rows)
    context = {
        "form": form,
        "rollup": rollup,
        "month_label": month_year(rollup.month),
        "previous_label": month_year(rollup.previous_month),
        "chart": _chart(rollup),
        "export_query": urlencode({"month": f"{rollup.month:%Y-%m}"}),
    }
    return render(request, "costs/cost_centre_rollup.html", context)
