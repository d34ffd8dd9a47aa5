"""Back office (Django admin, staff only). The only place where a company's LR changes."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.access import user_of
from accounts.models import AuditEntry, Company, Contract, Line, Sim, User
from accounts.roles import ASSIGNABLE_PROFILES, Profile
from accounts.services import audit_record, company_change_legal_representative


class CompanyAdminForm(forms.ModelForm[Company]):
    legal_rep_account = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label=_("account del rappresentante legale"),
        help_text=_(
            "Cambiare il rappresentante legale lo registra nel registro attività; il "
            "precedente diventa Utilizzatore."
        ),
    )

    class Meta:
        model = Company
        fields = [
            "name",
            "vat_number",
            "tax_code",
            "customer_code",
            "segment",
            "legal_street",
            "legal_postal_code",
            "legal_city",
            "legal_province",
            "contact_email",
            "legal_rep_first_name",
            "legal_rep_last_name",
            "legal_rep_tax_code",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            field = self.fields["legal_rep_account"]
            field.queryset = User.objects.filter(company=self.instance)  # type: ignore[attr-defined]
            field.initial = field.queryset.filter(profile=Profile.LR).first()  # type: ignore[attr-defined]


class ContractInline(admin.TabularInline[Contract, Company]):
    model = Contract
    extra = 0


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin[Company]):
    form = CompanyAdminForm
    list_display = ["name", "vat_number", "customer_code", "segment", "legal_city"]
    search_fields = ["name", "vat_number", "customer_code", "tax_code"]
    list_filter = ["segment"]
    inlines = [ContractInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Company | None = None) -> Any:
        # Once the company exists its LR is changed only through the account field above.
        if obj is not None:
            return ["legal_rep_first_name", "legal_rep_last_name", "legal_rep_tax_code"]
        return []

    def save_model(self, request: HttpRequest, obj: Company, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        chosen = form.cleaned_data.get("legal_rep_account")
        if change and chosen is not None and chosen.profile != Profile.LR:
            company_change_legal_representative(
                company=obj, new_legal_rep=chosen, actor=user_of(request)
            )


class CustomerUserChangeForm(UserChangeForm[User]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "profile" in self.fields:
            # LR is given only through the company's page (R1).
            self.fields["profile"].choices = [("", "---------")] + [  # type: ignore[attr-defined]
                (p.value, p.label) for p in ASSIGNABLE_PROFILES
            ]


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    form = CustomerUserChangeForm
    list_display = ["username", "first_name", "last_name", "company", "profile", "is_staff"]
    list_filter = ["profile", "is_staff", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email", "tax_code"]
    list_select_related = ["company"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Area Clienti"), {"fields": ("company", "profile", "tax_code", "phone")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.profile == Profile.LR:
            readonly += ["company", "profile"]
        return readonly

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        previous = User.objects.filter(pk=obj.pk).values_list("profile", flat=True).first()
        super().save_model(request, obj, form, change)
        if change and previous != obj.profile:
            audit_record(
                actor=user_of(request),
                action=AuditEntry.Action.PROFILE_CHANGED,
                company=obj.company,
                target=obj,
                changes={"from": previous, "to": obj.profile},
            )


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin[Contract]):
    list_display = ["number", "company", "kind", "started_on"]
    list_filter = ["kind"]
    search_fields = ["number", "company__name"]
    list_select_related = ["company"]


class SimInline(admin.TabularInline[Sim, Line]):
    model = Sim
    extra = 0


@admin.register(Line)
class LineAdmin(admin.ModelAdmin[Line]):
    list_display = ["number", "contract", "assignee", "state", "dual_billing"]
    list_filter = ["state", "dual_billing", "contract__kind"]
    search_fields = ["number", "contract__number", "contract__company__name"]
    list_select_related = ["contract", "assignee"]
    raw_id_fields = ["assignee"]
    inlines = [SimInline]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    list_display = ["at", "action", "actor_name", "target_name", "company"]
    list_filter = ["action"]
    search_fields = ["actor_name", "target_name", "company__name"]
    list_select_related = ["company"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
