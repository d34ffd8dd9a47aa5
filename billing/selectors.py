"""Reads of invoices, always from the user's company (404 for anything else)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Max, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Company, User
from accounts.roles import Capability, can
from accounts.selectors import company_id_of, filter_by_cost_centre
from billing.models import BillingProfile, Invoice, InvoiceItem, Payment
from tracking.models import OPEN_STATES, Request, RequestKind

ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=14, decimal_places=2))


def company_invoices(*, user: User) -> QuerySet[Invoice]:
    """The company's invoices (B1); personal invoices of Dual Billing lines are not."""
    if not can(user, Capability.VIEW_INVOICES):
        return Invoice.objects.none()
    return Invoice.objects.filter(company_id=company_id_of(user), personal_line__isnull=True)


def personal_invoices(*, user: User) -> QuerySet[Invoice]:
    """The personal invoices of Dual Billing lines issued to `user` (B7), and nobody
    else's: they stay the person's billed, whoever holds the line later."""
    if not can(user, Capability.VIEW_PERSONAL_INVOICES):
        return Invoice.objects.none()
    return Invoice.objects.filter(
        company_id=company_id_of(user), personal_line__isnull=False, billed_to=user
    )


def payable_invoices(*, user: User) -> QuerySet[Invoice]:
    """The invoices whose payment pages `user` may reach: the company's and the personal
    invoices issued to `user`."""
    return company_invoices(user=user) | personal_invoices(user=user)


def filter_invoices(
    invoices: QuerySet[Invoice],
    *,
    since: date | None = None,
    until: date | None = None,
    status: str = "",
    contract_id: int | None = None,
) -> QuerySet[Invoice]:
    if since:
        invoices = invoices.filter(issue_date__gte=since)
    if until:
        invoices = invoices.filter(issue_date__lte=until)
    today = timezone.localdate()
    if status == "OVERDUE":
        invoices = invoices.filter(status=Invoice.Status.OPEN, due_date__lt=today)
    elif status:
        invoices = invoices.filter(status=status)
    if contract_id:
        invoices = invoices.filter(contract_id=contract_id)
    return invoices


def listed_invoices(*, user: User, filters: Mapping[str, Any]) -> QuerySet[Invoice]:
    """The company invoices the list shows (and its CSV/XLSX exports), with the list's
    filters (`filters`: an InvoiceFilterForm's cleaned_data, empty when invalid) and order."""
    invoices = filter_invoices(
        company_invoices(user=user),
        since=filters.get("since"),
        until=filters.get("until"),
        status=filters.get("status", ""),
        contract_id=filters["contract"].pk if filters.get("contract") else None,
    )
    sort = filters.get("sort") or "-issue_date"
    return invoices.select_related("contract").order_by(sort, "-id")


@dataclass(frozen=True)
class InvoiceListTotals:
    count: int
    total: Decimal
    to_pay: Decimal


def invoice_totals(invoices: QuerySet[Invoice]) -> InvoiceListTotals:
    figures = invoices.aggregate(
        invoices_count=Count("id"),
        invoices_total=Coalesce(Sum("total"), ZERO),
        invoices_to_pay=Coalesce(Sum("total", filter=Q(status=Invoice.Status.OPEN)), ZERO),
    )
    return InvoiceListTotals(
        count=figures["invoices_count"],
        total=figures["invoices_total"],
        to_pay=figures["invoices_to_pay"],
    )


def invoice_get_for_user(*, user: User, pk: int) -> Invoice:
    """A company invoice, or a personal invoice of the user's Dual Billing line."""
    invoice = (
        company_invoices(user=user).select_related("contract", "company").filter(pk=pk).first()
    )
    if invoice is None:
        invoice = get_object_or_404(
            personal_invoices(user=user).select_related("contract", "company", "personal_line"),
            pk=pk,
        )
    return invoice


def invoice_by_line(invoice: Invoice, *, cost_centre: str = "") -> QuerySet[Any, Any]:
    """Per line: fees, traffic, one-offs and total (the contract-level items under None),
    with the cost centre the rows were issued with; only those of `cost_centre` when given
    (a value of the filter, see filter_by_cost_centre)."""

    def category(name: str) -> Coalesce:
        return Coalesce(Sum("amount", filter=Q(category=name)), ZERO)

    return (
        filter_by_cost_centre(invoice.items.all(), cost_centre)
        .values("line__number", "cost_centre__code")
        .annotate(
            fees=category(InvoiceItem.Category.FEE),
            traffic=category(InvoiceItem.Category.TRAFFIC),
            one_off=category(InvoiceItem.Category.ONE_OFF),
            taxes=category(InvoiceItem.Category.TAX),
            amount=Coalesce(Sum("amount"), ZERO),
        )
        .order_by("line__number")
    )


