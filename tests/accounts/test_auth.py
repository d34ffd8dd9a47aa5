"""Login, logout, lockout, sessions, password change and reset."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from area_clienti.middleware import SESSION_RENEWAL_SECONDS, SESSION_RENEWED_AT
from security.models import UserSession
from tests.conftest import PASSWORD, World, sign_in

LOGIN = "/accedi/"


def login(client: Client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": username, "password": password})


def test_login_with_username_and_password(world: World) -> None:
    client = Client()
    response = login(client, world.light.username)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200


def test_wrong_password_gives_a_clear_message(world: World) -> None:
    response = login(Client(), world.light.username, "sbagliata")
    assert response.status_code == 200
    assert "inserisci nome utente e password corretti" in response.content.decode().lower()


def test_login_gives_a_new_session_key(world: World) -> None:
    client = Client()
    client.get(LOGIN)
    client.session["marker"] = 1
    before = client.cookies.get(settings.SESSION_COOKIE_NAME)
    login(client, world.user.username)
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert before is None or before.value != after


def test_logout_is_a_post_and_ends_the_session_server_side(world: World) -> None:
    client = Client()
    login(client, world.user.username)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).exists()
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(reverse("dashboard")).status_code == 302


def test_session_expires_after_30_minutes_of_inactivity(world: World) -> None:
    client = Client()
    login(client, world.user.username)
    client.get(reverse("dashboard"))
    assert client.session.get_expiry_age() == 30 * 60


def test_a_page_renews_the_session_at_most_once_a_minute(world: World) -> None:
    client = Client()
    login(client, world.user.username)
    key = client.session.session_key
    expiry = Session.objects.get(session_key=key).expire_date
    Session.objects.filter(session_key=key).update(expire_date=expiry - timedelta(minutes=5))
    client.get(reverse("dashboard"))  # within the minute of the sign-in: no write
    assert Session.objects.get(session_key=key).expire_date == expiry - timedelta(minutes=5)

    session = client.session
    session[SESSION_RENEWED_AT] -= SESSION_RENEWAL_SECONDS  # a minute later
    session.save()
    client.get(reverse("dashboard"))
    renewed = Session.objects.get(session_key=key).expire_date
    assert renewed >= timezone.now() + timedelta(minutes=29)


def test_lockout_after_repeated_failures(world: World) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, world.lr.username, "sbagliata")
    response = login(client, world.lr.username)  # even the right password
    assert response.status_code == 429
    body = response.content.decode()
    assert "Accesso temporaneamente bloccato" in body
    assert client.get(reverse("dashboard")).status_code == 302


def test_lockout_is_per_username_and_address(world: World) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, world.lr.username, "sbagliata")
    # The same address can still sign in another person.
    assert login(client, world.full.username).status_code == 302
    # The same person can still sign in from another address.
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert login(other, world.lr.username).status_code == 302


def test_passwords_are_hashed_with_argon2(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    world.user.set_password("Un-altra-Password-9")
    assert world.user.password.startswith("argon2")


def test_password_change(world: World) -> None:
    client = Client()
    sign_in(client, world.full)
    response = client.post(
        reverse("accounts:password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Nuova-Password-2026",
            "new_password2": "Nuova-Password-2026",
        },
    )
    assert response.status_code == 302
    world.full.refresh_from_db()
    assert world.full.check_password("Nuova-Password-2026")
    assert world.company.audit_entries.filter(action="PASSWORD_CHANGED").count() == 1


def test_password_reset_by_email(world: World) -> None:
    client = Client()
    response = client.post(reverse("accounts:password-reset"), {"email": world.user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.user.email]
    assert world.user.username in message.body
    link = re.search(r"https?://[^/]+(/password/reimposta/\S+)", message.body)
    assert link is not None
    page = client.get(link.group(1), follow=True)
    assert page.status_code == 200
    response = client.post(
        page.redirect_chain[-1][0] if page.redirect_chain else link.group(1),
        {"new_password1": "Reimpostata-2026!", "new_password2": "Reimpostata-2026!"},
    )
    assert response.status_code == 302
    world.user.refresh_from_db()
    assert world.user.check_password("Reimpostata-2026!")


def test_password_reset_does_not_reveal_unknown_addresses(db: None) -> None:
    response = Client().post(reverse("accounts:password-reset"), {"email": "nessuno@example.it"})
    assert response.status_code == 302
    assert len(mail.outbox) == 0


@pytest.mark.parametrize("path", ["/fatture/", "/consumi/", "/profilo/", "/"])
def test_anonymous_is_sent_to_login(path: str, db: None) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={path}"


def test_a_password_reset_ends_every_session_of_the_person(world: World) -> None:
    elsewhere = Client()
    login(elsewhere, world.user.username)
    Client().post(reverse("accounts:password-reset"), {"email": world.user.email})
    link = re.search(r"https?://[^/]+(/password/reimposta/\S+)", mail.outbox[-1].body)
    assert link is not None
    client = Client()
    page = client.get(link.group(1), follow=True)
    client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "Reimpostata-2026!", "new_password2": "Reimpostata-2026!"},
    )
    assert not UserSession.objects.filter(user=world.user, ended_at__isnull=True).exists()
    assert elsewhere.get(reverse("dashboard"))["Location"].startswith(reverse("accounts:login"))
