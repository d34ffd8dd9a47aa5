"""The order of new SIMs in two steps: what (contract, plan, quantity, kind of SIM), then
one row per SIM (assignee, number portability) and where it goes (address or e-mail).
The format checks of a portability are here, shared with the API (`validate_port_in`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import BaseFormSet, formset_factory
from django.utils.translation import gettext_lazy as _

from accounts.models import Company, Contract, Line, Sim, User
from accounts.validators import validate_codice_fiscale, validate_iccid
from core.forms import FormatField, ItalianAddressForm, PhoneField
from lines.models import MAX_ORDER_QUANTITY, DonorOperator, Plan
from lines.orders import DeliveryData, OrderedSimData, PortInData, plans_for


def _radios(choices: Any = ()) -> forms.RadioSelect:
    return forms.RadioSelect(attrs={"class": "form-check-input"}, choices=choices)


class PlanChoiceField(forms.ModelChoiceField[Plan]):
    def label_from_instance(self, obj: Plan) -> str:
        return obj.name


class PersonChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


class OrderStartForm(forms.Form):
    """Step 1: the company's mobile contract (hidden when it has one), a plan of its
    segment, how many SIMs and of which kind."""

    contract = forms.ModelChoiceField(
        label=_("Contratto"), queryset=Contract.objects.none(), empty_label=None
    )
    plan = PlanChoiceField(
        label=_("Piano"),
        queryset=Plan.objects.none(),
        empty_label=None,
        widget=_radios(),
        error_messages={"required": _("Scegli il piano delle nuove SIM.")},
    )
    quantity = forms.IntegerField(
        label=_("Quante SIM"),
        min_value=1,
        max_value=MAX_ORDER_QUANTITY,
        initial=1,
        help_text=_("Da 1 a %(max)s SIM per ordine.") % {"max": MAX_ORDER_QUANTITY},
        error_messages={
            "min_value": _("Ordina almeno una SIM."),
            "max_value": _(
                "Puoi ordinare al massimo %(limit_value)s SIM per volta: per di più chiama il "
                "tuo referente commerciale."
            ),
            "invalid": _("Indica un numero intero di SIM."),
            "required": _("Indica quante SIM ti servono."),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    sim_kind = forms.ChoiceField(
        label=_("Tipo di SIM"),
        choices=Sim.Kind.choices,
        initial=Sim.Kind.PHYSICAL,
        widget=_radios(Sim.Kind.choices),
        help_text=_("Le SIM fisiche arrivano per corriere; le eSIM via e-mail."),
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contracts = Contract.objects.filter(company=company, kind=Contract.Kind.MOBILE)
        self.fields["contract"].queryset = contracts  # type: ignore[attr-defined]
        if len(contracts) == 1:
            self.fields["contract"].widget = forms.HiddenInput()
            self.fields["contract"].initial = contracts[0].pk
        self.plans = plans_for(company)
        self.fields["plan"].queryset = Plan.objects.filter(  # type: ignore[attr-defined]
            pk__in=[plan.pk for plan in self.plans]
        )


class PortInForm(forms.Form):
    """A number to bring from another operator: the number (an Italian mobile), the donor
    operator, the ICCID of the SIM it is on today and its holder's codice fiscale (a
    person's, or the company's 11 digits)."""

    number = PhoneField(
        label=_("Numero da portare"),
        required=False,
        help_text=_("Il numero di cellulare di oggi, ad esempio 333 1234567."),
    )
    donor = forms.ChoiceField(
        label=_("Operatore di provenienza"),
        choices=[("", "---"), *DonorOperator.choices],
        required=False,
    )
    iccid = FormatField(
        label=_("ICCID della SIM attuale"),
        max_length=20,
        required=False,
        validators=[validate_iccid],
        help_text=_("Le 19 o 20 cifre stampate sulla SIM, che iniziano con 89."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    holder_tax_code = FormatField(
        label=_("Codice fiscale dell'intestatario"),
        max_length=16,
        required=False,
        validators=[validate_codice_fiscale],
        help_text=_("Di chi è intestata la SIM oggi: persona o azienda."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    PORT_FIELDS = ("number", "donor", "iccid", "holder_tax_code")
    REQUIRED_MESSAGES = {
        "number": _("Indica il numero da portare."),
        "donor": _("Scegli l'operatore di provenienza."),
        "iccid": _("Indica l'ICCID della SIM attuale."),
        "holder_tax_code": _("Indica il codice fiscale dell'intestatario."),
    }

    def ports_in(self) -> bool:
        return True

    def clean_number(self) -> str:
        number: str = self.cleaned_data["number"]
        if not number:
            return number
        parsed = phonenumbers.parse(number)
        if (
            phonenumbers.region_code_for_number(parsed) != "IT"
            or phonenumbers.number_type(parsed) != phonenumbers.PhoneNumberType.MOBILE
        ):
            raise ValidationError(_("Indica un numero di cellulare italiano."))
        if Line.objects.filter(number=number).exists():
            raise ValidationError(_("Questo numero è già una nostra linea: non serve portarlo."))
        return number

    def clean_holder_tax_code(self) -> str:
        value: str = self.cleaned_data["holder_tax_code"]
        return value.strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.ports_in():
            for name in self.PORT_FIELDS:
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, self.REQUIRED_MESSAGES[name])
        return data

    def port_in(self) -> PortInData | None:
        if not self.ports_in():
            return None
        data = self.cleaned_data
        return PortInData(
            number=data["number"],
            donor=data["donor"],
            iccid=data["iccid"],
            holder_tax_code=data["holder_tax_code"],
        )


def validate_port_in(data: Mapping[str, Any]) -> PortInData:
    """A portability as another channel sends it ({"number", "donor", "iccid",
    "holder_tax_code"}), checked as the web form checks it; ValidationError by field."""
    form = PortInForm(data={name: data.get(name) or "" for name in PortInForm.PORT_FIELDS})
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    port_in = form.port_in()
    assert port_in is not None
    return port_in


class OrderSimForm(PortInForm):
    """One SIM of the order: who it is for, and optionally the number it keeps."""

    assignee = PersonChoiceField(
        label=_("Assegnataria o assegnatario"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nessuno per ora"),
    )
    port = forms.BooleanField(label=_("Porta un numero esistente"), required=False)
    field_order = ["assignee", "port", *PortInForm.PORT_FIELDS]

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = people  # type: ignore[attr-defined]

    def ports_in(self) -> bool:
        return bool(self.cleaned_data.get("port"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.ports_in():
            # Fields left typed in a row that keeps no number (hidden by the page's script).
            for name in self.PORT_FIELDS:
                self.errors.pop(name, None)
        return data

    def sim_data(self) -> OrderedSimData:
        return OrderedSimData(assignee=self.cleaned_data.get("assignee"), port_in=self.port_in())


class BaseOrderSimFormSet(BaseFormSet[OrderSimForm]):
    quantity = 1

    def clean(self) -> None:
        # Django's min_num check skips rows left as they came (no assignee, no number): here
        # every row is a SIM, so the rows must be exactly as many as the SIMs.
        if self.total_form_count() != self.quantity:
            raise ValidationError(
                _("Le SIM dell'ordine non corrispondono alla quantità: torna indietro e riprova.")
            )
        if any(self.errors):
            return
        seen: dict[str, int] = {}
        for position, form in enumerate(self.forms, start=1):
            number = form.cleaned_data.get("number") if form.ports_in() else ""
            if not number:
                continue
            if number in seen:
                form.add_error(
                    "number",
                    _("Lo stesso numero è già nella SIM %(position)s.")
                    % {"position": seen[number]},
                )
            else:
                seen[number] = position

    def sims(self) -> list[OrderedSimData]:
        return [form.sim_data() for form in self.forms]


def order_sim_formset(
    quantity: int, *, company: Company, data: Any = None, initial: Any = None
) -> BaseOrderSimFormSet:
    """A row per SIM, exactly `quantity` of them whatever the posted management form says."""
    formset_class = formset_factory(
        OrderSimForm,
        formset=BaseOrderSimFormSet,
        extra=0,
        min_num=quantity,
        max_num=quantity,
        absolute_max=MAX_ORDER_QUANTITY,
    )
    people = User.objects.filter(company=company, is_active=True).order_by(
        "last_name", "first_name", "username"
    )
    formset = formset_class(data, initial=initial, prefix="sim", form_kwargs={"people": people})
    assert isinstance(formset, BaseOrderSimFormSet)
    formset.quantity = quantity  # read when the rows are checked, after this
    return formset


class DeliveryForm(ItalianAddressForm):
    """Where the physical SIMs go, and a phone for the courier."""

    recipient = forms.CharField(label=_("Destinatario della spedizione"), max_length=150)
    contact_phone = PhoneField(label=_("Telefono per il corriere"))
    field_order = ["recipient", "street", "postal_code", "city", "province", "contact_phone"]

    def delivery(self) -> DeliveryData:
        data = self.cleaned_data
        return DeliveryData(
            recipient=data["recipient"],
            street=data["street"],
            postal_code=data["postal_code"],
            city=data["city"],
            province=data["province"],
            contact_phone=data["contact_phone"],
        )


class EsimForm(forms.Form):
    esim_email = forms.EmailField(
        label=_("E-mail a cui inviare le eSIM"),
        max_length=254,
        help_text=_("Vi arrivano i dati per installare le eSIM sui telefoni."),
        error_messages={"required": _("Indica l'e-mail a cui inviare le eSIM.")},
    )


class OrderKeyForm(forms.Form):
    """The submission's key: a second click of the same page opens no second order."""

    idempotency_key = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)
