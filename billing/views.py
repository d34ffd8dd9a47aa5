"""Fatture e pagamenti: invoice list, detail, PDF, personal invoices, online payment."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.access import public, requires, requires_any, user_of
from accounts.fields import add_cost_centre_filter
from accounts.models import Company, Contract, User
from accounts.roles import Capability, can
from accounts.selectors import company_id_of
from billing import payments, selectors, services
from billing.forms import (
    SORTS,
    DirectDebitForm,
    EInvoicingForm,
    InvoiceFilterForm,
    PaperlessForm,
    PaperlessOffForm,
    PayForm,
    SandboxCardForm,
    ShippingAddressForm,
)
from billing.gateway import SIGNATURE_HEADER, TEST_CARDS, InvalidCallback, sandbox_event, sign
from billing.models import Invoice, InvoiceDocument, InvoiceItem, Payment, PaymentInvoice
from billing.pdf import CHUNKED_FROM_ROWS
from billing.pdf import invoice_pdf as invoice_pdf_bytes
from core.dbrouting import shown_after_a_write_elsewhere
from core.links import base_url
from core.pagination import paginate
from tracking.models import Request, RequestKind
from tracking.pages import request_form_page

C = Capability
PAGE_SIZE = 25


def filtered_invoices(request: HttpRequest) -> tuple[InvoiceFilterForm, QuerySet[Invoice]]:
    """The list's filter form and the invoices it shows, in its order (the list and its
    export read them alike)."""
    user = user_of(request)
    contracts = Contract.objects.filter(company__users=user)
    form = InvoiceFilterForm(request.GET or None, contracts=contracts)
    filters = form.cleaned_data if form.is_valid() else {}
    return form, selectors.listed_invoices(user=user, filters=filters)


@requires(C.VIEW_INVOICES)
def invoice_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form, invoices = filtered_invoices(request)
    page, query = paginate(request, invoices, PAGE_SIZE)
    context = {
        "form": form,
        "page": page,
        "totals": selectors.invoice_totals(invoices),
        "query": query,
        "sorts": SORTS,
        **_pay_several_context(user, page),
    }
    return render(request, "billing/invoice_list.html", context)


def _pay_several_context(user: User, invoices: Iterable[Invoice]) -> dict[str, Any]:
    """Which invoices of the page can be ticked to pay together: open ones, with no payment
    in progress, for someone who may pay (the list shows company invoices only)."""
    if not can(user, C.PAY_INVOICE):
        return {"can_pay_several": False, "selectable": set()}
    open_ids = [invoice.pk for invoice in invoices if invoice.status == Invoice.Status.OPEN]
    busy = payments.invoices_with_open_payment(open_ids) if open_ids else set()
    return {"can_pay_several": True, "selectable": set(open_ids) - busy}


@requires_any(C.VIEW_INVOICES, C.VIEW_PERSONAL_INVOICES)
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.invoice_get_for_user(user=user_of(request), pk=pk)
    centre_form = Form(request.GET or None)
    if invoice.personal_line_id is None:
        add_cost_centre_filter(centre_form, user=user_of(request))
    centre = ""
    if "cost_centre" in centre_form.fields and centre_form.is_valid():
        centre = centre_form.cleaned_data["cost_centre"]
    by_line, query = paginate(request, selectors.invoice_by_line(invoice, cost_centre=centre), 50)
    current_payment = payments.open_payment_of(invoice)
    grouped: list[PaymentInvoice] = []
    if current_payment is not None and current_payment.purpose == Payment.Purpose.INVOICES:
        # One payment of several invoices with this one: resuming or cancelling it is for
        # all of them, so the page says which.
        grouped = list(
            current_payment.covered.select_related("invoice").order_by(
                "invoice__issue_date", "invoice_id"
            )
        )
    context = {
        "invoice": invoice,
        "pay_form": PayForm(initial={"idempotency_key": uuid.uuid4().hex}),
        "current_payment": current_payment,
        "grouped": grouped,
        "payable": can(user_of(request), C.PAY_INVOICE)
        and payments.payer_may_pay(user_of(request), invoice),
        "resume_url": payments.payment_continue_url(current_payment) if current_payment else "",
        "vat_lines": invoice.vat_lines.all(),
        "by_line": by_line,
        "query": query,
        "centre_form": centre_form if "cost_centre" in centre_form.fields else None,
        "centre_query": urlencode({"cost_centre": centre}) if centre else "",
        "by_service": [
            {**row, "category_label": InvoiceItem.Category(row["category"]).label}
            for row in selectors.invoice_by_service(invoice)
        ],
    }
    return render(request, "billing/invoice_detail.html", context)


@requires(C.VIEW_PERSONAL_INVOICES)
def personal_invoice_list(request: HttpRequest) -> HttpResponse:
    invoices = selectors.personal_invoices(user=user_of(request)).select_related("personal_line")
    page, query = paginate(request, invoices.order_by("-issue_date", "-id"), PAGE_SIZE)
    return render(request, "billing/personal_invoice_list.html", {"page": page, "query": query})


@requires_any(C.PRINT_INVOICE, C.VIEW_PERSONAL_INVOICES)
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = user_of(request)
    invoice = selectors.invoice_get_for_user(user=user, pk=pk)
    if invoice.personal_line_id is None and not can(user, C.PRINT_INVOICE):
        raise PermissionDenied
    filename = f"fattura-{invoice.number}.pdf"
    # Larger invoices are rendered by a worker, in processes of its own.
    if invoice.items.count() <= CHUNKED_FROM_ROWS:
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


# --- Online payment (B3) ------------------------------------------------------------------


@requires(C.PAY_INVOICE)
@require_POST
def invoice_pay(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = user_of(request)
    invoice = get_object_or_404(selectors.payable_invoices(user=user), pk=pk)
    form = PayForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Richiesta di pagamento non valida: ricarica la pagina."))
        return redirect("billing:invoice-detail", pk=invoice.pk)
    try:
        _payment, next_url = payments.payment_start(
            user=user,
            invoice=invoice,
            idempotency_key=form.cleaned_data["idempotency_key"],
            base_url=base_url(request),
        )
    except payments.PaymentRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("billing:invoice-detail", pk=invoice.pk)
    return redirect(next_url)


@requires(C.PAY_INVOICE)
@require_POST
def invoices_pay(request: HttpRequest) -> HttpResponseBase:
    """Pay several invoices at once: the selection ticked on the list is shown with each
    invoice and the total (computed here), then confirmed, with the key of that page, into
    one checkout for the sum."""
    user = user_of(request)
    try:
        ids = sorted({int(value) for value in request.POST.getlist("invoice")})
    except ValueError:
        ids = []
    if refusal := payments.selection_refusal(len(ids)):
        messages.error(request, refusal)
        return redirect("billing:index")
    selection = (
        selectors.payable_invoices(user=user)
        .filter(pk__in=ids)
        .select_related("contract")
        .order_by("issue_date", "pk")
    )
    invoices = list(selection)
    if len(invoices) != len(ids):
        raise Http404
    if "idempotency_key" in request.POST:
        form = PayForm(request.POST)
        revisions = _confirmed_revisions(request, ids)
        if not form.is_valid() or revisions is None:
            messages.error(request, _("Richiesta di pagamento non valida: ricarica la pagina."))
            return redirect("billing:index")
        try:
            _payment, next_url = payments.payment_start_many(
                user=user,
                invoices=invoices,
                revisions=revisions,
                idempotency_key=form.cleaned_data["idempotency_key"],
                base_url=base_url(request),
            )
        except payments.InvoicesChanged as changed:
            # Back to the confirmation, with the new figures and a new key.
            messages.error(request, str(changed))
            invoices = list(selection)
        except payments.PaymentRefused as refused:
            messages.error(request, str(refused))
            return redirect("billing:index")
        else:
            return redirect(next_url)
    if refusal := payments.invoices_refusal(user=user, invoices=invoices):
        messages.error(request, refusal)
        return redirect("billing:index")
    context = {
        "invoices": invoices,
        "total": sum((invoice.total for invoice in invoices), Decimal("0.00")),
        "pay_form": PayForm(initial={"idempotency_key": uuid.uuid4().hex}),
    }
    return render(request, "billing/pay_several.html", context)


def _confirmed_revisions(request: HttpRequest, ids: Iterable[int]) -> dict[int, int] | None:
    """Each invoice's revision as its confirmation page showed it ("revision-<id>"), or
    None when one is missing or odd."""
    revisions = {}
    for pk in ids:
        value = request.POST.get(f"revision-{pk}", "")
        if not value.isdigit():
            return None
        revisions[pk] = int(value)
    return revisions


@requires(C.PAY_INVOICE)
@require_POST
def payment_cancel(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The person who started the invoice's payment gives it up ("Annulla")."""
    user = user_of(request)
    invoice = get_object_or_404(selectors.payable_invoices(user=user), pk=pk)
    try:
        payment = payments.payment_cancel(user=user, invoice=invoice)
    except payments.PaymentRefused as refusal:
        messages.error(request, str(refusal))
    else:
        if payment.purpose == Payment.Purpose.INVOICES:
            count = payment.covered.count()
            messages.success(
                request,
                ngettext(
                    "Pagamento di %(count)d fattura annullato: non è stato addebitato nulla.",
                    "Pagamento delle %(count)d fatture annullato per tutte: non è stato "
                    "addebitato nulla e puoi pagarle di nuovo.",
                    count,
                )
                % {"count": count},
            )
        else:
            messages.success(request, _("Pagamento annullato: non è stato addebitato nulla."))
    return redirect("billing:invoice-detail", pk=invoice.pk)


