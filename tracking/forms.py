from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import date_field
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
