"""Own personal data (D6), re-authentication before sensitive changes, the audit log page."""

import re
import time
from html import unescape

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.access import PASSWORD_CONFIRMED_AT
from accounts.models import AuditEntry
from accounts.roles import Profile
from tests.accounts.helpers import employee_form, signed_in
from tests.conftest import PASSWORD, World


@pytest.mark.parametrize("profile", list(Profile))
def test_everyone_edits_their_own_data(profile: Profile, world: World) -> None:
    person = world.by_profile(profile)
    response = signed_in(person).post(
        reverse("accounts:personal-data"),
        {
            "first_name": "Anna",
            "last_name": "Verdi Collaudo",
            "phone": "+393401234567",
            "email": person.email,
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.first_name, person.last_name, person.phone) == (
        "Anna",
        "Verdi Collaudo",
        "+393401234567",
    )
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PERSONAL_DATA_CHANGED)
    assert entry.actor == person and entry.changes["last_name"]["to"] == "Verdi Collaudo"


def test_a_bad_phone_number_is_refused(world: World) -> None:
    response = signed_in(world.user).post(
        reverse("accounts:personal-data"),
        {
            "first_name": "Anna",
            "last_name": "Verdi Collaudo",
            "phone": "chiamami",
            "email": world.user.email,
        },
    )
    assert response.status_code == 200
    assert "Numero di telefono non valido" in response.content.decode()
    world.user.refresh_from_db()
    assert world.user.first_name != "Anna"


