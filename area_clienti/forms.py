from typing import Any

from django import forms
from django_stubs_ext import StrOrPromise


def date_field(label: StrOrPromise, **kwargs: Any) -> forms.DateField:
    """An optional date chosen with the browser's date picker (which sends ISO dates)."""
    kwargs.setdefault("required", False)
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    return forms.DateField(label=label, widget=widget, **kwargs)
