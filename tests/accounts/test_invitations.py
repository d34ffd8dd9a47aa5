"""Registering employees by invitation (D4, LR only)."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry, Invitation, User
from accounts.roles import Profile
from accounts.services import INVITATION_REFUSED
from tests.accounts.helpers import signed_in
from tests.conftest import World
from tests.factories import InvitationFactory, _codice_fiscale

NEW_PASSWORD = "Benvenuta-in-Acme-2026"


def invite_data(world: World, **overrides: object) -> dict[str, object]:
    return {
        "first_name": "Giulia",
        "last_name": "Neri",
        "email": "giulia.neri@acme.example.it",
        "tax_code": _codice_fiscale(4242).lower(),
        "profile": Profile.USER,
        "assigned-lines": [],
        "lines": [world.spare_line.pk],
        **overrides,
    }


def invite(world: World, capture, **overrides: object):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return signed_in(world.lr).post(reverse("accounts:invite"), invite_data(world, **overrides))


def link_path(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/invito/\S+/)", message.body)
    assert match is not None
    return match.group(1)


def accept(path: str, username: str = "giulia", password: str = NEW_PASSWORD):  # type: ignore[no-untyped-def]
    return Client().post(path, {"username": username, "password1": password, "password2": password})


def test_lr_invites_an_employee_who_opens_the_account(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    response = invite(world, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.profile == Profile.USER and invitation.tax_code.isupper()
    assert list(invitation.lines.all()) == [world.spare_line]
    [message] = mail.outbox
    assert message.to == ["giulia.neri@acme.example.it"] and world.company.name in message.subject
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EMPLOYEE_INVITED).exists()

    path = link_path(message)
    assert "Giulia" in Client().get(path).content.decode()
    assert accept(path).status_code == 302
    person = User.objects.get(username="giulia")
    assert (person.company, person.profile, person.is_active) == (world.company, Profile.USER, True)
    world.spare_line.refresh_from_db()
    assert world.spare_line.assignee == person
    login = Client().post("/accedi/", {"username": "giulia", "password": NEW_PASSWORD})
    assert login.status_code == 302
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EMPLOYEE_REGISTERED).exists()
    # Single use.
    assert Client().get(path).status_code == 410


def test_the_default_profile_is_user(world: World) -> None:
    page = signed_in(world.lr).get(reverse("accounts:invite")).content.decode()
    assert '<option value="USER" selected>' in page


@pytest.mark.parametrize("profile", [Profile.FULL, Profile.LIGHT, Profile.USER])
def test_only_the_lr_registers_employees(profile: Profile, world: World) -> None:
    client = signed_in(world.by_profile(profile))
    assert client.get(reverse("accounts:invite")).status_code == 403
    assert client.post(reverse("accounts:invite"), invite_data(world)).status_code == 403
    assert not Invitation.objects.exists() and not mail.outbox


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tax_code", "RSSMRA70A01H501X", "Codice fiscale non valido"),
        ("tax_code", "01234567897", "Codice fiscale non valido"),
        ("email", "giulia@", "Inserisci un indirizzo email valido"),
        ("profile", Profile.LR, "LR non è tra quelle disponibili"),
        ("first_name", "", "obbligatorio"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_created(
    field: str,
    value: str,
    message: str,
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    response = invite(world, django_capture_on_commit_callbacks, **{field: value})
    assert response.status_code == 200
    assert message in unescape(response.content.decode())
    assert not Invitation.objects.exists() and not mail.outbox


def test_a_line_of_another_company_is_refused(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    response = invite(world, django_capture_on_commit_callbacks, lines=[world.outsider_line.pk])
    assert response.status_code == 200
    assert not Invitation.objects.exists()


def refusal(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert not Invitation.objects.filter(email__iexact="giulia.neri@acme.example.it").exists()
    return " ".join(response.context["form"].non_field_errors())


@pytest.mark.parametrize("same", ["email", "tax_code"])
def test_a_registered_person_is_refused(
    same: str,
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    existing = {"email": world.user.email, "tax_code": world.user.tax_code}[same]
    response = invite(world, django_capture_on_commit_callbacks, **{same: existing})
    assert refusal(response) == str(INVITATION_REFUSED)
    assert not Invitation.objects.exists() and not mail.outbox


@pytest.mark.parametrize("same", ["email", "tax_code"])
def test_another_companys_person_gets_the_same_generic_answer(
    same: str,
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    """Issue 13, item 11: the answer for a person of another company, registered or invited
    there, is word for word the one for a colleague already registered here, and names
    neither a registration nor the other company."""
    other_invited = InvitationFactory(
        company=world.outsider_company,
        email="invitata@concorrente.example.it",
        tax_code=_codice_fiscale(4343),
    )
    answers = {}
    for who, person in {
        "colleague": {"email": world.user.email, "tax_code": world.user.tax_code},
        "outsider": {"email": world.outsider_lr.email, "tax_code": world.outsider_lr.tax_code},
        "invited elsewhere": {"email": other_invited.email, "tax_code": other_invited.tax_code},
    }.items():
        response = invite(world, django_capture_on_commit_callbacks, **{same: person[same]})
        answers[who] = refusal(response)
        page = unescape(response.content.decode())
        assert "registrat" not in answers[who] and world.outsider_company.name not in page
    assert set(answers.values()) == {str(INVITATION_REFUSED)}
    assert Invitation.objects.filter(company=world.company).count() == 0
    assert not mail.outbox


def test_a_person_already_invited_is_refused(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    invite(world, django_capture_on_commit_callbacks)
    response = invite(world, django_capture_on_commit_callbacks)
    assert str(INVITATION_REFUSED) in unescape(response.content.decode())
    assert Invitation.objects.count() == 1


def test_an_expired_invitation_cannot_be_used(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    invite(world, django_capture_on_commit_callbacks)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = accept(link_path(mail.outbox[0]))
    assert response.status_code == 410
    assert "scaduto" in response.content.decode()
    assert not User.objects.filter(username="giulia").exists()


@pytest.mark.parametrize(
    ("password1", "password2", "message"),
    [
        (NEW_PASSWORD, NEW_PASSWORD + "x", "non coincidono"),
        ("12345678901", "12345678901", "interamente numerica"),
        ("corta", "corta", "La password è troppo corta: deve contenere almeno 10 caratteri"),
    ],
)
def test_the_new_password_is_checked(
    password1: str,
    password2: str,
    message: str,
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    invite(world, django_capture_on_commit_callbacks)
    response = Client().post(
        link_path(mail.outbox[0]),
        {"username": "giulia", "password1": password1, "password2": password2},
    )
    assert response.status_code == 200
    assert message in unescape(response.content.decode())
    assert not User.objects.filter(username="giulia").exists()


def test_a_taken_username_is_refused(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    invite(world, django_capture_on_commit_callbacks)
    response = accept(link_path(mail.outbox[0]), username=world.full.username)
    assert response.status_code == 200
    assert "già in uso" in unescape(response.content.decode())
    assert Invitation.objects.get().is_open


def test_resend_gives_a_new_link_and_the_old_one_dies(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    invite(world, django_capture_on_commit_callbacks)
    old_path = link_path(mail.outbox[0])
    invitation = Invitation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(world.lr).post(
            reverse("accounts:invitation-resend", args=[invitation.pk])
        )
    assert response.status_code == 302
    new_path = link_path(mail.outbox[1])
    assert new_path != old_path
    assert Client().get(old_path).status_code == 410
    assert Client().get(new_path).status_code == 200


def test_revoke_kills_the_link(world: World, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    invite(world, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    signed_in(world.lr).post(reverse("accounts:invitation-revoke", args=[invitation.pk]))
    assert Client().get(link_path(mail.outbox[0])).status_code == 410
    assert AuditEntry.objects.filter(action=AuditEntry.Action.INVITATION_REVOKED).exists()
    # The person can be invited again.
    assert invite(world, django_capture_on_commit_callbacks).status_code == 302


def test_pending_invitations_are_listed(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    invite(world, django_capture_on_commit_callbacks)
    page = signed_in(world.lr).get(reverse("accounts:employees")).content.decode()
    assert "giulia.neri@acme.example.it" in page
