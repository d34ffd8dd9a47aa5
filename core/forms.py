"""Form fields every section shares: dates from the browser's picker, phone numbers as
people type them, and the Italian address."""

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from core.italy import (
    PHONE_NUMBER_HELP,
    PROVINCES,
    phone_number_display,
    phone_number_e164,
    validate_cap,
    validate_municipality,
)

# The earliest day any period a person chooses may start: before every invoice and record
# of the Area Clienti, and it keeps month arithmetic well inside Python's calendar.
EARLIEST_DAY = date(2000, 1, 1)


def date_field(label: StrOrPromise, **kwargs: Any) -> forms.DateField:
    """An optional date chosen with the browser's date picker (which sends ISO dates)."""
    kwargs.setdefault("required", False)
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    return forms.DateField(label=label, widget=widget, **kwargs)


class FormatField(forms.CharField):
    """A value with a set format (CAP, codice fiscale, ICCID, PUK...) whose validators state
    the format, length included: only the first failing check is reported, so a person reads
    one clear message, never Django's generic length message beside the format's."""

    def run_validators(self, value: Any) -> None:
        if value in self.empty_values:
            return
        for validator in self.validators:
            try:
                validator(value)
            except ValidationError as error:
                if hasattr(error, "code") and error.code in self.error_messages:
                    error.message = self.error_messages[error.code]
                raise


class TelInput(forms.TextInput):
    input_type = "tel"


class PhoneField(forms.CharField):
    """A phone number as people type it ("333 1234567", "+39 333 1234567", "06 5550101"),
    cleaned to E.164 ("+393331234567"), the one format the models store; shown grouped."""

    widget = TelInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 25)  # as typed: prefix, spaces, dashes
        kwargs.setdefault("help_text", PHONE_NUMBER_HELP)
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {**super().widget_attrs(widget), "autocomplete": "tel"}

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        if not text:
            return ""
        return phone_number_e164(text)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("+"):
            return phone_number_display(value)
        return value


class ItalianAddressForm(forms.Form):
    street = forms.CharField(label=_("Indirizzo (via e numero civico)"), max_length=200)
    postal_code = FormatField(
        label=_("CAP"),
        max_length=5,
        validators=[validate_cap],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    city = forms.CharField(label=_("Comune"), max_length=100, validators=[validate_municipality])
    province = forms.ChoiceField(
        label=_("Provincia"),
        choices=[("", "---")] + [(code, code) for code in sorted(PROVINCES)],
    )
