"""The threshold form: a SIM of the company (by its number) or a cost centre, a metric, a
limit as people type it ("50,30", "80") and the people to warn."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Contract, CostCentre, Line, User
from accounts.selectors import cost_centres_of
from consumption.models import Threshold, ThresholdMetric
from consumption.thresholds import (
    duplicate_message,
    refused_message,
    threshold_recipients_refused,
)
from core.forms import PhoneField

TARGET_SIM, TARGET_CENTRE = "sim", "centre"
PERCENT_RANGE = (Decimal(1), Decimal(1000))
LARGEST_EURO = Decimal("9999999999.99")  # Threshold.limit: 12 digits, 2 decimals


# Plain digits only: no exponent ("1e30"), no NaN or infinity, at most 13 digits before
# the point (a limit holds 10) and a few after (more than 2 is refused by its own message).
_PLAIN_NUMBER = re.compile(r"-?[0-9]{1,13}(\.[0-9]{1,8})?")


def parse_amount(text: str) -> Decimal:
    """A number as Italians and others type it: "50,30", "1.234,56", "50.30", "80 %",
    "50 €". Raises ValueError when it is none, or one written with an exponent or too
    many digits."""
    cleaned = text.strip().replace("€", "").replace("%", "").replace(" ", "").replace("\xa0", "")
    if "," in cleaned:
        # The comma is the decimal separator; points before it group thousands.
        cleaned = cleaned.replace(".", "").replace(",", ".")
    if not _PLAIN_NUMBER.fullmatch(cleaned):
        raise ValueError(text)
    try:
        value = Decimal(cleaned)
    except InvalidOperation as error:
        raise ValueError(text) from error
    if not value.is_finite():
        raise ValueError(text)
    return value


class ThresholdForm(forms.Form):
    target = forms.ChoiceField(
        label=_("Su che cosa"),
        choices=[(TARGET_SIM, _("Una SIM")), (TARGET_CENTRE, _("Un centro di costo"))],
        widget=forms.RadioSelect,
        initial=TARGET_SIM,
    )
    number = PhoneField(label=_("Numero della SIM"), required=False)
    cost_centre = forms.ModelChoiceField(
        label=_("Centro di costo"), queryset=CostCentre.objects.none(), required=False
    )
    metric = forms.ChoiceField(
        label=_("Indicatore"), choices=ThresholdMetric.choices, widget=forms.RadioSelect
    )
    limit = forms.CharField(
        label=_("Soglia"),
        max_length=20,
        help_text=_(
            "In euro per la spesa (ad esempio 50,00), in percentuale del traffico incluso "
            "per i dati (da 1 a 1000, ad esempio 80)."
        ),
    )
    recipients = forms.ModelMultipleChoiceField(
        label=_("Chi avvisare"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Ricevono un'e-mail e una notifica. Per una SIM, solo chi ne vede i consumi; per "
            "un centro di costo, solo chi vede i consumi di tutte le SIM."
        ),
    )

    def __init__(
        self, *args: Any, company_id: int, instance: Threshold | None = None, **kwargs: Any
    ) -> None:
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "metric": instance.metric,
                    "limit": _decimal_text(instance.limit),
                    "recipients": list(instance.recipients.all()),
                },
            )
        super().__init__(*args, **kwargs)
        self.company_id = company_id
        self.instance = instance
        self.line: Line | None = instance.line if instance else None
        self.centre: CostCentre | None = instance.cost_centre if instance else None
        if instance is not None:
            # The target of a threshold stays: another SIM is another threshold.
            for name in ("target", "number", "cost_centre"):
                del self.fields[name]
        else:
            centres = self.fields["cost_centre"]
            assert isinstance(centres, forms.ModelChoiceField)
            centres.queryset = cost_centres_of(company_id=company_id)
        recipients = self.fields["recipients"]
        assert isinstance(recipients, forms.ModelMultipleChoiceField)
        recipients.queryset = User.objects.filter(company_id=company_id, is_active=True).order_by(
            "last_name", "first_name", "username"
        )
        recipients.label_from_instance = _person_label  # type: ignore[method-assign, assignment]

    def clean_limit(self) -> Decimal:
        try:
            value = parse_amount(self.cleaned_data["limit"])
        except ValueError as error:
            raise ValidationError(
                _("Scrivi un numero, ad esempio 50,00 (euro) o 80 (percentuale)."),
                code="invalid",
            ) from error
        if value != value.quantize(Decimal("0.01")):
            raise ValidationError(_("Al massimo due cifre decimali."), code="decimals")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance is None:
            self._clean_target(data)
        metric, limit = data.get("metric"), data.get("limit")
        if metric and limit is not None:
            if metric == ThresholdMetric.DATA_PERCENT:
                if not PERCENT_RANGE[0] <= limit <= PERCENT_RANGE[1]:
                    self.add_error(
                        "limit", _("Per i dati indica una percentuale tra 1 e 1000, ad esempio 80.")
                    )
            elif not Decimal(0) < limit <= LARGEST_EURO:
                self.add_error(
                    "limit", _("Indica un importo in euro maggiore di zero, ad esempio 50,00.")
                )
        if metric and (self.line or self.centre) and self._duplicate(metric):
            self.add_error("metric", duplicate_message(on_line=self.line is not None))
        recipients = data.get("recipients")
        if recipients and (self.line or self.centre):
            refused = threshold_recipients_refused(
                company_id=self.company_id, line=self.line, recipients=recipients
            )
            if refused:
                self.add_error(
                    "recipients", refused_message(refused, on_line=self.line is not None)
                )
        return data

    def _clean_target(self, data: dict[str, Any]) -> None:
        if data.get("target") == TARGET_SIM:
            number = data.get("number")
            if not number:
                if "number" not in self.errors:
                    self.add_error("number", _("Indica il numero della SIM."))
                return
            self.line = (
                Line.objects.filter(
                    contract__company_id=self.company_id,
                    contract__kind=Contract.Kind.MOBILE,
                    number=number,
                )
                .select_related("contract")
                .first()
            )
            if self.line is None:
                self.add_error("number", _("Nessuna SIM della tua azienda ha questo numero."))
        elif data.get("target") == TARGET_CENTRE:
            self.centre = data.get("cost_centre")
            if self.centre is None and "cost_centre" not in self.errors:
                self.add_error("cost_centre", _("Scegli il centro di costo."))

    def _duplicate(self, metric: str) -> bool:
        others = Threshold.objects.filter(metric=metric)
        others = (
            others.filter(line=self.line) if self.line else others.filter(cost_centre=self.centre)
        )
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        return others.exists()


def _person_label(person: User) -> str:
    return f"{person.get_full_name() or person.username} ({person.get_profile_display()})"


def _decimal_text(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")
