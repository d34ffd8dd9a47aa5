"""The JSON API for the operator's other systems, under /api/v1/."""

from __future__ import annotations

from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET, require_POST

from accounts.access import public
from accounts.models import Company
from api.auth import api_client, api_error, client_of
from api.models import ApiScope
from api.payloads import json_object
from api.schema import OPENAPI
from billing.services import InvoiceDataError, invoice_import
from consumption.services import usage_import_rows


@api_client(ApiScope.INVOICES_WRITE)
@require_POST
def invoices(request: HttpRequest) -> JsonResponse:
    """Load one invoice from the billing system; idempotent on its number."""
    record = json_object(request)
    if isinstance(record, JsonResponse):
        return record
    client = client_of(request)
    if not client.all_companies:
        vat_number = str(record.get("company_vat_number", ""))
        if not client.customers().filter(vat_number=vat_number).exists():
            # A customer the client does not act for is, to it, no customer at all.
            return api_error(
                400,
                "The invoice was not loaded.",
                field="company_vat_number",
                detail="no such customer",
            )
    try:
        outcome = invoice_import(record)
    except InvoiceDataError as error:
        field, _, detail = str(error).partition(": ")
        return api_error(400, "The invoice was not loaded.", field=field, detail=detail)
    invoice = outcome.invoice
    body = {
        "number": invoice.number,
        "revision": invoice.revision,
        "total": str(invoice.total),
        "created": outcome.created,
        "changed": outcome.changed,
    }
    return JsonResponse(body, status=201 if outcome.created else 200)


@public
@require_GET
def openapi(request: HttpRequest) -> JsonResponse:
    return JsonResponse(OPENAPI)


MAX_USAGE_RECORDS = 10_000
# How long a push of usage waits for an import under way before answering 503.
USAGE_LOCK_WAIT = "5s"
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout runs out


@api_client(ApiScope.USAGE_WRITE)
@require_POST
def usage(request: HttpRequest) -> JsonResponse:
    """Load usage records: {"records": [{record_id, number, started_at, kind, roaming,
    quantity, cost}, ...]}; a record sent twice counts once."""
    payload = json_object(request)
    if isinstance(payload, JsonResponse):
        return payload
    records = payload.get("records")
    if not isinstance(records, list) or not records:
        return api_error(400, "The body must be an object with a non-empty list 'records'.")
    if len(records) > MAX_USAGE_RECORDS:
        return api_error(413, "Too many records: send at most 10,000 per request.")
    rows = (
        (position, _as_text(record) if isinstance(record, dict) else {})
        for position, record in enumerate(records)
    )
    client = client_of(request)
    companies: QuerySet[Company] | None = None if client.all_companies else client.customers()
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # A file import holds the usage lock for its batch (seconds, or tens of them
                # for a large file): rather than wait past the server's timeout, the client
                # is told to come back.
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = '{USAGE_LOCK_WAIT}'")
            report = usage_import_rows(rows, companies=companies)
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        busy = api_error(503, "Usage is being loaded by another import: retry in a few seconds.")
        busy["Retry-After"] = "5"
        return busy
    body = {
        "read": report.read,
        "loaded": report.loaded,
        "already_loaded": report.read - report.loaded - report.refused,
        "refused": report.refused,
        "errors": [error.replace("line ", "record ", 1) for error in report.errors],
    }
    return JsonResponse(body, status=200 if not report.refused else 207)


def _as_text(record: dict[str, object]) -> dict[str, str]:
    """JSON values as the CSV importer reads them (booleans as 1/0)."""
    return {
        key: ("1" if value else "0")
        if isinstance(value, bool)
        else ""
        if value is None
        else str(value)
        for key, value in record.items()
    }
