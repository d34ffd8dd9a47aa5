"""Self-registration of the legal representative named in the contract."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Company, User
from accounts.roles import Profile
from tests.conftest import World
from tests.factories import CompanyFactory

PASSWORD = "Rappresentante-2026"


def form(company: Company, **overrides: str) -> dict[str, str]:
    return {
        "vat_number": company.vat_number,
        "customer_code": company.customer_code.lower(),
        "tax_code": company.legal_rep_tax_code.lower(),
        "email": "lr@nuova.example.it",
        "username": "nuovo-lr",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }


def register(company: Company, capture, **overrides: str):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return Client().post(reverse("accounts:registration"), form(company, **overrides))


def verify_link(message: mail.EmailMessage) -> str:
    link = re.search(r"https?://[^/\s]+(/registrazione/verifica/\S+/)", message.body)
    assert link is not None
    return link.group(1)


def test_the_lr_registers_verifies_and_signs_in(
    db: None,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    company = CompanyFactory()
    response = register(company, django_capture_on_commit_callbacks)
    assert response.status_code == 200 and "lr@nuova.example.it" in response.content.decode()
    user = User.objects.get(username="nuovo-lr")
    assert (user.company, user.profile, user.is_active) == (company, Profile.LR, False)
    assert user.last_name == company.legal_rep_last_name
    credentials = {"username": "nuovo-lr", "password": PASSWORD}
    assert Client().post("/accedi/", credentials).status_code == 200  # not yet

    message, notice = mail.outbox
    assert message.to == ["lr@nuova.example.it"] and notice.to == [company.contact_email]
    link = verify_link(message)
    assert Client().get(link).status_code == 200  # opening it changes nothing
    assert Client().post(link).status_code == 302
    client = Client()
    assert client.post("/accedi/", credentials).status_code == 302
    assert "Rappresentante Legale" in client.get("/").content.decode()
    assert Client().post(link).status_code == 410  # used


@pytest.mark.parametrize("field", ["vat_number", "customer_code", "tax_code"])
def test_wrong_contract_data_gives_one_message_naming_no_field(
    field: str,
    db: None,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    company = CompanyFactory()
    other = CompanyFactory()
    wrong = {
        "vat_number": other.vat_number,
        "customer_code": other.customer_code,
        "tax_code": other.legal_rep_tax_code,
    }[field]
    response = register(company, django_capture_on_commit_callbacks, **{field: wrong})
    assert response.status_code == 200
    page = unescape(response.content.decode())
    assert "I dati inseriti non corrispondono a quelli del contratto" in page
    assert not User.objects.exists() and not mail.outbox


def test_an_active_lr_cannot_register_again(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    world.company.legal_rep_tax_code = world.lr.tax_code
    world.company.save()
    response = register(world.company, django_capture_on_commit_callbacks)
    assert "già registrato" in unescape(response.content.decode())
    assert not User.objects.filter(username="nuovo-lr").exists()


def test_a_second_registration_is_refused_while_the_first_link_works(
    db: None,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    """Issue 13, item 15: it used to delete the first, unverified account silently."""
    company = CompanyFactory()
    register(company, django_capture_on_commit_callbacks)
    first_link = verify_link(mail.outbox[0])
    mail.outbox.clear()
    response = register(
        company,
        django_capture_on_commit_callbacks,
        username="secondo-tentativo",
        email="altro@example.com",
    )
    assert response.status_code == 200
    assert "registrazione del Rappresentante Legale di questa azienda è già in corso" in (
        unescape(response.content.decode())
    )
    assert list(User.objects.values_list("username", flat=True)) == ["nuovo-lr"]
    assert not mail.outbox  # no link to the second address
    assert Client().post(first_link).status_code == 302  # the first one still works
    assert User.objects.get(username="nuovo-lr").is_active


def test_a_registration_starts_again_once_the_first_link_expired(
    db: None,
    settings,  # type: ignore[no-untyped-def]
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    company = CompanyFactory()
    register(company, django_capture_on_commit_callbacks)
    first_link = verify_link(mail.outbox[0])
    User.objects.filter(username="nuovo-lr").update(
        date_joined=timezone.now() - timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1)
    )
    response = register(company, django_capture_on_commit_callbacks, username="secondo-tentativo")
    assert "lr@nuova.example.it" in response.content.decode()  # the "check your e-mail" page
    assert list(User.objects.values_list("username", flat=True)) == ["secondo-tentativo"]
    assert Client().post(first_link).status_code == 410


def test_the_companys_contact_address_hears_of_every_registration(
    db: None,
    settings,  # type: ignore[no-untyped-def]
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    company = CompanyFactory(contact_email="amministrazione@azienda.example.it")
    register(company, django_capture_on_commit_callbacks, email="impostore@example.com")
    User.objects.update(
        date_joined=timezone.now() - timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1)
    )
    register(company, django_capture_on_commit_callbacks, username="secondo-tentativo")
    notices = [m for m in mail.outbox if m.to == [company.contact_email]]
    assert len(notices) == 2
    assert company.name in notices[0].subject
    assert "impostore@example.com" in notices[0].body and "nuovo-lr" in notices[0].body
    assert "secondo-tentativo" in notices[1].body and "191" in notices[1].body


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("vat_number", "12345678901", "Partita IVA non valida"),
        ("tax_code", "XYZ", "Codice fiscale non valido"),
        ("email", "lr@", "Inserisci un indirizzo email valido"),
    ],
)
def test_malformed_data_is_refused_by_the_form(
    field: str,
    value: str,
    message: str,
    db: None,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    response = register(CompanyFactory(), django_capture_on_commit_callbacks, **{field: value})
    assert message in unescape(response.content.decode())
    assert not User.objects.exists()


def test_a_forged_token_is_refused(world: World) -> None:
    response = Client().post(reverse("accounts:registration-verify", args=[world.lr.pk, "abc-def"]))
    assert response.status_code == 410
