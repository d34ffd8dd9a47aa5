"""The approver's decision on one request."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

NOTE_MAX = 1000


class DecisionForm(forms.Form):
    """Approve or reject (the button pressed, `decision`), with a note the requester reads;
    `seen` is the fingerprint of the request as the page showed it."""

    decision = forms.ChoiceField(
        choices=[("approve", _("Approva")), ("reject", _("Respingi"))],
        widget=forms.HiddenInput,
        error_messages={"required": _("Scegli se approvare o respingere la richiesta.")},
    )
    note = forms.CharField(
        label=_("Nota per chi ha fatto la richiesta"),
        help_text=_("Obbligatoria per respingere: chi l'ha fatta legge il motivo."),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    seen = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)
