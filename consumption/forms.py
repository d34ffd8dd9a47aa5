from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Line
from consumption.models import TopUp
from consumption.selectors import SIM_SORTS
from core.forms import EARLIEST_DAY, date_field
from core.italy import date_with_article

MAX_DAYS = 366


class PeriodForm(forms.Form):
    """A calendar month (default: the current one) or a custom range of dates."""

    month = forms.RegexField(
        label=_("Mese"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        error_messages={"invalid": _("Indica il mese come AAAA-MM.")},
        widget=forms.TextInput(attrs={"type": "month"}),
    )
    since = date_field(_("Dal"))
    until = date_field(_("Al"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # Usage has no records before EARLIEST_DAY nor after next year: beyond them a month
        # would also leave the calendar that month arithmetic works in.
        latest = date(timezone.localdate().year + 1, 12, 31)
        for name in ("month", "since", "until"):
            value = cleaned.get(name)
            day: date | None = value
            if name == "month" and value:
                year, month = map(int, value.split("-"))
                day = date(max(year, 1), month, 1)  # year 0 is not in the calendar
            if day and not EARLIEST_DAY <= day <= latest:
                self.add_error(
                    name,
                    _("Scegli un periodo tra %(first)s e %(last)s.")
                    % {"first": date_with_article(EARLIEST_DAY), "last": date_with_article(latest)},
                )
                cleaned.pop(name, None)
        since, until = cleaned.get("since"), cleaned.get("until")
        if bool(since) != bool(until):
            self.add_error("until" if since else "since", _("Indica entrambe le date."))
        elif since and until:
            if since > until:
                self.add_error("until", _("La data finale viene prima di quella iniziale."))
            elif (until - since).days >= MAX_DAYS:
                self.add_error("until", _("Il periodo può essere al massimo di un anno."))
        return cleaned

    def period(self, *, latest: Callable[[], date | None] | None = None) -> tuple[date, date]:
        """The dates chosen, the month chosen or, when none is, the month of `latest()` (the
        last month with usage: the current one is empty on its first day), else this one."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("since") and data.get("until"):
            return data["since"], data["until"]
        if data.get("month"):
            year, month = map(int, data["month"].split("-"))
        else:
            day = (latest() if latest else None) or timezone.localdate()
            year, month = day.year, day.month
        last = calendar.monthrange(year, month)[1]
        return date(year, month, 1), date(year, month, last)


class SimSearchForm(PeriodForm):
    q = forms.CharField(label=_("Cerca numero o assegnatario"), max_length=100, required=False)
    sort = forms.ChoiceField(
        required=False, choices=[(key, key) for key in SIM_SORTS], widget=forms.HiddenInput
    )


class BilledReportForm(forms.Form):
    line = forms.ModelChoiceField(
        label=_("Linea"), queryset=Line.objects.none(), required=False, empty_label=_("Tutte")
    )
    since = date_field(_("Periodi fatturati dal"))
    until = date_field(_("Al"))

    def __init__(self, *args: Any, lines: QuerySet[Line], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["line"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = lines


class TopUpForm(forms.Form):
    amount = forms.TypedChoiceField(
        label=_("Importo della ricarica"),
        choices=[(str(value), f"{value} €") for value in TopUp.AMOUNTS],
        coerce=Decimal,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    # One per rendering of the page: a double submit opens one payment.
    idempotency_key = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)
