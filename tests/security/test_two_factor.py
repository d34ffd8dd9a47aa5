"""Two-factor sign-in: the authenticator app (TOTP) with a frozen clock, recovery codes,
the second step, its lockout, removal and regeneration, the staff rule."""

from __future__ import annotations

import time
from base64 import b32encode
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEntry
from security import two_factor
from security.models import SignInEvent
from security.two_factor import PENDING_SECOND_FACTOR
from tests.concurrency import twice_while_locked
from tests.conftest import PASSWORD, World, client_for
from tests.security.helpers import password_step, recently_confirmed, with_app

LOGIN = "/accedi/"
VERIFY = "/accedi/verifica/"
# A fixed instant (a whole time step, near the real now so that sessions stay valid): TOTP
# codes depend on the clock.
NOW = float(int(time.time()) // 30 * 30)


@contextmanager
def clock(at: float) -> Iterator[None]:
    """Both clocks django-otp reads: the code's time step and the pause after a wrong code."""
    moment = datetime.fromtimestamp(at, tz=UTC)
    with (
        mock.patch("django_otp.plugins.otp_totp.models.time.time", return_value=at),
        mock.patch("django_otp.models.timezone.now", return_value=moment),
        mock.patch("security.two_factor.timezone.now", return_value=moment),
    ):
        yield


def code_at(device: TOTPDevice, at: float) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at
    return f"{totp.token():06d}"


# --- Enrolment ---------------------------------------------------------------------------


def test_the_app_is_set_up_with_a_qr_code_and_its_first_code(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    client = client_for(world.full)
    page = client.get(reverse("security:totp-setup")).content.decode()
    assert "<svg" in page and "style=" not in page.split("<svg", 1)[1].split("</svg>")[0]
    device = TOTPDevice.objects.get(user=world.full, confirmed=False)
    # The secret is also written out, for those who cannot scan.
    assert b32encode(device.bin_key).decode()[:4] in page

    with clock(NOW):
        wrong = client.post(reverse("security:totp-setup"), {"code": "000000"})
        assert "Il codice non è valido" in wrong.content.decode()
        # Right after a wrong code even the right one waits a second (django-otp's pause).
        early = client.post(reverse("security:totp-setup"), {"code": code_at(device, NOW)})
        assert "Attendi 1 secondo e riprova" in early.content.decode()
    with clock(NOW + 2), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("security:totp-setup"), {"code": code_at(device, NOW + 2)})
    assert response["Location"] == reverse("security:recovery-codes")
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.SECOND_FACTOR_ADDED, target=world.full
    ).exists()
    assert any("aggiunto" in message.subject for message in mail.outbox)

    codes_page = client.get(reverse("security:recovery-codes")).content.decode()
    codes = StaticDevice.objects.get(user=world.full).token_set.all()
    assert codes.count() == 10
    for token in codes:
        assert two_factor.formatted_recovery_code(token.token) in codes_page
    download = client.get(reverse("security:recovery-codes-download"))
    assert download["Content-Disposition"].startswith("attachment")
    assert two_factor.formatted_recovery_code(codes[0].token) in download.content.decode()
    # Shown once: after "Ho conservato i codici" neither the page nor the file shows them.
    client.post(reverse("security:recovery-codes"))
    assert client.get(reverse("security:recovery-codes"))["Location"] == reverse(
        "security:overview"
    )
    assert client.get(reverse("security:recovery-codes-download"))["Location"] == reverse(
        "security:overview"
    )


def test_a_reload_keeps_the_secret_being_set_up(world: World) -> None:
    client = client_for(world.user)
    client.get(reverse("security:totp-setup"))
    client.get(reverse("security:totp-setup"))
    assert TOTPDevice.objects.filter(user=world.user).count() == 1


# --- Signing in with the second factor ---------------------------------------------------


