"""Fatture e pagamenti: invoice list, detail, PDF, personal invoices."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render

from accounts.access import requires, requires_any, user_of
from accounts.models import Contract
from accounts.roles import Capability, can
from billing import selectors, services
from billing.forms import SORTS, InvoiceFilterForm
from billing.models import InvoiceDocument, InvoiceItem
from billing.pdf import invoice_pdf as invoice_pdf_bytes

C = Capability
PAGE_SIZE = 25


@requires(C.VIEW_INVOICES)
def invoice_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    contracts = Contract.objects.filter(company__users=user)
    form = InvoiceFilterForm(request.GET or None, contracts=contracts)
    filters = form.cleaned_data if form.is_valid() else {}
    invoices = selectors.filter_invoices(
        selectors.company_invoices(user=user),
        since=filters.get("since"),
        until=filters.get("until"),
        status=filters.get("status", ""),
        contract_id=filters["contract"].pk if filters.get("contract") else None,
    )
    sort = filters.get("sort") or "-issue_date"
    page = Paginator(invoices.select_related("contract").order_by(sort, "-id"), PAGE_SIZE).get_page(
        request.GET.get("pagina")
    )
    query = request.GET.copy()
    query.pop("pagina", None)
    context = {
        "form": form,
        "page": page,
        "totals": selectors.invoice_totals(invoices),
        "query": query.urlencode(),
        "sorts": SORTS,
    }
    return render(request, "billing/invoice_list.html", context)


@requires_any(C.VIEW_INVOICES, C.VIEW_PERSONAL_INVOICES)
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.invoice_get_for_user(user=user_of(request), pk=pk)
    by_line = Paginator(selectors.invoice_by_line(invoice), 50).get_page(request.GET.get("pagina"))
    context = {
        "invoice": invoice,
        "vat_lines": invoice.vat_lines.all(),
        "by_line": by_line,
        "by_service": [
            {**row, "category_label": InvoiceItem.Category(row["category"]).label}
            for row in selectors.invoice_by_service(invoice)
        ],
    }
    return render(request, "billing/invoice_detail.html", context)


@requires(C.VIEW_PERSONAL_INVOICES)
def personal_invoice_list(request: HttpRequest) -> HttpResponse:
    invoices = selectors.personal_invoices(user=user_of(request)).select_related("personal_line")
    page = Paginator(invoices.order_by("-issue_date", "-id"), PAGE_SIZE).get_page(
        request.GET.get("pagina")
    )
    return render(request, "billing/personal_invoice_list.html", {"page": page, "query": ""})


# Invoices with more items than this are rendered by a worker, not in the request.
SYNC_PDF_ITEMS = 1000


@requires_any(C.PRINT_INVOICE, C.VIEW_PERSONAL_INVOICES)
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = user_of(request)
    invoice = selectors.invoice_get_for_user(user=user, pk=pk)
    if invoice.personal_line_id is None and not can(user, C.PRINT_INVOICE):
        raise PermissionDenied
    filename = f"fattura-{invoice.number}.pdf"
    if invoice.items.count() <= SYNC_PDF_ITEMS:
        response = HttpResponse(invoice_pdf_bytes(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    document = services.invoice_document_request(invoice)
    if document.status == InvoiceDocument.Status.READY:
        return FileResponse(document.file.open("rb"), as_attachment=True, filename=filename)
    return render(
        request,
        "billing/invoice_pdf_pending.html",
        {"invoice": invoice, "document": document},
        status=202,
    )
