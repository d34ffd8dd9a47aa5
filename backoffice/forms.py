from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import Sim
from accounts.validators import validate_iccid
from core.forms import FormatField
from tracking.models import TRANSITIONS, RequestKind, RequestState


class TransitionForm(forms.Form):
    to_state = forms.ChoiceField(label=_("Nuovo stato"))
    note = forms.CharField(
        label=_("Nota per il cliente"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, state: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = TRANSITIONS[RequestState(state)]
        self.fields["to_state"].choices = [  # type: ignore[attr-defined]
            (target.value, target.label) for target in RequestState if target in allowed
        ]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if data.get("to_state") == RequestState.REJECTED and not data.get("note", "").strip():
            self.add_error("note", _("Per respingere la richiesta scrivi al cliente il motivo."))
        return data


class SimChangeCompletionForm(forms.Form):
    """What the back office supplies to complete a SIM change: the new SIM's data."""

    new_iccid = FormatField(
        label=_("ICCID della nuova SIM"), max_length=20, validators=[validate_iccid]
    )
    new_puk = FormatField(
        label=_("PUK della nuova SIM"),
        max_length=8,
        validators=[RegexValidator(r"^\d{8}$", _("Il PUK è formato da 8 cifre."))],
    )

    def clean_new_iccid(self) -> str:
        iccid: str = self.cleaned_data["new_iccid"].strip()
        if Sim.objects.filter(iccid=iccid).exists():
            raise forms.ValidationError(_("Questo ICCID appartiene già a un'altra SIM."))
        return iccid


# Requests whose completion needs data from the operator, and the form that asks for it.
COMPLETION_FORMS: dict[str, type[forms.Form]] = {RequestKind.SIM_CHANGE: SimChangeCompletionForm}
