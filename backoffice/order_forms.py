from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import date_field
from lines.models import PORT_IN_TRANSITIONS, OrderedSim, PortInState


class PortInMoveForm(forms.Form):
    """The next step of a SIM's portability: the states PORT_IN_TRANSITIONS allows from
    where it is, a cut-over date to schedule it, a reason to refuse it."""

    to_state = forms.ChoiceField(label=_("Nuovo stato della portabilità"))
    cutover_date = date_field(_("Data di passaggio"))
    reason = forms.CharField(label=_("Motivo del rifiuto"), max_length=300, required=False)

    def __init__(self, *args: Any, ordered_sim: OrderedSim, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = PORT_IN_TRANSITIONS[PortInState(ordered_sim.port_state)]
        self.fields["to_state"].choices = [  # type: ignore[attr-defined]
            (state.value, state.label) for state in PortInState if state in allowed
        ]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        target = data.get("to_state")
        # A date in the past is the service's to refuse (lines.portability), for every channel.
        scheduled = target == PortInState.SCHEDULED
        if scheduled and not data.get("cutover_date") and "cutover_date" not in self.errors:
            self.add_error("cutover_date", _("Indica la data di passaggio del numero."))
        if target == PortInState.REFUSED and not data.get("reason", "").strip():
            self.add_error("reason", _("Per rifiutare la portabilità scrivi il motivo."))
        return data
