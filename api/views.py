"""The JSON API for the operator's other systems, under /api/v1/."""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET, require_POST

from accounts.access import public
from api.auth import api_client, api_error
from api.schema import OPENAPI
from billing.services import InvoiceDataError, invoice_import

MAX_BODY_BYTES = 20 * 1024 * 1024


@api_client
@require_POST
def invoices(request: HttpRequest) -> JsonResponse:
    """Load one invoice from the billing system; idempotent on its number."""
    if len(request.body) > MAX_BODY_BYTES:
        return api_error(413, "The invoice is too large.")
    try:
        record = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return api_error(400, "The body is not valid JSON.")
    if not isinstance(record, dict):
        return api_error(400, "The body must be a JSON object.")
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
