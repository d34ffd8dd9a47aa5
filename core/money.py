"""Amounts and VAT rates as the reader's language writes them: one place for pages, PDFs and
e-mails."""

from decimal import Decimal
from functools import cache

from babel import Locale
from babel.numbers import NumberPattern
from django.utils.translation import get_language
from django.utils.translation import gettext as _


def locale_of_language() -> str:
    """Babel's locale for the active language: Italian unless English was chosen."""
    return "it_IT" if (get_language() or "it").startswith("it") else "en_GB"


@cache
def _currency_format(locale: str) -> tuple[Locale, NumberPattern]:
    # What format_currency looks up on every call (a large invoice's PDF, an import's
    # alerts format thousands of amounts): looked up once.
    parsed = Locale.parse(locale)
    return parsed, parsed.currency_formats["standard"]


def euro(value: Decimal) -> str:
    """ "1.234,56 €" in Italian, "€1,234.56" in English."""
    locale, pattern = _currency_format(locale_of_language())
    return str(pattern.apply(value, locale, currency="EUR"))


def vat_rate(value: Decimal | None) -> str:
    """ "22%"; "fuori campo IVA" for none (a charge out of the scope of VAT)."""
    if value is None:
        return _("fuori campo IVA")
    return f"{value.normalize():f}%"