@requires(C.PAY_INVOICE)
def payment_result(request: HttpRequest, reference: str) -> HttpResponse:
    user = user_of(request)
    payable = selectors.payable_invoices(user=user)
    grouped = PaymentInvoice.objects.filter(invoice__in=payable).values("payment_id")
    payment = get_object_or_404(
        Payment.objects.select_related("invoice").filter(
            Q(invoice__in=payable) | Q(purpose=Payment.Purpose.INVOICES, pk__in=grouped)
        ),
        provider_reference=reference,
    )
    covered = payment.covered.select_related("invoice") if payment.invoice_id is None else []
    # Back from the provider, whose callback settled the payment: the invoices as it left them.
    shown_after_a_write_elsewhere(request)
    context = {
        "payment": payment,
        "covered": covered,
        "failure": payments.failure_message(payment),
    }
    return render(request, "billing/payment_result.html", context)


@public
@csrf_exempt  # a provider's server-to-server call, authenticated by its signature
@require_POST
def payment_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    # Only the configured provider has a webhook: the sandbox's is not there in production.
    if provider != settings.PAYMENT_GATEWAY:
        raise Http404
    try:
        result = payments.payment_callback(
            provider=provider, body=request.body, headers=request.headers
        )
    except (InvalidCallback, LookupError):
        return HttpResponse("invalid callback", status=400, content_type="text/plain")
    return HttpResponse(result, content_type="text/plain")