def test_a_person_with_the_app_gives_a_code_after_the_password(world: World) -> None:
    device = with_app(world.light)
    client = password_step(world.light)
    assert client.session[PENDING_SECOND_FACTOR] == "verify"
    # Nothing else is reachable meanwhile.
    response = client.get(reverse("billing:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY + "?next=")
    with clock(NOW):
        response = client.post(VERIFY, {"code": code_at(device, NOW), "next": "/fatture/"})
    assert response["Location"] == "/fatture/"
    assert client.get(reverse("billing:index")).status_code == 200


def test_the_code_window_and_reuse(world: World) -> None:
    device = with_app(world.light)
    previous_step = code_at(device, NOW - 30)
    too_old = code_at(device, NOW - 90)
    with clock(NOW):
        client = password_step(world.light)
        assert "non è valido" in client.post(VERIFY, {"code": too_old}).content.decode()
    with clock(NOW + 2):  # after the pause a wrong code imposes
        # One step of drift is tolerated (a phone a few seconds behind).
        assert client.post(VERIFY, {"code": previous_step}).status_code == 302
    # The same code, a second time, in another browser: refused.
    with clock(NOW + 5):
        other = password_step(world.light)
        response = other.post(VERIFY, {"code": previous_step})
    assert "non è valido" in response.content.decode()
    assert other.session[PENDING_SECOND_FACTOR] == "verify"


def test_a_recovery_code_works_once(world: World) -> None:
    with_app(world.lr)
    code = two_factor.recovery_codes_generate(user=world.lr)[0]
    client = password_step(world.lr)
    response = client.post(VERIFY, {"code": code.upper().replace("-", " ")})
    assert response.status_code == 302
    assert StaticDevice.objects.get(user=world.lr).token_set.count() == 9
    again = password_step(world.lr)
    assert "non è valido" in again.post(VERIFY, {"code": code}).content.decode()


def test_wrong_codes_lock_out_like_wrong_passwords(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.AXES_FAILURE_LIMIT = 3
    device = with_app(world.full)
    client = password_step(world.full)
    for attempt in range(2):  # each after django-otp's pause, so each is tried and counted
        with clock(NOW + 60 * attempt):
            assert client.post(VERIFY, {"code": "123456"}).status_code == 200
    with clock(NOW + 120):
        response = client.post(VERIFY, {"code": "654321"})
    assert response.status_code == 429
    # Signed out, and the password alone no longer gets in from this address.
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("accounts:login"))
    with clock(NOW):
        locked = Client().post(LOGIN, {"username": world.full.username, "password": PASSWORD})
    assert locked.status_code == 429
    assert device.pk


def test_signing_in_again_does_not_reset_the_count_of_wrong_codes(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.AXES_FAILURE_LIMIT = 3
    with_app(world.full)
    for attempt in range(2):
        client = password_step(world.full)
        with clock(NOW + 60 * attempt):
            client.post(VERIFY, {"code": "111111"})
    client = password_step(world.full)
    with clock(NOW + 120):
        assert client.post(VERIFY, {"code": "222222"}).status_code == 429


def test_the_verify_page_sends_a_fully_signed_in_person_on(world: World) -> None:
    client = client_for(world.user)
    response = client.get(VERIFY + "?next=/consumi/")
    assert response["Location"] == "/consumi/"


# --- Removing and regenerating ------------------------------------------------------------


def test_removing_the_app_asks_for_the_password_and_tells_the_person(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    with_app(world.full)
    two_factor.recovery_codes_generate(user=world.full)
    client = client_for(world.full)
    response = client.post(reverse("security:totp-remove"))
    assert response["Location"].startswith(reverse("accounts:confirm-password"))
    assert TOTPDevice.objects.filter(user=world.full).exists()
    recently_confirmed(client)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("security:totp-remove"))
    assert not TOTPDevice.objects.filter(user=world.full).exists()
    # Recovery codes never stand alone.
    assert not StaticDevice.objects.filter(user=world.full).exists()
    assert [m.to for m in mail.outbox] == [[world.full.email]]
    assert "rimosso" in mail.outbox[0].subject


def test_the_last_method_stays_when_the_company_requires_it(world: World) -> None:
    with_app(world.full)
    world.company.two_factor_policy = "ADMINS"
    world.company.save()
    client = client_for(world.full)
    recently_confirmed(client)
    response = client.post(reverse("security:totp-remove"), follow=True)
    assert "verifica in due passaggi è obbligatoria" in response.content.decode()
    assert TOTPDevice.objects.filter(user=world.full).exists()


def test_new_recovery_codes_replace_the_old(world: World) -> None:
    with_app(world.light)
    old = two_factor.recovery_codes_generate(user=world.light)
    client = client_for(world.light)
    recently_confirmed(client)
    response = client.post(reverse("security:recovery-codes-regenerate"))
    assert response["Location"] == reverse("security:recovery-codes")
    tokens = set(
        StaticDevice.objects.get(user=world.light).token_set.values_list("token", flat=True)
    )
    assert len(tokens) == 10
    assert old[0].replace("-", "") not in tokens
    assert AuditEntry.objects.filter(action=AuditEntry.Action.RECOVERY_CODES_REGENERATED).exists()


# --- Staff --------------------------------------------------------------------------------


def test_staff_set_up_a_second_factor_when_debug_is_off(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.STAFF_REQUIRE_SECOND_FACTOR = True
    client = password_step(world.staff)
    response = client.get(reverse("backoffice:index"))
    assert response["Location"].startswith(reverse("security:enrol"))
    assert client.get(reverse("security:enrol")).status_code == 200
    settings.STAFF_REQUIRE_SECOND_FACTOR = False
    relaxed = password_step(world.staff)
    assert relaxed.get(reverse("backoffice:index")).status_code == 200


def test_staff_rule_follows_debug() -> None:
    from area_clienti import settings as project_settings

    assert project_settings.STAFF_REQUIRE_SECOND_FACTOR is (not project_settings.DEBUG)


@pytest.mark.parametrize("path", ["/api/v1/invoices/"])
def test_client_systems_are_not_asked_for_a_second_factor(world: World, path: str) -> None:
    with_app(world.lr)
    client = password_step(world.lr)
    # The API answers for itself (tokens), whatever the session owes.
    assert client.get(path).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_a_recovery_code_sent_twice_at_once_works_once() -> None:
    from tests.conftest import build_world

    world = build_world()
    with_app(world.lr)
    code = two_factor.recovery_codes_generate(user=world.lr)[0]
    answers = twice_while_locked(
        lambda: two_factor.verify_code(world.lr, code),
        StaticDevice.objects.filter(user=world.lr),
    )
    assert [answer is not None for answer in answers].count(True) == 1, answers


def test_a_secret_shown_in_another_session_is_never_the_one_confirmed(world: World) -> None:
    """Someone with the password opens the app's page and keeps its secret: when the
    person sets the app up, their secret is a new one."""
    intruder = client_for(world.full)
    intruder.get(reverse("security:totp-setup"))
    seen = TOTPDevice.objects.get(user=world.full, confirmed=False).key
    owner = client_for(world.full)
    owner.get(reverse("security:totp-setup"))
    device = TOTPDevice.objects.get(user=world.full, confirmed=False)
    assert device.key != seen
    with clock(NOW):
        owner.post(reverse("security:totp-setup"), {"code": code_at(device, NOW)})
    assert TOTPDevice.objects.get(user=world.full, confirmed=True).key != seen


def test_the_first_method_ends_the_sessions_opened_with_the_password_alone(
    world: World,
) -> None:
    elsewhere = client_for(world.light)
    client = client_for(world.light)
    client.get(reverse("security:totp-setup"))
    device = TOTPDevice.objects.get(user=world.light, confirmed=False)
    with clock(NOW):
        client.post(reverse("security:totp-setup"), {"code": code_at(device, NOW)})
    login = reverse("accounts:login")
    assert elsewhere.get(reverse("dashboard"))["Location"].startswith(login)
    assert client.get(reverse("dashboard")).status_code == 200


def test_changes_to_the_methods_need_a_session_that_gave_one(world: World) -> None:
    client = client_for(world.full)  # signed in before the person had a second factor
    with_app(world.full)
    for name in ("security:totp-setup", "security:recovery-codes-regenerate"):
        response = client.get(reverse(name))
        assert response["Location"].startswith(VERIFY + "?next="), name


def test_a_recovery_code_of_digits_only_is_a_recovery_code(world: World) -> None:
    with_app(world.user)
    two_factor.recovery_codes_generate(user=world.user)
    StaticDevice.objects.get(user=world.user).token_set.update(token="23456789")
    client = password_step(world.user)
    assert client.post(VERIFY, {"code": "2345-6789"}).status_code == 302


def test_the_sign_in_log_tells_a_password_alone_from_a_sign_in(world: World) -> None:
    device = with_app(world.full)
    client = password_step(world.full)
    events = SignInEvent.objects.filter(user=world.full)
    assert list(events.values_list("outcome", flat=True)) == ["PASSWORD_ACCEPTED"]
    with clock(NOW):
        client.post(VERIFY, {"code": code_at(device, NOW)})
    latest = events.order_by("-id").first()
    assert latest is not None
    assert (latest.outcome, latest.method) == ("SIGNED_IN", "password+app")


def test_the_second_step_gives_a_new_session_key(world: World) -> None:
    device = with_app(world.full)
    client = password_step(world.full)
    before = client.session.session_key
    with clock(NOW):
        client.post(VERIFY, {"code": code_at(device, NOW)})
    assert client.session.session_key != before


def test_a_code_sent_during_the_pause_is_not_counted(world: World) -> None:
    from axes.models import AccessAttempt

    device = with_app(world.full)
    client = password_step(world.full)
    with clock(NOW):
        client.post(VERIFY, {"code": "000000"})
        response = client.post(VERIFY, {"code": code_at(device, NOW)})
    assert "Attendi" in response.content.decode()
    assert AccessAttempt.objects.get(username=world.full.username).failures_since_start == 1
