from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.forms.renderers import Jinja2
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import Contract, Line, Sim
from core.forms import ItalianAddressForm, PhoneField, date_field
from core.italy import date_with_article
from core.workdays import first_working_day_from, is_working_day
from lines.models import BlockReason, SimChangeReason
from lines.search import LineSearchForm
from lines.services import RELOCATION_HORIZON_DAYS, RELOCATION_NOTICE_DAYS

# Django's own widget templates, in Jinja2: the same HTML, autoescaped, rendered in 40% of
# the template engine's time (its include per <option> made the filter a fifth of the line
# list's time). One instance: its environment compiles each template once.
WIDGETS_IN_JINJA2 = Jinja2()


class LineFilterForm(LineSearchForm):
    default_renderer = WIDGETS_IN_JINJA2
    # The filter reads as a sentence ("Linee mobili"), not as the contract's kind ("Mobile").
    kind = forms.ChoiceField(
        label=_("Tipo"),
        choices=[
            ("", _("Tutte le linee")),
            (Contract.Kind.MOBILE, _("Linee mobili")),
            (Contract.Kind.FIXED, _("Linee fisse")),
        ],
        required=False,
    )
    state = forms.ChoiceField(
        label=_("Stato"), choices=[("", _("Tutti")), *Line.State.choices], required=False
    )


def _radios(choices: Any) -> forms.RadioSelect:
    return forms.RadioSelect(attrs={"class": "form-check-input"}, choices=choices)


def _check_report(form: forms.Form, data: dict[str, Any], *, required: bool) -> None:
    """The police report's date and office: both or neither, never in the future."""
    report_date, authority = data.get("report_date"), data.get("report_authority")
    if report_date and report_date > timezone.localdate():
        form.add_error("report_date", _("La data della denuncia non può essere futura."))
    if required and not report_date and "report_date" not in form.errors:
        form.add_error("report_date", _("Indica la data della denuncia."))
    if (required or report_date) and not authority:
        form.add_error("report_authority", _("Indica dove hai sporto denuncia."))


class SimBlockForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Motivo del blocco"),
        choices=BlockReason.choices,
        widget=_radios(BlockReason.choices),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        required=False,
        help_text=_("Obbligatorie se il motivo è «Altro motivo»."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    report_date = date_field(
        _("Data della denuncia"),
        help_text=_(
            "In caso di furto o smarrimento la copia della denuncia va inviata entro 10 giorni: "
            "se l'hai già fatta, indicane data e ufficio."
        ),
    )
    report_authority = forms.CharField(
        label=_("Ufficio presso cui hai sporto denuncia"),
        max_length=150,
        required=False,
        help_text=_("Per esempio: Stazione Carabinieri di Milano Duomo."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("reason") == BlockReason.OTHER and not data.get("note", "").strip():
            self.add_error("note", _("Spiega il motivo del blocco."))
        _check_report(self, data, required=False)
        return data


class SimChangeForm(ItalianAddressForm):
    reason = forms.ChoiceField(
        label=_("Motivo del cambio"), choices=[("", "---"), *SimChangeReason.choices]
    )
    report_date = date_field(_("Data della denuncia"))
    report_authority = forms.CharField(
        label=_("Ufficio presso cui hai sporto denuncia"), max_length=150, required=False
    )
    sim_kind = forms.ChoiceField(
        label=_("Tipo di SIM"),
        choices=Sim.Kind.choices,
        initial=Sim.Kind.PHYSICAL,
        widget=_radios(Sim.Kind.choices),
    )
    esim_email = forms.EmailField(
        label=_("E-mail a cui inviare il QR code dell'eSIM"), max_length=254, required=False
    )
    recipient = forms.CharField(
        label=_("Destinatario della spedizione"), max_length=150, required=False
    )
    ADDRESS_FIELDS = ("recipient", "street", "postal_code", "city", "province")
    field_order = [
        "reason",
        "report_date",
        "report_authority",
        "sim_kind",
        "esim_email",
        *ADDRESS_FIELDS,
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.ADDRESS_FIELDS:
            self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_report(self, data, required=data.get("reason") == SimChangeReason.THEFT_LOSS)
        if data.get("sim_kind") == Sim.Kind.ESIM:
            if not data.get("esim_email") and "esim_email" not in self.errors:
                self.add_error("esim_email", _("Indica l'e-mail a cui inviare l'eSIM."))
        else:
            for name in self.ADDRESS_FIELDS:
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("Serve per spedire la nuova SIM."))
        return data

    def request_details(self) -> dict[str, Any]:
        data = self.cleaned_data
        details: dict[str, Any] = {}
        if data["reason"] == SimChangeReason.THEFT_LOSS:
            details["report_date"] = data["report_date"].isoformat()
            details["report_authority"] = data["report_authority"]
        if data["sim_kind"] == Sim.Kind.ESIM:
            details["esim_email"] = data["esim_email"]
        else:
            details["delivery"] = {name: data[name] for name in self.ADDRESS_FIELDS}
        return details


def earliest_relocation_date(today: date) -> date:
    return first_working_day_from(today + timedelta(days=RELOCATION_NOTICE_DAYS))


class RelocationForm(ItalianAddressForm):
    preferred_date = date_field(_("Data preferita per il trasloco"), required=True)
    contact_phone = PhoneField(
        label=_("Telefono per concordare l'intervento"),
        help_text=_(
            "Il tecnico ti chiama a questo numero: cellulare o fisso, ad esempio 333 1234567 o "
            "06 5550101."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        earliest = earliest_relocation_date(timezone.localdate())
        self.fields["preferred_date"].help_text = _(
            "Un giorno lavorativo (lunedì–venerdì, non festivo) %(date)s in poi."
        ) % {"date": date_with_article(earliest, preposition="da")}
        self.fields["preferred_date"].widget.attrs["min"] = earliest.isoformat()

    def clean_preferred_date(self) -> date:
        day: date = self.cleaned_data["preferred_date"]
        today = timezone.localdate()
        earliest = earliest_relocation_date(today)
        if day < earliest:
            raise forms.ValidationError(
                _("Scegli una data %(date)s in poi: serve il tempo per organizzare l'intervento.")
                % {"date": date_with_article(earliest, preposition="da")}
            )
        if day > today + timedelta(days=RELOCATION_HORIZON_DAYS):
            raise forms.ValidationError(_("Scegli una data entro sei mesi da oggi."))
        if not is_working_day(day):
            raise forms.ValidationError(
                _(
                    "%(date)s non è un giorno lavorativo: scegli un giorno da lunedì a "
                    "venerdì, non festivo."
                )
                % {"date": capfirst(date_with_article(day))}
            )
        return day
