"""Italian addresses and phone numbers as people type them: the provinces' official
two-letter codes (sigle automobilistiche, the Sardinian ones restored in 2025 included) and
the formats of CAP, comune and phone number, shared by the models and every section's forms."""

from django.core.validators import RegexValidator
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
    _("Indicare il nome del comune."),
    "invalid_municipality",
)
validate_phone_number = RegexValidator(
    r"^\+?\d{6,15}$", _("Numero di telefono non valido."), "invalid_phone_number"
)
