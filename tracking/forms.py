from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import date_field
from tracking.activity import activity_kinds
from tracking.models import Channel, RequestKind, RequestState


class RequestFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Tipo"), choices=[("", _("Tutti")), *RequestKind.choices], required=False
    )
    state = forms.ChoiceField(
        label=_("Stato"),
        choices=[("", _("Tutti")), ("OPEN", _("Aperte")), *RequestState.choices],
        required=False,
    )
    channel = forms.ChoiceField(
        label=_("Canale"), choices=[("", _("Tutti")), *Channel.choices], required=False
    )
    since = date_field(_("Dal"))
    until = date_field(_("Al"))


REPLY_MAX = 2000


def attachment_field() -> forms.FileField:
    """The optional file a customer sends with a request (an expert's question, an answer);
    its content is checked by core.uploads.checked_attachment."""
    return forms.FileField(
        label=_("Allegato (facoltativo)"),
        required=False,
        help_text=_("Un PDF o un'immagine PNG o JPEG, fino a 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )


class RequestReplyForm(forms.Form):
    """The customer's answer to a request waiting for them. The page that shows it posts to
    the view that stores the attachment (support.views.request_reply), whose subclass of this
    form checks the file's content."""

    message = forms.CharField(
        label=_("La tua risposta"),
        max_length=REPLY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Scrivi la tua risposta.")},
    )
    attachment = attachment_field()
    # One per rendering of the page: a double submit, or a retry, sends one answer.
    idempotency_key = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)


class ActivityFilterForm(forms.Form):
    """The activity list's filter: one kind of record (tracking.activity's sources)."""

    kind = forms.ChoiceField(label=_("Attività"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Tutte")), *activity_kinds()]  # type: ignore[attr-defined]
