"""Amounts and VAT rates as the reader's language writes them: one place for pages, PDFs and
e-mails."""

from decimal import Decimal

from babel.numbers import format_currency
from django.utils.translation import get_language
from django.utils.translation import gettext as _


def locale_of_language() -> str:
    """Babel's locale for the active language: Italian unless English was chosen."""
    return "it_IT" if (get_language() or "it").startswith("it") else "en_GB"


def euro(value: Decimal) -> str:
    """ "1.234,56 €" in Italian, "€1,234.56" in English."""
    return str(format_currency(value, "EUR", locale=locale_of_language()))


def vat_rate(value: Decimal | None) -> str:
    """ "22%"; "fuori campo IVA" for none (a charge out of the scope of VAT)."""
    if value is None:
        return _("fuori campo IVA")
    return f"{value.normalize():f}%"
