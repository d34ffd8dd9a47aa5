"""Back office (Django admin, staff only). The only place where a company's LR changes."""

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from accounts.access import user_of
from accounts.models import AuditEntry, Company, Contract, Line, Sim, User
from accounts.roles import ASSIGNABLE_PROFILES, Profile
from accounts.selectors import referente_line_ids
from accounts.services import (
    account_changed_by_staff,
    account_password_changed,
    company_change_legal_representative,
    company_changed_by_staff,
    line_changed_by_staff,
)


class CompanyAdminForm(forms.ModelForm[Company]):
    legal_rep_account = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label=_("utenza del Rappresentante Legale"),
        help_text=_(
            "Il cambio di Rappresentante Legale viene scritto nel registro attività; il "
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
        if obj is None:
            return []
        # Once the company exists its LR is changed only through the account field above.
        readonly = ["legal_rep_first_name", "legal_rep_last_name", "legal_rep_tax_code"]
        if not request.user.is_superuser:
            # The customer changes it with the recent password, a link to the new address
            # and a notice to the old one; it also receives the LR registration notices.
            readonly.append("contact_email")
        return readonly

    def save_model(self, request: HttpRequest, obj: Company, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        chosen = form.cleaned_data.get("legal_rep_account")
        if change and chosen is not None and chosen.profile != Profile.LR:
            company_change_legal_representative(
                company=obj, new_legal_rep=chosen, actor=user_of(request)
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # The LR change has its own audit entry (save_model above).
        changes = {k: v for k, v in form_changes(form).items() if k != "legal_rep_account"}
        changes |= formset_changes(formsets)
        if changes:
            company_changed_by_staff(
                actor=user_of(request), company=form.instance, changes=changes, created=not change
            )


def _profile_choices(*, blank: bool) -> list[tuple[str, str]]:
    # LR is given only through the company's page (R1).
    choices = [(p.value, str(p.label)) for p in ASSIGNABLE_PROFILES]
    return [("", "---------"), *choices] if blank else choices


class CustomerUserChangeForm(UserChangeForm[User]):
    """The superuser's form: every field, but never LR, and company and profile together."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "profile" in self.fields:
            self.fields["profile"].choices = _profile_choices(blank=True)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        company = cleaned.get("company", self.instance.company)
        profile = cleaned.get("profile", self.instance.profile)
        if (company is None) != (not profile):
            raise forms.ValidationError(
                _("Un cliente ha un'azienda e un profilo web; il personale non ha nessuno dei due.")
            )
        person = self.instance
        if (
            person.pk is not None
            and getattr(company, "pk", None) != person.company_id
            and (person.assigned_lines.exists() or referente_line_ids(user=person))
        ):
            # A line is assigned only to a person of its own company (Line.clean): moving the
            # person would take its lines, and their personal data, to another customer.
            self.add_error(
                "company",
                _(
                    "Questa persona ha linee assegnate o ne è Referente: toglile prima di "
                    "spostarla in un'altra azienda."
                ),
            )
        return cleaned


class OperatorUserChangeForm(forms.ModelForm[User]):
    """Back-office staff who are not superusers: a plain ModelForm, so fields the fieldsets
    leave out (permissions, password) do not exist and a forged POST of them is ignored."""

    class Meta:
        model = User
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "profile" in self.fields:
            field = self.fields["profile"]
            field.choices = _profile_choices(blank=False)  # type: ignore[attr-defined]
            field.required = True


# What staff who are not superusers may see of a customer's account. Sign-in data, the
# company and permissions are read-only or absent: the person changes their own e-mail and
# password (with a confirmation), the LR only through the company's page (R1).
OPERATOR_FIELDSETS = (
    (None, {"fields": ("username", "email", "is_active")}),
    (_("Dati personali"), {"fields": ("first_name", "last_name", "tax_code", "phone")}),
    (_("Area Clienti"), {"fields": ("company", "profile")}),
    (_("Date"), {"fields": ("last_login", "date_joined")}),
)
OPERATOR_READONLY = ["username", "email", "company", "last_login", "date_joined"]
# The LR's profile and codice fiscale are the contract's (R1): the company's page changes them.
LR_READONLY = ["company", "profile", "tax_code"]
PASSWORD_FIELDS = frozenset({"password", "password1", "password2", "usable_password"})
# Recorded as changed, never with their values: the audit log outlives them.
SECRET_FIELDS = frozenset({"puk"})
# What an inline form carries besides the object's own fields.
FORMSET_FIELDS = frozenset({"id", "DELETE"})


def _initial(form: forms.BaseForm, name: str) -> Any:
    """The value a field had before the change; a foreign key as its object, not its id."""
    value = form.initial.get(name)
    field = form.fields[name]
    if (
        isinstance(field, forms.ModelChoiceField)
        and not isinstance(field, forms.ModelMultipleChoiceField)
        and value is not None
        and not isinstance(value, Model)
    ):
        model: Any = field.queryset.model  # type: ignore[union-attr]
        value = model._default_manager.filter(pk=value).first()
    return value


def _plain(value: Any) -> Any:
    """A form value as the audit log's JSON keeps it."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, QuerySet | list | tuple | set):
        return sorted(str(item) for item in value)
    return str(value)


def form_changes(form: forms.BaseForm) -> dict[str, dict[str, Any]]:
    """What a bound, valid admin form changed: {field: {"label", "from", "to"}}; passwords
    only as changed, never their value or hash."""
    changes: dict[str, dict[str, Any]] = {}
    for name in form.changed_data:
        label = str(form.fields[name].label or name)
        if name in PASSWORD_FIELDS:
            changes["password"] = {"label": str(_("password")), "changed": True}
            continue
        if name in FORMSET_FIELDS:
            continue
        if name in SECRET_FIELDS:
            changes[name] = {"label": label, "changed": True}
            continue
        changes[name] = {
            "label": label,
            "from": _plain(_initial(form, name)),
            "to": _plain(form.cleaned_data.get(name)),
        }
    return changes


def formset_changes(formsets: Any) -> dict[str, dict[str, Any]]:
    """What the inlines of a saved admin form changed, one entry per object:
    {"<prefix>:<object>": {"label", "added" | "deleted" | "changes": form_changes}}."""
    changes: dict[str, dict[str, Any]] = {}
    for formset in formsets:
        verbose = str(formset.model._meta.verbose_name)
        deleted = formset.deleted_forms if formset.can_delete else []
        for form in formset.forms:
            is_new = form in formset.extra_forms
            if form in deleted:
                if not is_new:
                    key = f"{formset.prefix}:{form.instance}"
                    changes[key] = {"label": f"{verbose} {form.instance}", "deleted": True}
                continue
            if not form.has_changed():
                continue
            entry: dict[str, Any] = {
                "label": f"{verbose} {form.instance}",
                "changes": form_changes(form),
            }
            if is_new:
                entry["added"] = True
            changes[f"{formset.prefix}:{form.instance}"] = entry
    return changes


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    """Superusers keep Django's whole user admin; other staff see customers only, through
    OPERATOR_FIELDSETS. Every change made here is audited (`account_changed_by_staff`)."""

    form = CustomerUserChangeForm
    list_display = ["username", "first_name", "last_name", "company", "profile", "is_staff"]
    list_filter = ["profile", "is_staff", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email", "tax_code"]
    list_select_related = ["company"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Area Clienti"), {"fields": ("company", "profile", "tax_code", "phone")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        queryset = super().get_queryset(request)
        if not request.user.is_superuser:
            # Another staff account (a superuser's included) is out of an operator's reach.
            queryset = queryset.filter(company__isnull=False)
        return queryset

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Customers register themselves or are invited; staff accounts are a superuser's.
        return bool(request.user.is_superuser) and super().has_add_permission(request)

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> Any:
        if obj is not None and not request.user.is_superuser:
            return OPERATOR_FIELDSETS
        return super().get_fieldsets(request, obj)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is not None and not request.user.is_superuser:
            kwargs["form"] = OperatorUserChangeForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.is_superuser:
            readonly += OPERATOR_READONLY
        if obj is not None and obj.profile == Profile.LR:
            readonly += LR_READONLY
        return list(dict.fromkeys(readonly))

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        if not request.user.is_superuser:
            raise PermissionDenied
        with transaction.atomic():
            before = User.objects.filter(pk=id).values_list("password", flat=True).first()
            response = super().user_change_password(request, id, form_url)
            person = User.objects.filter(pk=id).first()
            if person is not None and before is not None and person.password != before:
                account_password_changed(person=person, actor=user_of(request))
        return response

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # After the many-to-many fields (groups, permissions) are saved too.
        super().save_related(request, form, formsets, change)
        changes = form_changes(form)
        if changes:
            account_changed_by_staff(
                actor=user_of(request),
                person=form.instance,
                changes=changes,
                old_email=form.initial.get("email") or form.instance.email,
            )


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin[Contract]):
    list_display = ["number", "company", "kind", "started_on"]
    list_filter = ["kind"]
    search_fields = ["number", "company__name"]
    list_select_related = ["company"]

    def get_readonly_fields(self, request: HttpRequest, obj: Contract | None = None) -> Any:
        # Moving a contract to another customer would carry its lines, and the people they
        # are assigned to, into that company: a new customer signs a new contract.
        return ["company"] if obj is not None else []

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        changes = form_changes(form)
        if changes:
            contract = form.instance
            entry: dict[str, Any] = {
                "label": f"{Contract._meta.verbose_name} {contract}",
                "changes": changes,
            }
            if not change:
                entry["added"] = True
            company_changed_by_staff(
                actor=user_of(request),
                company=contract.company,
                changes={f"contracts:{contract}": entry},
            )


class SimInline(admin.TabularInline[Sim, Line]):
    model = Sim
    extra = 0


@admin.register(Line)
class LineAdmin(admin.ModelAdmin[Line]):
    list_display = ["number", "contract", "assignee", "state", "dual_billing"]
    list_filter = ["state", "dual_billing", "contract__kind"]
    search_fields = ["number", "contract__number", "contract__company__name"]
    list_select_related = ["contract", "assignee"]
    # Any user's id can be typed here: Line.clean refuses a person of another company.
    raw_id_fields = ["assignee"]
    inlines = [SimInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        changes = form_changes(form) | formset_changes(formsets)
        if changes:
            previous = _initial(form, "assignee") if "assignee" in form.changed_data else None
            line_changed_by_staff(
                actor=user_of(request),
                line=form.instance,
                changes=changes,
                previous_assignee=previous,
            )


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