def test_personal_email_changes_after_the_link(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    old = world.user.email
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(world.user).post(
            reverse("accounts:personal-email"), {"new_email": "sara.nuova@example.it"}
        )
    assert response["Location"] == reverse("accounts:personal-data")
    world.user.refresh_from_db()
    assert world.user.email == old
    [confirm] = mail.outbox
    link = re.search(r"https?://[^/\s]+(/\S+)", confirm.body)
    assert confirm.to == ["sara.nuova@example.it"] and link is not None
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(link.group(1))
    world.user.refresh_from_db()
    assert world.user.email == "sara.nuova@example.it"
    assert mail.outbox[-1].to == [old]


# --- Issue 13, item 6: a session alone cannot move the sign-in identifiers -------------------


def test_the_personal_data_form_no_longer_changes_the_email(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    """The takeover: a session left open, the e-mail moved, then a password reset."""
    old = world.user.email
    data = {
        "first_name": world.user.first_name,
        "last_name": world.user.last_name,
        "phone": "",
        "email": "attaccante@example.com",
        "username": "preso",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(world.user, password_confirmed=False).post(
            reverse("accounts:personal-data"), data
        )
    assert response.status_code == 302
    world.user.refresh_from_db()
    assert (world.user.email, world.user.username) == (old, "acme-user")
    assert not mail.outbox


def test_the_email_page_asks_for_the_password_of_the_last_ten_minutes(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    client = signed_in(world.user)
    session = client.session
    session[PASSWORD_CONFIRMED_AT] = int(time.time()) - 11 * 60
    session.save()
    url = reverse("accounts:personal-email")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"new_email": "attaccante@example.com"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:confirm-password"))
    assert not mail.outbox
    client.post(response["Location"], {"password": PASSWORD, "next": url})
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("profile", list(Profile))
def test_every_profile_reaches_the_email_page_and_staff_does_not(
    profile: Profile, world: World
) -> None:
    url = reverse("accounts:personal-email")
    assert signed_in(world.by_profile(profile)).get(url).status_code == 200
    assert signed_in(world.staff).get(url).status_code == 403
    assert Client().get(url)["Location"].startswith(reverse("accounts:login"))


def test_the_current_address_is_refused_as_the_new_one(world: World) -> None:
    response = signed_in(world.user).post(
        reverse("accounts:personal-email"), {"new_email": world.user.email.upper()}
    )
    assert response.status_code == 200
    assert "È già l'indirizzo in uso" in unescape(response.content.decode())


def test_a_password_change_is_told_to_the_accounts_address(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(world.full).post(
            reverse("accounts:password-change"),
            {
                "old_password": PASSWORD,
                "new_password1": "Nuova-Pass-2026",
                "new_password2": "Nuova-Pass-2026",
            },
        )
    assert response.status_code == 302
    [notice] = mail.outbox
    assert notice.to == [world.full.email] and "la password" in notice.body
    assert "191" in notice.body
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PASSWORD_CHANGED)
    assert entry.actor == world.full == entry.target


def test_a_password_reset_is_told_to_the_accounts_address(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("accounts:password-reset"), {"email": world.user.email})
    link = re.search(r"https?://[^/\s]+(/password/reimposta/\S+/)", mail.outbox[0].body)
    assert link is not None
    client = Client()
    form_url = client.get(link.group(1))["Location"]
    new = {"new_password1": "Nuova-Pass-2026", "new_password2": "Nuova-Pass-2026"}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(form_url, new).status_code == 302
    notice = mail.outbox[-1]
    assert notice.to == [world.user.email] and "la password" in notice.body


def test_sensitive_pages_ask_for_the_password_again(world: World) -> None:
    client = signed_in(world.lr, password_confirmed=False)
    url = reverse("accounts:employee-edit", args=[world.user.pk])
    response = client.get(url)
    assert response.status_code == 302
    confirm = response["Location"]
    assert confirm.startswith(reverse("accounts:confirm-password"))
    wrong = client.post(confirm, {"password": "sbagliata", "next": url})
    assert wrong.status_code == 200 and "non è corretta" in unescape(wrong.content.decode())
    right = client.post(confirm, {"password": PASSWORD, "next": url})
    assert right.status_code == 302 and right["Location"] == url
    assert client.get(url).status_code == 200


def test_the_confirmation_lasts_ten_minutes(world: World) -> None:
    client = signed_in(world.lr)
    session = client.session
    session[PASSWORD_CONFIRMED_AT] = int(time.time()) - 11 * 60
    session.save()
    assert client.get(reverse("accounts:invite")).status_code == 302
    assert (
        client.post(reverse("accounts:contact-email"), {"new_email": "a@b.it"}).status_code == 302
    )
    assert not mail.outbox


def test_forbidden_comes_before_the_password_question(world: World) -> None:
    client = signed_in(world.full, password_confirmed=False)
    assert client.get(reverse("accounts:legal-address")).status_code == 403


def test_the_confirmation_page_never_redirects_elsewhere(world: World) -> None:
    client = signed_in(world.lr, password_confirmed=False)
    response = client.post(
        reverse("accounts:confirm-password"),
        {"password": PASSWORD, "next": "https://example.com/"},
    )
    assert response["Location"] == reverse("accounts:profile")


def test_signing_in_counts_as_entering_the_password(world: World) -> None:
    client = Client()
    client.post("/accedi/", {"username": world.lr.username, "password": PASSWORD})
    assert client.get(reverse("accounts:invite")).status_code == 200


def test_audit_log_lists_and_filters(world: World) -> None:
    client = signed_in(world.lr)
    for person, to in ((world.user, Profile.LIGHT), (world.full, Profile.USER)):
        client.post(
            reverse("accounts:employee-edit", args=[person.pk]),
            employee_form(person, profile=to, confirmed="1"),
        )
    client.post(
        reverse("accounts:personal-data"),
        {"first_name": "Mario", "last_name": "Rossi", "phone": "", "email": world.lr.email},
    )
    page = unescape(client.get(reverse("accounts:audit-log")).content.decode())
    assert "Utilizzatore → Amministratore Light" in page
    assert "Amministratore Full → Utilizzatore" in page
    assert "Dati personali modificati" in page
    filtered = unescape(
        client.get(
            reverse("accounts:audit-log"),
            {"action": "PROFILE_CHANGED", "person": world.user.last_name},
        ).content.decode()
    )
    assert "Utilizzatore → Amministratore Light" in filtered
    assert "Amministratore Full → Utilizzatore" not in filtered
    assert "Dati personali modificati" not in filtered.split("<tbody>")[1]


def test_audit_log_never_shows_another_company(world: World) -> None:
    from accounts.audit import audit_record

    audit_record(
        actor=world.outsider_lr,
        action=AuditEntry.Action.PERSONAL_DATA_CHANGED,
        company=world.outsider_company,
        target=world.outsider_lr,
    )
    page = signed_in(world.lr).get(reverse("accounts:audit-log")).content.decode()
    assert str(world.outsider_lr) not in unescape(page)


def test_bad_filters_are_told_not_crashed(world: World) -> None:
    response = signed_in(world.lr).get(reverse("accounts:audit-log"), {"since": "ieri"})
    assert response.status_code == 200
    assert "Inserisci una data valida" in response.content.decode()


def test_password_change_ends_other_sessions(world: World) -> None:
    other = Client()
    other.post("/accedi/", {"username": world.full.username, "password": PASSWORD})
    assert other.get("/").status_code == 200
    here = signed_in(world.full)
    here.post(
        reverse("accounts:password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Nuova-Pass-2026",
            "new_password2": "Nuova-Pass-2026",
        },
    )
    assert here.get("/").status_code == 200
    assert other.get("/").status_code == 302  # signed out


# --- Review S1: an e-mail-change link works once, and only for whoever may still use it ------


def ask_personal_email(person, address: str, capture) -> str:  # type: ignore[no-untyped-def]
    """Ask for `address` as `person`'s e-mail; the path of the link sent to it."""
    with capture(execute=True):
        response = signed_in(person).post(
            reverse("accounts:personal-email"), {"new_email": address}
        )
    assert response.status_code == 302
    message = mail.outbox[-1]
    assert message.to == [address]
    link = re.search(r"https?://[^/\s]+(/\S+)", message.body)
    assert link is not None
    return link.group(1)


def test_a_used_link_cannot_take_the_account_back_after_the_owner_undoes_it(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    """The replay: whoever had the password moves the e-mail A → evil; the owner moves it
    back evil → A; the first link, replayed within its 24 hours, must not move it again."""
    owner_address = world.user.email
    first = ask_personal_email(
        world.user, "attaccante@example.com", django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post(first).status_code == 200
    world.user.refresh_from_db()
    back = ask_personal_email(world.user, owner_address, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post(back).status_code == 200
    world.user.refresh_from_db()
    assert world.user.email == owner_address

    replay = Client().post(first)
    assert replay.status_code == 410
    assert "già stato usato" in unescape(replay.content.decode())
    world.user.refresh_from_db()
    assert world.user.email == owner_address
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EMAIL_CHANGED).count() == 2


def test_a_newer_request_voids_the_earlier_link(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    earlier = ask_personal_email(world.user, "prima@example.it", django_capture_on_commit_callbacks)
    later = ask_personal_email(world.user, "seconda@example.it", django_capture_on_commit_callbacks)
    assert Client().post(earlier).status_code == 410
    world.user.refresh_from_db()
    assert world.user.email != "prima@example.it"
    assert Client().post(later).status_code == 200
    world.user.refresh_from_db()
    assert world.user.email == "seconda@example.it"


def test_a_deactivated_account_cannot_confirm_its_link(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    old = world.user.email
    link = ask_personal_email(world.user, "nuova@example.it", django_capture_on_commit_callbacks)
    world.user.is_active = False
    world.user.save(update_fields=["is_active"])
    response = Client().post(link)
    assert response.status_code == 410
    assert "non può più" in unescape(response.content.decode())
    world.user.refresh_from_db()
    assert world.user.email == old
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EMAIL_CHANGED).exists()
