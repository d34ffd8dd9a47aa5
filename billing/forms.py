from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Contract
from billing.models import Invoice

SORTS = {
    "-issue_date": _("Più recenti"),
    "issue_date": _("Meno recenti"),
    "due_date": _("Scadenza"),
    "-total": _("Importo (dal più alto)"),
    "total": _("Importo (dal più basso)"),
}


class InvoiceFilterForm(forms.Form):
    since = forms.DateField(
        label=_("Emesse dal"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label=_("Emesse fino al"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
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