def invoice_by_service(invoice: Invoice) -> QuerySet[Any, Any]:
    return (
        invoice.items.values("category", "service", "vat_rate")
        .annotate(lines=Count("line", distinct=True), amount=Coalesce(Sum("amount"), ZERO))
        .order_by("category", "service")
    )


def payments_refund_due() -> QuerySet[Payment]:
    """Charges that paid nothing and that the provider has not confirmed refunding yet,
    the longest waiting first (the back office's list, the retries)."""
    return (
        Payment.objects.filter(status=Payment.Status.REFUND_DUE)
        .select_related("invoice__company", "created_by__company")
        .order_by("completed_at", "id")
    )


# --- Billing requests (B4-B6) -------------------------------------------------------------

BILLING_REQUEST_KINDS = (
    RequestKind.SHIPPING_ADDRESS,
    RequestKind.DIRECT_DEBIT,
    RequestKind.PAPERLESS,
    RequestKind.E_INVOICING,
)


def billing_profile_of(company: Company) -> BillingProfile:
    """The company's billing profile; an unsaved default one before any change."""
    return BillingProfile.objects.filter(company=company).first() or BillingProfile(company=company)


def open_billing_requests(company: Company) -> dict[str, Request]:
    """The company's billing requests still in the back office's hands, by kind."""
    requests = Request.objects.filter(
        company=company, kind__in=BILLING_REQUEST_KINDS, state__in=OPEN_STATES
    ).order_by("created_at")
    return {request.kind: request for request in requests}


# --- The home page's billing card (B1, B3, B5) -------------------------------------------


@dataclass(frozen=True)
class BillingSummary:
    to_pay: Decimal
    open_count: int
    next_due: date | None
    overdue_count: int
    overdue: list[Invoice]  # the oldest few
    direct_debit: BillingProfile
    direct_debit_requested: bool


def billing_summary(*, user: User, overdue_limit: int = 5) -> BillingSummary:
    """What the company owes: a fixed number of queries, whatever the number of invoices."""
    invoices = company_invoices(user=user)
    today = timezone.localdate()
    still_open = Q(status=Invoice.Status.OPEN)
    late = still_open & Q(due_date__lt=today)
    figures = invoices.aggregate(
        to_pay=Coalesce(Sum("total", filter=still_open), ZERO),
        open_count=Count("id", filter=still_open),
        next_due=Min("due_date", filter=still_open & Q(due_date__gte=today)),
        overdue_count=Count("id", filter=late),
    )
    overdue = list(invoices.filter(late).order_by("due_date", "id")[:overdue_limit])
    company_id = company_id_of(user)
    profile = BillingProfile.objects.filter(company_id=company_id).first()
    requested = Request.objects.filter(
        company_id=company_id, kind=RequestKind.DIRECT_DEBIT, state__in=OPEN_STATES
    ).exists()
    return BillingSummary(
        to_pay=figures["to_pay"],
        open_count=figures["open_count"],
        next_due=figures["next_due"],
        overdue_count=figures["overdue_count"],
        overdue=overdue,
        direct_debit=profile or BillingProfile(company_id=company_id),
        direct_debit_requested=requested,
    )


# --- For the cost centres' roll-up (costs.selectors) ----------------------------------------


def company_invoice_last_issued(*, company_id: int) -> date | None:
    """The issue date of the company's latest invoice (personal ones not), if any."""
    found: date | None = Invoice.objects.filter(
        company_id=company_id, personal_line__isnull=True
    ).aggregate(last=Max("issue_date"))["last"]
    return found


def invoiced_by_cost_centre(
    *, company_id: int, since: date, until: date
) -> dict[tuple[date, int | None], Decimal]:
    """The amounts (VAT excluded) of the company's invoices issued from `since` to before
    `until`, by the month they were issued and the cost centre each row was issued with
    (None: no centre); one query. Personal invoices of Dual Billing lines are their
    holders', not the company's costs."""
    items = (
        InvoiceItem.objects.filter(
            invoice__company_id=company_id,
            invoice__personal_line__isnull=True,
            invoice__issue_date__gte=since,
            invoice__issue_date__lt=until,
        )
        .annotate(issued=TruncMonth("invoice__issue_date"))
        .values("issued", "cost_centre")
        .annotate(amount=Sum("amount"))
    )
    return {(row["issued"], row["cost_centre"]): row["amount"] for row in items}
