from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import FormatField
from tracking.models import TRANSITIONS, Request, RequestKind, RequestState
from tracking.shipments import card_errors


class TransitionForm(forms.Form):
    to_state = forms.ChoiceField(label=_("Nuovo stato"))
    note = forms.CharField(
        label=_("Nota per il cliente"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, state: str, completable: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = TRANSITIONS[RequestState(state)]
        if not completable:  # its delivery completes it (tracking.shipments.shipments_follow)
            allowed = allowed - {RequestState.COMPLETED}
            # A page opened before the shipment was made may still ask for it.
            self.fields["to_state"].error_messages["invalid_choice"] = _(
                "La richiesta ha una spedizione in corso: si completa da sola quando registri "
                "la consegna."
            )
        self.fields["to_state"].choices = [  # type: ignore[attr-defined]
            (target.value, target.label) for target in RequestState if target in allowed
        ]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if data.get("to_state") == RequestState.REJECTED and not data.get("note", "").strip():
            self.add_error("note", _("Per respingere la richiesta scrivi al cliente il motivo."))
        return data


class SimChangeCompletionForm(forms.Form):
    """What the back office supplies to complete or ship a SIM change: the new SIM's data,
    checked by the shipments' one rule (tracking.shipments.card_errors)."""

    new_iccid = FormatField(label=_("ICCID della nuova SIM"), max_length=20)
    new_puk = FormatField(label=_("PUK della nuova SIM"), max_length=8)

    def __init__(self, *args: Any, tracked: Request, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tracked = tracked

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        card = {key: str(data.get(key, "")).strip() for key in ("new_iccid", "new_puk")}
        for field, message in card_errors(card, request=self.tracked).items():
            if field not in self.errors:  # a missing value says so once
                self.add_error(field, message)
        return {**data, **card}


# Requests whose completion needs data from the operator, and the form that asks for it.
COMPLETION_FORMS: dict[str, type[SimChangeCompletionForm]] = {
    RequestKind.SIM_CHANGE: SimChangeCompletionForm
}
