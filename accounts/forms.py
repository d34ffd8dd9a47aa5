from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from stdnum.it import iva

from accounts.fields import LineChoiceField
from accounts.models import AuditEntry, Invitation, Line, User
from accounts.roles import ASSIGNABLE_PROFILES, Profile
from accounts.validators import validate_partita_iva, validate_personal_codice_fiscale
from core.forms import FormatField, PhoneField, date_field


class LoginForm(AuthenticationForm):
    """Django's login form with the browser hints a password manager expects."""

    username = forms.CharField(
        label=_("Nome utente"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def _upper(value: str) -> str:
    return value.strip().upper()


class NewEmailForm(forms.Form):
    new_email = forms.EmailField(label=_("Nuovo indirizzo e-mail"), max_length=254)


def _line_checkboxes(label: StrOrPromise) -> LineChoiceField:
    return LineChoiceField(
        label=label,
        queryset=Line.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )


class IdSetField(forms.CharField):
    """A set of ids posted hidden, as "3,5" ("" when empty)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(widget=forms.HiddenInput, required=False, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, (list, tuple, set, frozenset)):
            return ",".join(str(pk) for pk in sorted(value))
        return value

    def to_python(self, value: Any) -> frozenset[int]:  # type: ignore[override]
        text = super().to_python(value) or ""
        try:
            return frozenset(int(part) for part in text.split(",") if part)
        except ValueError as error:
            raise ValidationError(_("Valore non valido.")) from error


class EmployeeForm(forms.Form):
    """The LR's page of an employee: profile, lines and, for a LIGHT admin, the SIMs they
    are Referente for, in one form saved at once, so nothing ticked is lost."""

    profile = forms.ChoiceField(
        label=_("Profilo web"),
        choices=[(p.value, p.label) for p in ASSIGNABLE_PROFILES],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    # What the page showed: the profile, the lines and the Referente SIMs. A change made
    # meanwhile by another session is not silently overwritten (the save is refused).
    seen_profile = forms.CharField(widget=forms.HiddenInput)
    seen_lines = IdSetField()
    seen_referente_lines = IdSetField()
    lines = _line_checkboxes(_("Linee di cui è assegnatario"))
    referente_lines = _line_checkboxes(_("SIM di cui è Referente"))

    def __init__(
        self, *args: Any, lines: QuerySet[Line], sims: QuerySet[Line] | None, **kwargs: Any
    ) -> None:
        """`sims`: the mobile lines the employee may be Referente for; None when the profile
        the page showed cannot be Referente (the field is left out)."""
        super().__init__(*args, **kwargs)
        if sims is None:
            del self.fields["seen_referente_lines"]
        for name, queryset in (("lines", lines), ("referente_lines", sims)):
            field = self.fields[name]
            assert isinstance(field, LineChoiceField)
            if queryset is None:
                del self.fields[name]
            else:
                field.queryset = queryset

    def clean(self) -> dict[str, Any] | None:
        # A page without what it showed (an old page) is refused, never read as "none".
        seen = [name for name in self.fields if name.startswith("seen_")]
        if self.is_bound and any(self.add_prefix(name) not in self.data for name in seen):
            raise ValidationError(
                _("La pagina non è aggiornata: ricontrolla i dati mostrati e salva di nuovo.")
            )
        return super().clean()


class LinesForm(forms.Form):
    lines = _line_checkboxes(_("Linee"))

    def __init__(self, *args: Any, lines: QuerySet[Line], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["lines"]
        assert isinstance(field, LineChoiceField)
        field.queryset = lines


class InvitationForm(LinesForm):
    first_name = forms.CharField(label=_("Nome"), max_length=150)
    last_name = forms.CharField(label=_("Cognome"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    tax_code = FormatField(
        label=_("Codice fiscale"), max_length=16, validators=[validate_personal_codice_fiscale]
    )
    profile = forms.ChoiceField(
        label=_("Profilo web"),
        choices=[(p.value, p.label) for p in ASSIGNABLE_PROFILES],
        initial=Profile.USER,
    )
    field_order = ["first_name", "last_name", "email", "tax_code", "profile", "lines"]

    def __init__(self, *args: Any, full_waits: bool = False, **kwargs: Any) -> None:
        """`full_waits`: the company's rules make giving FULL wait for approval, so an
        invitation cannot give it (it would skip the approval)."""
        super().__init__(*args, **kwargs)
        if full_waits:
            field = self.fields["profile"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [(p.value, p.label) for p in ASSIGNABLE_PROFILES if p != Profile.FULL]
            field.help_text = _(
                "Il profilo Amministratore Full si dà dopo, dalla pagina del dipendente: "
                "le regole dell'azienda vogliono che sia approvato."
            )

    def clean_tax_code(self) -> str:
        return _upper(self.cleaned_data["tax_code"])


class NewAccountForm(forms.Form):
    """Username and password chosen by the person who opens the account."""

    username = forms.CharField(
        label=_("Nome utente"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Almeno 10 caratteri, non solo numeri, diversa dai tuoi dati."),
    )
    password2 = forms.CharField(
        label=_("Ripeti la password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2:
            if password1 != password2:
                self.add_error("password2", _("Le due password non coincidono."))
            else:
                try:
                    password_validation.validate_password(password1, self.person())
                except ValidationError as error:
                    self.add_error("password1", error)
        return cleaned

    def person(self) -> User | None:
        """Who the password is for, so it is not too similar to their data."""
        return None


class InvitationAcceptForm(NewAccountForm):
    def __init__(self, *args: Any, invitation: Invitation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invitation = invitation

    def person(self) -> User:
        i = self.invitation
        return User(first_name=i.first_name, last_name=i.last_name, email=i.email)


class LegalRepRegistrationForm(NewAccountForm):
    vat_number = FormatField(
        label=_("Partita IVA dell'azienda"), max_length=13, validators=[validate_partita_iva]
    )
    customer_code = forms.CharField(label=_("Codice cliente"), max_length=20)
    tax_code = FormatField(
        label=_("Il tuo codice fiscale"),
        max_length=16,
        validators=[validate_personal_codice_fiscale],
    )
    email = forms.EmailField(label=_("La tua e-mail"), max_length=254)
    field_order = ["vat_number", "customer_code", "tax_code", "email", "username"]

    def clean_vat_number(self) -> str:
        return iva.compact(self.cleaned_data["vat_number"])

    def clean_tax_code(self) -> str:
        return _upper(self.cleaned_data["tax_code"])

    def clean_customer_code(self) -> str:
        return _upper(self.cleaned_data["customer_code"])

    def person(self) -> User:
        return User(email=self.cleaned_data.get("email", ""))


class PersonalDataForm(forms.Form):
    first_name = forms.CharField(label=_("Nome"), max_length=150)
    last_name = forms.CharField(label=_("Cognome"), max_length=150)
    phone = PhoneField(label=_("Telefono"), required=False)


class ConfirmPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("La password non è corretta."), code="wrong_password")
        return password


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Azione"),
        required=False,
        choices=[("", _("Tutte")), *AuditEntry.Action.choices],
    )
    person = forms.CharField(label=_("Persona"), max_length=100, required=False)
    since = date_field(_("Dal"))
    until = date_field(_("Al"))