@public
def sandbox_checkout(request: HttpRequest, reference: str) -> HttpResponseBase:
    """The sandbox provider's hosted payment page (in a real deployment, the provider's);
    it exists only where the sandbox is the configured gateway."""
    if settings.PAYMENT_GATEWAY != "sandbox":
        raise Http404
    payment = get_object_or_404(
        Payment.objects.select_related("invoice"), provider="sandbox", provider_reference=reference
    )
    if payment.status != Payment.Status.PENDING:
        return redirect(payment.return_path)
    if not payment.is_open:
        # Like a provider's session past its expiry: no card is taken, and the provider
        # tells the shop the checkout expired.
        body = sandbox_event(provider_reference=reference, card_number=None)
        payments.payment_callback(
            provider="sandbox", body=body, headers={SIGNATURE_HEADER: sign(body)}
        )
        return redirect(payment.return_path)
    form = SandboxCardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        body = sandbox_event(
            provider_reference=reference, card_number=form.cleaned_data["card_number"]
        )
        # Delivered like the provider's webhook call: signed, through the same handler.
        payments.payment_callback(
            provider="sandbox", body=body, headers={SIGNATURE_HEADER: sign(body)}
        )
        return redirect(payment.return_path)
    return render(
        request,
        "billing/sandbox_checkout.html",
        {"payment": payment, "form": form, "test_cards": TEST_CARDS},
    )


# --- Billing requests (B4-B6) -------------------------------------------------------------


