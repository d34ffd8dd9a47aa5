"""Form fields every section shares: dates from the browser's picker, phone numbers as
people type them, and the Italian address."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from core.italy import PROVINCES, validate_cap, validate_municipality, validate_phone_number


def date_field(label: StrOrPromise, **kwargs: Any) -> forms.DateField:
    """An optional date chosen with the browser's date picker (which sends ISO dates)."""
    kwargs.setdefault("required", False)
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    return forms.DateField(label=label, widget=widget, **kwargs)


class PhoneField(forms.CharField):
    """A phone number as people type it ("+39 02 1234 5678"), kept without spaces."""

    default_validators = [validate_phone_number]

    def to_python(self, value: Any) -> str:
        return "".join(str(super().to_python(value)).replace("-", " ").replace(".", " ").split())


class ItalianAddressForm(forms.Form):
    street = forms.CharField(label=_("Indirizzo (via e numero civico)"), max_length=200)
    postal_code = forms.CharField(
        label=_("CAP"), max_length=5, min_length=5, validators=[validate_cap]
    )
    city = forms.CharField(label=_("Comune"), max_length=100, validators=[validate_municipality])
    province = forms.ChoiceField(
        label=_("Provincia"),
        choices=[("", "---")] + [(code, code) for code in sorted(PROVINCES)],
    )
