from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.forms import LinesForm


class OfferActivationForm(LinesForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["lines"]
        field.label = _("Linee su cui attivare l'offerta")
        field.required = True
        field.error_messages["required"] = _("Scegli almeno una linea.")
