from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lines import chooser
from lines.chooser import PAGE_SIZE, ChooserAction

__all__ = ["PAGE_SIZE", "ChooserAction", "LineChooserForm", "OfferTermsForm"]


class LineChooserForm(chooser.LineChooserForm):
    """A page of the activation's line chooser: its lines must be eligible for the offer."""

    not_eligible_message = _(
        "Alcune delle linee inviate non possono ricevere questa offerta: ricarica "
        "la pagina e scegli di nuovo."
    )


class OfferTermsForm(forms.Form):
    """The acceptance of the offer's terms, required to confirm an activation; the version
    is the one the summary showed."""

    accept_terms = forms.BooleanField(
        label=_("Ho letto e accetto le condizioni dell'offerta"),
        error_messages={"required": _("Per attivare l'offerta accetta le condizioni.")},
    )
    terms_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
