from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import TwoFactorPolicy


class CodeForm(forms.Form):
    """A code of the authenticator app or a recovery code."""

    code = forms.CharField(
        label=_("Codice di verifica"),
        max_length=20,
        help_text=_(
            "Le 6 cifre che mostra ora la tua app di autenticazione, oppure uno dei codici di "
            "recupero."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autofocus": True,
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )


class TotpConfirmForm(forms.Form):
    code = forms.CharField(
        label=_("Codice a 6 cifre mostrato dall'app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )


class PolicyForm(forms.Form):
    policy = forms.ChoiceField(
        label=_("Verifica in due passaggi obbligatoria per"),
        choices=TwoFactorPolicy.choices,
        widget=forms.RadioSelect,
    )
