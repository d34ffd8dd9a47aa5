from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.fields import OneLineChoiceField
from accounts.models import Line
from core.forms import PhoneField, date_field
from core.italy import date_with_article
from core.uploads import checked_attachment
from core.workdays import is_working_day
from tracking.forms import RequestReplyForm, attachment_field

MESSAGE_MAX = 2000


class ChatStartForm(forms.Form):
    topic = forms.CharField(label=_("Argomento"), max_length=150)
    body = forms.CharField(
        label=_("Il tuo messaggio"),
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Scrivi un messaggio"),
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


SLOTS = [
    ("09-11", _("9:00 – 11:00")),
    ("11-13", _("11:00 – 13:00")),
    ("14-16", _("14:00 – 16:00")),
    ("16-18", _("16:00 – 18:00")),
]
CALLBACK_DAYS = 14


class CallbackForm(forms.Form):
    phone = PhoneField(label=_("Numero da richiamare"), max_length=20)
    day = date_field(_("Giorno"), required=True)
    slot = forms.ChoiceField(label=_("Fascia oraria"), choices=[("", "---"), *SLOTS])
    topic = forms.CharField(label=_("Argomento"), max_length=150)

    def clean_day(self) -> date:
        day: date = self.cleaned_data["day"]
        today = timezone.localdate()
        if day < today or day > today + timedelta(days=CALLBACK_DAYS):
            raise forms.ValidationError(
                _("Scegli un giorno tra oggi e i prossimi %(days)d giorni.")
                % {"days": CALLBACK_DAYS}
            )
        if not is_working_day(day):
            raise forms.ValidationError(
                _("%(date)s non è un giorno lavorativo.")
                % {"date": capfirst(date_with_article(day))}
            )
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, slot = data.get("day"), data.get("slot")
        if day == timezone.localdate() and slot and int(slot[:2]) <= timezone.localtime().hour:
            self.add_error("slot", _("Questa fascia oraria è già iniziata: scegline un'altra."))
        return data


EXPERT_TOPICS = [
    ("CONNECTIVITY", _("Connettività e fibra")),
    ("MOBILE", _("Telefonia mobile e SIM")),
    ("CLOUD", _("Cloud, centralino e servizi IT")),
    ("SECURITY", _("Sicurezza informatica")),
    ("OTHER", _("Altro")),
]


class ExpertForm(forms.Form):
    topic = forms.ChoiceField(label=_("Argomento"), choices=[("", "---"), *EXPERT_TOPICS])
    message = forms.CharField(
        label=_("La tua domanda"), max_length=4000, widget=forms.Textarea(attrs={"rows": 6})
    )
    attachment = attachment_field()
    # One per rendering of the page: a double submit, or a retry, opens one request.
    idempotency_key = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)

    def clean_attachment(self) -> UploadedFile[bytes] | None:
        upload, self.content_type = checked_attachment(self.cleaned_data.get("attachment"))
        return upload

    @property
    def topic_label(self) -> str:
        return str(dict(EXPERT_TOPICS)[self.cleaned_data["topic"]])


class ReplyForm(RequestReplyForm):
    """The customer's answer to a request waiting for them, its attachment checked as the
    experts' are."""

    content_type = ""

    def clean_attachment(self) -> UploadedFile[bytes] | None:
        upload, self.content_type = checked_attachment(self.cleaned_data.get("attachment"))
        return upload


FAULT_CATEGORIES = [
    ("NO_SERVICE", _("Nessun servizio")),
    ("SLOW", _("Connessione lenta o instabile")),
    ("CALLS", _("Problemi nelle chiamate")),
    ("SMS", _("Problemi con gli SMS")),
    ("OTHER", _("Altro")),
]


class FaultForm(forms.Form):
    line = OneLineChoiceField(label=_("Linea"), queryset=Line.objects.none(), empty_label="---")
    category = forms.ChoiceField(label=_("Problema"), choices=[("", "---"), *FAULT_CATEGORIES])
    description = forms.CharField(
        label=_("Descrizione"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    availability = forms.CharField(
        label=_("Quando possiamo contattarti o intervenire"),
        max_length=200,
        help_text=_("Per esempio: giorni feriali dalle 9 alle 13."),
    )
    phone = PhoneField(label=_("Telefono di contatto"), max_length=20)

    def __init__(self, *args: Any, lines: QuerySet[Line], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = lines  # type: ignore[attr-defined]

    @property
    def category_label(self) -> str:
        return str(dict(FAULT_CATEGORIES)[self.cleaned_data["category"]])


class DiagnosisForm(forms.Form):
    line = OneLineChoiceField(
        label=_("Linea fissa"), queryset=Line.objects.none(), empty_label="---"
    )

    def __init__(self, *args: Any, lines: QuerySet[Line], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = lines  # type: ignore[attr-defined]
