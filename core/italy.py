"""Italian addresses and phone numbers as people type them: the provinces' official
two-letter codes (sigle automobilistiche, the Sardinian ones restored in 2025 included) and
the formats of CAP, comune and phone number, shared by the models and every section's forms;
and dates as a sentence writes them, with their article ("entro l'11/12/2026")."""

from datetime import date, datetime

import phonenumbers
from babel.dates import format_date
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext_lazy as _

# fmt: off
PROVINCES = frozenset(
    (
        "AG", "AL", "AN", "AO", "AP", "AQ", "AR", "AT", "AV", "BA", "BG", "BI", "BL", "BN",
        "BO", "BR", "BS", "BT", "BZ", "CA", "CB", "CE", "CH", "CI", "CL", "CN", "CO", "CR",
        "CS", "CT", "CZ", "EN", "FC", "FE", "FG", "FI", "FM", "FR", "GE", "GO", "GR", "IM",
        "IS", "KR", "LC", "LE", "LI", "LO", "LT", "LU", "MB", "MC", "ME", "MI", "MN", "MO",
        "MS", "MT", "NA", "NO", "NU", "OG", "OR", "OT", "PA", "PC", "PD", "PE", "PG", "PI",
        "PN", "PO", "PR", "PT", "PU", "PV", "PZ", "RA", "RC", "RE", "RG", "RI", "RM", "RN",
        "RO", "SA", "SI", "SO", "SP", "SR", "SS", "SU", "SV", "TA", "TE", "TN", "TO", "TP",
        "TR", "TS", "TV", "UD", "VA", "VB", "VC", "VE", "VI", "VR", "VS", "VT", "VV",
    )
)
# fmt: on

validate_cap = RegexValidator(r"^\d{5}$", _("Il CAP è formato da 5 cifre."), "invalid_cap")
validate_municipality = RegexValidator(
    r"^[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ' .-]{1,99}$",
    _("Indica il nome del comune."),
    "invalid_municipality",
)
# What the models store: E.164 ("+393331234567"), which the forms' PhoneField writes. The
# pattern also admits the digits-only values stored before, so no stored value turns invalid.
validate_phone_number = RegexValidator(
    r"^\+?\d{6,15}$", _("Numero di telefono non valido."), "invalid_phone_number"
)

PHONE_NUMBER_HELP = _("Cellulare o fisso, ad esempio 333 1234567 o 06 5550101.")


def phone_number_e164(value: str) -> str:
    """A phone number as people type it ("333 1234567", "+39 333 1234567", "06 5550101",
    "0039 ...", with spaces, dashes or dots) in E.164: Italian unless it starts with another
    country's prefix, and a number that exists in its country's numbering plan."""
    invalid = ValidationError(
        _("Numero di telefono non valido: scrivilo ad esempio come 333 1234567 o 06 5550101."),
        code="invalid_phone_number",
    )
    try:
        number = phonenumbers.parse(value, "IT")
    except phonenumbers.NumberParseException:
        raise invalid from None
    if not phonenumbers.is_valid_number(number):
        raise invalid
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_number_display(value: str) -> str:
    """A stored number grouped as people read it ("+39 333 123 4567"); as stored if unparsable."""
    try:
        number = phonenumbers.parse(value, "IT")
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# Italian writes a date with its article, merged with the preposition before it and elided
# before the days read with a vowel: "entro il 10/12", "entro l'11/12", "dall'8/03".
_ARTICLES = {
    "": ("il ", "l'"),
    "da": ("dal ", "dall'"),
    "di": ("del ", "dell'"),
    "a": ("al ", "all'"),
}
_DAYS_READ_WITH_A_VOWEL = frozenset((8, 11))  # otto, undici ("il 1°" is read "il primo")


def article_before_day(day: int, preposition: str = "") -> str:
    """What goes before a date of that day in the active language: "l'", "il ", "dall'",
    "dal "... in Italian (`preposition` "da", "di" or "a" merged in), nothing in the others,
    where the sentence carries its own preposition ("by %(date)s")."""
    if not (get_language() or "").startswith("it"):
        return ""
    article, elided = _ARTICLES[preposition]
    return elided if day in _DAYS_READ_WITH_A_VOWEL else article


def date_with_article(value: date, *, preposition: str = "") -> str:
    """The date (with the time, for a datetime) in the short format, after its article:
    "entro %(date)s" reads "entro l'11/12/2026"; with "da", "a partire %(date)s" reads
    "a partire dal 10/12/2026"."""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        text = date_format(value, "SHORT_DATETIME_FORMAT")
    else:
        text = date_format(value, "SHORT_DATE_FORMAT")
    return article_before_day(value.day, preposition) + text


def _locale() -> str:
    return to_locale(get_language() or "it")


# Django's `date:"F"` writes Italian months capitalised ("Dicembre") and a `|lower` after it
# would write English ones wrong ("december"): CLDR's names are right in both languages.
def long_date(value: date) -> str:
    """ "8 dicembre 2026" in Italian, "8 December 2026" in English."""
    return format_date(value, "d MMMM yyyy", locale=_locale())


def month_year(value: date) -> str:
    """ "dicembre 2026" in Italian (lower case, as Italian writes months), "December 2026"."""
    return format_date(value, "LLLL yyyy", locale=_locale())
