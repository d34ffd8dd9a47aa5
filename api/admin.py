from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from api.models import API_CHANNELS, ApiClient, ApiScope


class ApiClientForm(forms.ModelForm[ApiClient]):
    """Scopes and channels as boxes to tick, instead of the JSON lists they are stored as."""

    scopes = forms.MultipleChoiceField(
        label=_("ambiti"),
        choices=ApiScope.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channels = forms.MultipleChoiceField(
        label=_("canali"),
        choices=API_CHANNELS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("I canali per cui il sistema apre richieste."),
    )

    class Meta:
        model = ApiClient
        fields = ["name", "is_active", "scopes", "channels", "all_companies", "companies"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("all_companies") and data.get("companies"):
            self.add_error(
                "companies",
                _("Per un sistema che serve tutti i clienti non si scelgono clienti."),
            )
        return data


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin[ApiClient]):
    form = ApiClientForm
    list_display = [
        "name",
        "is_active",
        "scope_list",
        "channel_list",
        "all_companies",
        "created_at",
        "last_used_at",
    ]
    list_filter = ["is_active", "all_companies"]
    readonly_fields = ["token_hash", "created_at", "last_used_at"]
    autocomplete_fields = ["companies"]

    @admin.display(description=_("ambiti"))
    def scope_list(self, client: ApiClient) -> str:
        return ", ".join(client.scopes) or "—"

    @admin.display(description=_("canali"))
    def channel_list(self, client: ApiClient) -> str:
        return ", ".join(client.channels) or "—"
