from calendar import monthrange
from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import luhn

from accounts.models import Contract
from accounts.validators import validate_codice_fiscale
from billing.fatturapa import PEC_ONLY_CODE, valid_sdi_code
from billing.models import Invoice
from core.forms import EARLIEST_DAY, FormatField, ItalianAddressForm, date_field

# Countries of the SEPA scheme (EEA, Switzerland, UK and the micro-states).
# fmt: off
SEPA_COUNTRIES = frozenset(
    (
        "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GI",
        "GR", "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MC", "MT", "NL", "NO",
        "PL", "PT", "RO", "SE", "SI", "SK", "SM", "VA", "AD",
    )
)
# fmt: on

SORTS = {
    "-issue_date": _("Più recenti"),
    "issue_date": _("Meno recenti"),
    "due_date": _("Scadenza"),
    "-total": _("Importo (dal più alto)"),
    "total": _("Importo (dal più basso)"),
}


class InvoiceFilterForm(forms.Form):
    since = date_field(_("Emesse dal"))
    until = date_field(_("Emesse fino al"))
    status = forms.ChoiceField(
        label=_("Stato"),
        required=False,
        choices=[
            ("", _("Tutte")),
            (Invoice.Status.OPEN, _("Da pagare")),
            ("OVERDUE", _("Scadute")),
            (Invoice.Status.PAID, _("Pagate")),
        ],
    )
    contract = forms.ModelChoiceField(
        label=_("Contratto"),
        required=False,
        queryset=Contract.objects.none(),
        empty_label=_("Tutti"),
    )
    sort = forms.ChoiceField(label=_("Ordina per"), required=False, choices=list(SORTS.items()))

    def __init__(self, *args: Any, contracts: QuerySet[Contract], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["contract"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = contracts

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("La data finale viene prima di quella iniziale."))
        return cleaned


class PayForm(forms.Form):
    """One per rendering of the invoice page: the key makes a double submit harmless."""

    idempotency_key = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)


class SandboxCardForm(forms.Form):
    """The sandbox provider's card form (test cards only; nothing is charged)."""

    card_number = forms.CharField(
        label=_("Numero della carta"),
        max_length=23,
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )
    expiry = forms.RegexField(
        label=_("Scadenza (MM/AA)"),
        regex=r"^\d{2}/\d{2}$",
        error_messages={"invalid": _("Indica la scadenza come MM/AA.")},
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "placeholder": "MM/AA"}),
    )
    cvc = forms.RegexField(
        label=_("Codice di sicurezza (CVC)"),
        regex=r"^\d{3,4}$",
        error_messages={"invalid": _("Il CVC ha 3 o 4 cifre.")},
        widget=forms.TextInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )

    def clean_card_number(self) -> str:
        number = "".join(self.cleaned_data["card_number"].split())
        if not (number.isdigit() and 12 <= len(number) <= 19 and luhn.is_valid(number)):
            raise forms.ValidationError(_("Numero della carta non valido."))
        return number

    def clean_expiry(self) -> str:
        expiry: str = self.cleaned_data["expiry"]
        month, year = int(expiry[:2]), 2000 + int(expiry[3:])
        if not 1 <= month <= 12:
            raise forms.ValidationError(_("Il mese della scadenza va da 01 a 12."))
        today = timezone.localdate()
        if (year, month) < (today.year, today.month):
            raise forms.ValidationError(_("La carta è scaduta."))
        return expiry


class ShippingAddressForm(ItalianAddressForm):
    name = forms.CharField(
        label=_("Presso (destinatario)"),
        max_length=200,
        required=False,
        help_text=_("Per esempio l'ufficio amministrativo o una persona."),
    )
    traffic_documentation = forms.BooleanField(
        label=_("Spedisci anche la documentazione del traffico"), required=False
    )
    field_order = ["name", "street", "postal_code", "city", "province", "traffic_documentation"]


class DirectDebitForm(forms.Form):
    iban = forms.CharField(label=_("IBAN"), max_length=42)
    holder = forms.CharField(label=_("Intestatario del conto"), max_length=200)
    holder_tax_code = FormatField(
        label=_("Codice fiscale o Partita IVA dell'intestatario"),
        max_length=16,
        validators=[validate_codice_fiscale],
    )
    mandate = forms.BooleanField(
        label=_("Autorizzo l'addebito diretto SEPA (mandato Core) delle fatture sul conto indicato")
    )

    def clean_iban(self) -> str:
        try:
            iban = IBAN(self.cleaned_data["iban"])
        except SchwiftyException as exc:
            raise forms.ValidationError(_("IBAN non valido: controlla le cifre.")) from exc
        if iban.country_code not in SEPA_COUNTRIES:
            raise forms.ValidationError(_("L'IBAN deve essere di un conto dell'area SEPA."))
        return str(iban.compact)

    def clean_holder_tax_code(self) -> str:
        return str(self.cleaned_data["holder_tax_code"]).strip().upper()


class PaperlessForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Voglio ricevere le fatture solo in formato elettronico e non più su carta")
    )


class PaperlessOffForm(forms.Form):
    confirm = forms.BooleanField(label=_("Voglio ricevere di nuovo anche la fattura cartacea"))


class EInvoicingForm(forms.Form):
    """Where the Sistema di Interscambio delivers the electronic invoice: a recipient code
    (7 letters or digits) or, without one, a PEC address ("0000000" goes in the XML)."""

    sdi_code = forms.CharField(
        label=_("Codice destinatario SDI"),
        required=False,
        max_length=7,
        help_text=_(
            "7 caratteri, lettere e cifre: te lo dà il tuo intermediario o il tuo software."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    pec = forms.EmailField(
        label=_("Oppure la PEC per la fatturazione elettronica"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_sdi_code(self) -> str:
        code = str(self.cleaned_data["sdi_code"]).strip().upper()
        if code and not valid_sdi_code(code):
            raise forms.ValidationError(
                _("Il codice destinatario ha 7 caratteri, solo lettere e cifre.")
            )
        return code

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        code, pec = cleaned.get("sdi_code", ""), cleaned.get("pec", "")
        if self.errors:
            return cleaned
        if code == PEC_ONLY_CODE:
            code = cleaned["sdi_code"] = ""
        if code and pec:
            raise forms.ValidationError(
                _("Indica il codice destinatario oppure la PEC, non entrambi.")
            )
        if not code and not pec:
            raise forms.ValidationError(_("Indica il codice destinatario oppure la PEC."))
        return cleaned


class ArchiveForm(forms.Form):
    """A period of at most 12 months whose invoices go in one ZIP."""

    since = date_field(_("Fatture emesse dal"), required=True)
    until = date_field(_("Fatture emesse fino al"), required=True)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        today = timezone.localdate()
        for name, day in (("since", since), ("until", until)):
            if day is None:
                continue
            if day > today:
                self.add_error(name, _("Scegli una data non successiva a oggi."))
                cleaned.pop(name, None)
            elif day < EARLIEST_DAY:
                self.add_error(
                    name,
                    _("Scegli una data dal %(day)s in poi.") % {"day": f"{EARLIEST_DAY:%d/%m/%Y}"},
                )
                cleaned.pop(name, None)
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until:
            if since > until:
                self.add_error("until", _("La data finale viene prima di quella iniziale."))
            elif _months_later(since, 12) <= until:
                self.add_error("until", _("Il periodo può durare al massimo 12 mesi."))
        return cleaned


def _months_later(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has fewer days)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))
