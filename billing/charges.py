"""Charges already billed on lines, as consumption's report of billed services (C3) reads
them: the one way another section reads billing's invoice items."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.models import User
from accounts.selectors import company_id_of
from billing.models import InvoiceItem
from billing.selectors import ZERO

# The categories' names, for the report's column.
CATEGORY_LABELS = dict(InvoiceItem.Category.choices)


def billed_items(
    *, user: User, line_ids: list[int], since: date | None = None, until: date | None = None
) -> QuerySet[InvoiceItem]:
    """Charges already billed on these lines (C3), from the company's invoices only."""
    items = InvoiceItem.objects.filter(
        invoice__company_id=company_id_of(user),
        invoice__personal_line__isnull=True,
        line_id__in=line_ids,
    )
    if since:
        items = items.filter(invoice__period_end__gte=since)
    if until:
        items = items.filter(invoice__period_start__lte=until)
    return items


def billed_services(items: QuerySet[InvoiceItem]) -> QuerySet[Any, Any]:
    """Billed charges per line, invoice period and service."""
    return (
        items.values(
            "line__number",
            "invoice__number",
            "invoice__period_start",
            "invoice__period_end",
            "category",
            "service",
        )
        .annotate(amount=Coalesce(Sum("amount"), ZERO))
        .order_by("line__number", "-invoice__period_start", "category", "service")
    )
