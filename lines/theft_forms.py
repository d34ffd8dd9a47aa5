from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from stdnum import imei as stdnum_imei
from stdnum.exceptions import ValidationError as StdnumError

from accounts.models import Sim
from core.uploads import checked_attachment
from lines.forms import SimChangeForm


class PoliceReportForm(forms.Form):
    """The copy of the police report: a PDF or a photo, its content checked as attachments'
    are (core.uploads)."""

    report_file = forms.FileField(
        label=_("Copia della denuncia"),
        help_text=_("Un PDF o una foto PNG o JPEG, fino a 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )
    content_type = ""

    def __init__(self, *args: Any, required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["report_file"]
        field.required = required
        if not required:
            field.label = _("Copia della denuncia (facoltativa)")
            field.help_text = _(
                "Un PDF o una foto PNG o JPEG, fino a 5 MB. Se non ce l'hai ora, potrai "
                "caricarla entro 10 giorni dalla pagina del furto o smarrimento."
            )

    def clean_report_file(self) -> UploadedFile[bytes] | None:
        upload, self.content_type = checked_attachment(self.cleaned_data.get("report_file"))
        return upload


class DeviceBlockForm(forms.Form):
    imei = forms.CharField(
        label=_("IMEI del dispositivo"),
        max_length=20,
        help_text=_("15 cifre: lo trovi sulla confezione del telefono o sulla fattura d'acquisto."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    make = forms.CharField(label=_("Marca (facoltativa)"), max_length=60, required=False)
    model = forms.CharField(label=_("Modello (facoltativo)"), max_length=60, required=False)

    def clean_imei(self) -> str:
        raw: str = self.cleaned_data["imei"]
        compact = stdnum_imei.compact(raw)
        if not compact.isdigit() or len(compact) != 15:
            raise forms.ValidationError(_("L'IMEI è formato da 15 cifre."))
        try:
            stdnum_imei.validate(compact)
        except StdnumError:
            raise forms.ValidationError(
                _("L'IMEI non è valido: controlla le cifre (l'ultima è di controllo).")
            ) from None
        return compact

    @property
    def device(self) -> str:
        data = self.cleaned_data
        return " ".join(part for part in (data["make"], data["model"]) if part).strip()


class ReplacementSimForm(SimChangeForm):
    """The SIM change after a theft or loss, asked from its case: the reason is known and
    the case follows the police report, so its date and office are optional here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["reason"]
        self.fields["sim_kind"].initial = Sim.Kind.PHYSICAL

    def request_details(self) -> dict[str, Any]:
        data = self.cleaned_data
        details: dict[str, Any] = {}
        if data.get("report_date"):
            details["report_date"] = data["report_date"].isoformat()
            details["report_authority"] = data["report_authority"]
        if data["sim_kind"] == Sim.Kind.ESIM:
            details["esim_email"] = data["esim_email"]
        else:
            details["delivery"] = {name: data[name] for name in self.ADDRESS_FIELDS}
        return details