@requires_any(C.CHANGE_SHIPPING_ADDRESS, C.REQUEST_DIRECT_DEBIT, C.REQUEST_PAPERLESS)
def billing_settings(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    company = get_object_or_404(Company, pk=company_id_of(user))
    context = {
        "profile": selectors.billing_profile_of(company),
        "open_requests": selectors.open_billing_requests(company),
    }
    return render(request, "billing/settings.html", context)


def _billing_request_page(
    request: HttpRequest,
    *,
    form: Form,
    kind: RequestKind,
    send: Callable[[dict[str, Any]], Request],
    title: str,
    intro: str,
) -> HttpResponse:
    company = get_object_or_404(Company, pk=company_id_of(user_of(request)))
    return request_form_page(
        request,
        form=form,
        send=send,
        sent_message=_("Richiesta %(reference)s inviata: la seguirai da questa pagina."),
        sent_url=lambda tracked: reverse("billing:settings"),
        context={
            "pending": selectors.open_billing_requests(company).get(kind),
            "title": title,
            "intro": [intro],
            "back_url": reverse("billing:settings"),
            "back_label": _("Torna a spedizione, domiciliazione e NoCarta"),
        },
    )


@requires(C.CHANGE_SHIPPING_ADDRESS)
def shipping_address(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    return _billing_request_page(
        request,
        form=ShippingAddressForm(request.POST or None),
        kind=RequestKind.SHIPPING_ADDRESS,
        send=lambda data: services.shipping_address_request(
            user=user,
            address={
                key: data[key] for key in ("name", "street", "postal_code", "city", "province")
            },
            traffic_documentation=data["traffic_documentation"],
        ),
        title=_("Indirizzo di spedizione delle fatture"),
        intro=_(
            "Le fatture e, se la richiedi, la documentazione del traffico arriveranno a questo "
            "indirizzo dopo la verifica del servizio clienti."
        ),
    )


@requires(C.CHANGE_SHIPPING_ADDRESS)
def e_invoicing(request: HttpRequest) -> HttpResponse:
    """Where SDI delivers the electronic invoice: a recipient code or a PEC (B4: like the
    shipping address, it says where invoices go)."""
    user = user_of(request)
    return _billing_request_page(
        request,
        form=EInvoicingForm(request.POST or None),
        kind=RequestKind.E_INVOICING,
        send=lambda data: services.e_invoicing_request(
            user=user, sdi_code=data["sdi_code"], pec=data["pec"]
        ),
        title=_("Recapito della fattura elettronica"),
        intro=_(
            "Il Sistema di Interscambio (SDI) consegna la fattura elettronica al codice "
            "destinatario indicato o, se non ne hai uno, alla PEC. Il servizio clienti applica "
            "la modifica dopo la verifica."
        ),
    )


@requires(C.REQUEST_DIRECT_DEBIT)
def direct_debit(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    return _billing_request_page(
        request,
        form=DirectDebitForm(request.POST or None),
        kind=RequestKind.DIRECT_DEBIT,
        send=lambda data: services.direct_debit_request(
            user=user,
            iban=data["iban"],
            holder=data["holder"],
            holder_tax_code=data["holder_tax_code"],
        ),
        title=_("Domiciliazione delle fatture"),
        intro=_(
            "Le fatture saranno addebitate sul conto indicato alla scadenza, con mandato SEPA "
            "Core. Il servizio clienti attiva la domiciliazione dopo la verifica del conto."
        ),
    )


@requires(C.REQUEST_PAPERLESS)
def paperless(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    return _billing_request_page(
        request,
        form=PaperlessForm(request.POST or None),
        kind=RequestKind.PAPERLESS,
        send=lambda data: services.paperless_request(user=user),
        title=_("Servizio NoCarta"),
        intro=_(
            "Con NoCarta non ricevi più la fattura cartacea: la trovi qui, nell'Area Clienti, e "
            "ti avvisiamo per e-mail quando è disponibile."
        ),
    )


@requires(C.REQUEST_PAPERLESS)
def paperless_off(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    return _billing_request_page(
        request,
        form=PaperlessOffForm(request.POST or None),
        kind=RequestKind.PAPERLESS,
        send=lambda data: services.paperless_request(user=user, enable=False),
        title=_("Disattiva NoCarta"),
        intro=_(
            "Disattivando NoCarta riceverai di nuovo anche la fattura cartacea all'indirizzo di "
            "spedizione, dopo la conferma del servizio clienti."
        ),
    )
