from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from costs.models import ReportSubscription


class ReportSubscriptionForm(forms.ModelForm[ReportSubscription]):
    class Meta:
        model = ReportSubscription
        fields = ["invoices", "usage", "cost_centres", "delivery"]
        widgets = {"delivery": forms.RadioSelect}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("invoices") or data.get("usage") or data.get("cost_centres")):
            raise forms.ValidationError(_("Scegli almeno un report da ricevere."))
        return data
