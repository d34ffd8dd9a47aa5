"""Invoices as PDF, with WeasyPrint. WeasyPrint fetches nothing but an allowlist of the
app's own static files: no network, no file paths, no redirects."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from billing.models import Invoice

STATIC_SCHEME = "static:"
ALLOWED_STATIC = {"css/invoice-pdf.css": "text/css"}


class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint ships no types
    """Serves `static:<path>` for the allowlisted paths; refuses every other URL."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = url.removeprefix(STATIC_SCHEME) if url.startswith(STATIC_SCHEME) else None
        if path not in ALLOWED_STATIC:
            raise ValueError(f"Refused to fetch {url!r}: not an allowed static file")
        found = finders.find(path)
        if not found:
            raise ValueError(f"Static file {path!r} is missing")
        with open(found, "rb") as file:
            body = file.read()
        return URLFetcherResponse(url, body, {"Content-Type": ALLOWED_STATIC[path]})


def invoice_pdf(invoice: Invoice, *, language: str = "it") -> bytes:
    """The invoice as a PDF: a summary page, then every charge, line by line."""
    with translation.override(language):
        html = render_to_string(
            "billing/pdf/invoice.html",
            {
                "invoice": invoice,
                "seller": settings.INVOICE_SELLER,
                "vat_lines": invoice.vat_lines.all(),
                "items": invoice.items.select_related("line").order_by("line__number", "id"),
            },
        )
    document = HTML(string=html, base_url=STATIC_SCHEME, url_fetcher=StaticOnlyFetcher())
    pdf: bytes = document.write_pdf()
    return pdf
