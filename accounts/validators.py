"""Italian fiscal codes, checked with python-stdnum (values are stored in compact form),
ICCIDs, provinces and passwords. The address and phone formats that forms share are in
`core.italy`."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.it import codicefiscale, iva
from stdnum.luhn import is_valid as luhn_is_valid

from core.italy import PROVINCES


def validate_partita_iva(value: str) -> None:
    try:
        iva.validate(value)
    except StdnumError as exc:
        raise ValidationError(_("Partita IVA non valida."), code="invalid_partita_iva") from exc


def validate_codice_fiscale(value: str) -> None:
    """A person's 16-character code, or a company's 11-digit one."""
    try:
        codicefiscale.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("Codice fiscale non valido."), code="invalid_codice_fiscale"
        ) from exc


def validate_personal_codice_fiscale(value: str) -> None:
    if len(codicefiscale.compact(value)) != 16:
        raise ValidationError(_("Codice fiscale non valido."), code="invalid_codice_fiscale")
    validate_codice_fiscale(value)


def validate_iccid(value: str) -> None:
    """ICCIDs (ITU-T E.118) are 19 or 20 digits, starting 89, with a Luhn check digit."""
    if not (value.isdigit() and len(value) in (19, 20) and value.startswith("89")):
        raise ValidationError(_("ICCID non valido."), code="invalid_iccid")
    if not luhn_is_valid(value):
        raise ValidationError(_("ICCID non valido."), code="invalid_iccid")


# Here rather than in core.italy: the migrations name this function by its path.
def validate_province(value: str) -> None:
    if value not in PROVINCES:
        raise ValidationError(
            _("Indica la sigla di una provincia italiana (due lettere, per esempio RM)."),
            code="invalid_province",
        )


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django 5.2's message changed wording and its Italian catalogue lacks it."""

    def get_error_message(self) -> str:
        return ngettext(
            "La password è troppo corta: deve contenere almeno %(min)d carattere.",
            "La password è troppo corta: deve contenere almeno %(min)d caratteri.",
            self.min_length,
        ) % {"min": self.min_length}

    def get_help_text(self) -> str:
        return ngettext(
            "La password deve contenere almeno %(min)d carattere.",
            "La password deve contenere almeno %(min)d caratteri.",
            self.min_length,
        ) % {"min": self.min_length}
