"""The shared form fields (core/forms.py): phone numbers as people type them, stored in
E.164, and one clear message per field (issue 15, "Forms and copy")."""

import pytest
from django import forms

from accounts.forms import InvitationForm, PersonalDataForm
from accounts.models import Line, User
from billing.forms import SandboxCardForm
from core.forms import FormatField, ItalianAddressForm, PhoneField
from core.italy import validate_cap, validate_phone_number


class PhoneForm(forms.Form):
    phone = PhoneField(label="Telefono")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("333 1234567", "+393331234567"),
        ("+39 333 1234567", "+393331234567"),
        ("0039 333-123.45.67", "+393331234567"),
        ("06 5550101", "+39065550101"),
        ("02 5550301", "+39025550301"),
        ("+41 44 668 18 00", "+41446681800"),
    ],
)
def test_a_phone_is_accepted_as_typed_and_cleaned_to_e164(typed: str, stored: str) -> None:
    form = PhoneForm({"phone": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == stored
    # What the models store still passes their validator.
    validate_phone_number(stored)


@pytest.mark.parametrize("typed", ["chiamami", "12345", "333 1234567890123", "+39"])
def test_a_wrong_phone_gets_one_message_with_the_expected_format(typed: str) -> None:
    form = PhoneForm({"phone": typed})
    assert not form.is_valid()
    assert form.errors["phone"] == [
        "Numero di telefono non valido: scrivilo ad esempio come 333 1234567 o 06 5550101."
    ]


def test_the_phone_field_shows_the_expected_format_and_the_stored_number_grouped() -> None:
    html = str(PhoneForm(initial={"phone": "+393351000001"})["phone"])
    assert 'type="tel"' in html and 'autocomplete="tel"' in html
    assert 'value="+39 335 100 0001"' in html
    assert "333 1234567 o 06 5550101" in PhoneForm().as_div()


def test_personal_data_takes_the_phone_as_typed() -> None:
    form = PersonalDataForm({"first_name": "Mario", "last_name": "Rossi", "phone": "335 1000001"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "+393351000001"
    assert PersonalDataForm({"first_name": "M", "last_name": "R", "phone": ""}).is_valid()


def test_the_model_validators_accept_every_stored_phone_and_line_number() -> None:
    for value in ["+393351000001", "+39065550101", "+390655501010", "3331234567"]:
        validate_phone_number(value)
    for field in (User._meta.get_field("phone"), Line._meta.get_field("number")):
        assert validate_phone_number in field.validators


def address(postal_code: str) -> dict[str, str]:
    return {"street": "Via Roma 1", "postal_code": postal_code, "city": "Roma", "province": "RM"}


@pytest.mark.parametrize("postal_code", ["0018", "001866", "0018A"])
def test_a_wrong_cap_gets_one_clear_message(postal_code: str) -> None:
    form = ItalianAddressForm(address(postal_code))
    assert not form.is_valid()
    assert form.errors["postal_code"] == ["Il CAP è formato da 5 cifre."]


def test_a_right_cap_is_accepted() -> None:
    assert ItalianAddressForm(address("00186")).is_valid()


def test_fields_with_a_length_and_a_format_report_one_message() -> None:
    class Capped(forms.Form):
        cap = FormatField(max_length=5, validators=[validate_cap])

    assert Capped({"cap": "1234567"}).errors["cap"] == ["Il CAP è formato da 5 cifre."]
    invitation = InvitationForm({"tax_code": "RSSMRA68C12H501XX"}, lines=Line.objects.none())
    assert len(invitation.errors["tax_code"]) == 1


@pytest.mark.parametrize(
    ("expiry", "message"),
    [
        ("13/27", "Il mese della scadenza va da 01 a 12."),
        ("1327", "Indica la scadenza come MM/AA."),
    ],
)
def test_a_card_expiry_month_of_13_is_an_invalid_month(expiry: str, message: str) -> None:
    form = SandboxCardForm({"card_number": "4242 4242 4242 4242", "expiry": expiry, "cvc": "123"})
    assert form.errors["expiry"] == [message]
