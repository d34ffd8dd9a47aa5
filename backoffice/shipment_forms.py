"""What the back office fills in to move a shipment (backoffice.shipment_views)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from tracking.models import SHIPMENT_TRANSITIONS, Carrier, Shipment, ShipmentState
from tracking.shipments import TRACKING_NUMBER_PATTERN


class TrackingNumberField(forms.CharField):
    """Typed from the waybill, sometimes in lower case: checked and kept upper-cased."""

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).upper()


class ShipmentMoveForm(forms.Form):
    """The next state among SHIPMENT_TRANSITIONS; the carrier and tracking number only when
    the shipment can leave (PREPARING → SHIPPED)."""

    to_state = forms.ChoiceField(label=_("Nuovo stato della spedizione"))
    carrier = forms.ChoiceField(label=_("Corriere"), required=False)
    tracking_number = TrackingNumberField(
        label=_("Numero di spedizione"),
        max_length=40,
        required=False,
        help_text=_("Da 6 a 40 lettere o cifre, come sulla lettera di vettura."),
        validators=[
            RegexValidator(
                TRACKING_NUMBER_PATTERN,
                _("Il numero di spedizione ha da 6 a 40 lettere o cifre, senza spazi."),
            )
        ],
    )
    note = forms.CharField(
        label=_("Nota per il cliente"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, shipment: Shipment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = SHIPMENT_TRANSITIONS[ShipmentState(shipment.state)]
        self.fields["to_state"].choices = [  # type: ignore[attr-defined]
            (target.value, target.label) for target in ShipmentState if target in allowed
        ]
        self.ships = ShipmentState.SHIPPED in allowed
        if self.ships:
            self.fields["carrier"].choices = [("", "—"), *Carrier.choices]  # type: ignore[attr-defined]
        else:
            del self.fields["carrier"], self.fields["tracking_number"]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if self.ships and data.get("to_state") == ShipmentState.SHIPPED:
            if not data.get("carrier"):
                self.add_error("carrier", _("Indica il corriere."))
            if not data.get("tracking_number") and "tracking_number" not in self.errors:
                self.add_error("tracking_number", _("Indica il numero di spedizione."))
        return data
