"""The accountant's downloads: the electronic invoice (B2), the invoice list and one
invoice's rows as CSV/XLSX, and the ZIP archive of a period (B8)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import requires, user_of
from accounts.roles import Capability
from accounts.selectors import company_id_of, filter_by_cost_centre
from billing import archives, exports, selectors
from billing.fatturapa import InvalidFatturaPA, invoice_fatturapa
from billing.fatturapa import filename as fatturapa_filename
from billing.forms import ArchiveForm
from billing.models import InvoiceArchive
from billing.views import filtered_invoices
from core.exceptions import ActionRefused
from core.exports import Cell, csv_response, xlsx_response
from core.links import base_url
from core.ratelimits import person_over_limit

logger = logging.getLogger(__name__)
C = Capability
FORMATS = ("csv", "xlsx")


@requires(C.PRINT_INVOICE)
def invoice_xml(request: HttpRequest, pk: int) -> HttpResponse:
    """The company invoice's FatturaPA XML (personal invoices have none here: 404)."""
    invoice = get_object_or_404(
        selectors.company_invoices(user=user_of(request)).select_related("company", "contract"),
        pk=pk,
    )
    try:
        xml = invoice_fatturapa(invoice)
    except InvalidFatturaPA as invalid:
        logger.error(
            "FatturaPA of invoice %s not served, a38 finds it invalid: %s",
            invoice.number,
            "; ".join(invalid.errors),
        )
        # 409 Conflict: the invoice as it stands cannot make a valid file; asking again does
        # not help until its data is corrected (503 would promise it comes back by itself).
        return render(
            request, "billing/fatturapa_unavailable.html", {"invoice": invoice}, status=409
        )
    response = HttpResponse(xml, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{fatturapa_filename(invoice)}"'
    return response


def _spreadsheet(
    request: HttpRequest, *, name: str, sheet: str, header: list[str], rows: Iterator[list[Cell]]
) -> HttpResponseBase:
    kind = request.GET.get("formato") or "csv"
    if kind not in FORMATS:
        return HttpResponse(
            _("Formato non disponibile: scegli CSV o XLSX."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    if kind == "xlsx":
        return xlsx_response(filename=f"{name}.xlsx", sheet=sheet, header=header, rows=rows)
    return csv_response(filename=f"{name}.csv", header=header, rows=rows)


@requires(C.EXPORT_INVOICES)
def invoice_export(request: HttpRequest) -> HttpResponseBase:
    """The invoice list, with the filters and order it has on the page, as CSV or XLSX."""
    return _spreadsheet(
        request,
        name=f"fatture-{timezone.localdate():%Y%m%d}",
        sheet=_("Fatture"),
        header=exports.invoice_list_header(),
        rows=exports.invoice_list_rows(filtered_invoices(request)[1]),
    )


@requires(C.EXPORT_INVOICES)
def invoice_rows_export(request: HttpRequest, pk: int) -> HttpResponseBase:
    """One company invoice's rows (every charge, line by line) as CSV or XLSX."""
    invoice = get_object_or_404(selectors.company_invoices(user=user_of(request)), pk=pk)
    items = invoice.items.select_related("line", "cost_centre").order_by("line__number", "id")
    # The rows the page shows: its cost centre filter (another company's centre finds none).
    items = filter_by_cost_centre(items, request.GET.get("cost_centre", ""))
    return _spreadsheet(
        request,
        name=f"fattura-{invoice.number}-righe",
        sheet=_("Fattura %(number)s") % {"number": invoice.number},
        header=exports.invoice_rows_header(),
        rows=exports.invoice_item_rows(items),
    )


# --- ZIP archives of a period (B8) ----------------------------------------------------------


@requires(C.EXPORT_INVOICES)
def invoice_archives(request: HttpRequest) -> HttpResponseBase:
    """Ask for a period's ZIP and follow the ones asked (polled by htmx while being made)."""
    user = user_of(request)
    form = ArchiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _archive_ask(request, form)
        except ActionRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                _("Stiamo preparando l'archivio: ti scriveremo quando è pronto."),
            )
            return redirect("billing:archives")
    mine = list(archives.archives_of(user=user)[:20])
    now = timezone.now()
    stale = {archive.pk for archive in mine if archives.archive_stale(archive, now=now)}
    context: dict[str, Any] = {
        "form": form,
        "archives": mine,
        "stale": stale,
        # Until each is made, or the worker is so late that asking every 2 s helps nobody.
        "polling": any(
            archive.status in archives.IN_PROGRESS and archive.pk not in stale for archive in mine
        ),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "billing/partials/archive_list.html", context)
    return render(request, "billing/archives.html", context)


def _archive_ask(request: HttpRequest, form: ArchiveForm) -> None:
    """Ask for the archive, within one at a time and RATE_LIMITS["archives"] a day."""
    user = user_of(request)
    if archives.archive_in_progress(user=user):  # asked again under a lock by archive_request
        raise ActionRefused(
            _("Stiamo già preparando un tuo archivio: quando è pronto puoi chiederne un altro.")
        )
    if person_over_limit(request, "archives"):
        raise ActionRefused(_("Oggi hai già chiesto molti archivi: potrai chiederne altri domani."))
    archives.archive_request(
        user=user,
        period_start=form.cleaned_data["since"],
        period_end=form.cleaned_data["until"],
        base_url=base_url(request),
    )


@requires(C.EXPORT_INVOICES)
def archive_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The ZIP, for the person who asked for it and until it expires (then 410)."""
    user = user_of(request)
    archive = get_object_or_404(
        InvoiceArchive.objects.filter(requested_by=user, company_id=company_id_of(user)), pk=pk
    )
    if archive.expires_at <= timezone.now():
        return render(request, "billing/archive_expired.html", {"archive": archive}, status=410)
    if archive.status != InvoiceArchive.Status.READY or not archive.file:
        return redirect("billing:archives")
    return FileResponse(
        archive.file.open("rb"),
        as_attachment=True,
        filename=f"{archives.download_name(archive)}.zip",
        content_type="application/zip",
    )
