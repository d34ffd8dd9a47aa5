"""The LR's two-factor policy (D7) and reset of an employee's second factors (D8)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEntry, TwoFactorPolicy, User
from accounts.roles import Profile
from security import two_factor
from security.models import UserSession
from security.two_factor import PENDING_SECOND_FACTOR
from tests.conftest import World, client_for
from tests.security.helpers import password_step, recently_confirmed, with_app

POLICY = "/profilo/verifica-in-due-passaggi/"


# --- Policy -------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", [Profile.FULL, Profile.LIGHT, Profile.USER])
def test_only_the_lr_sets_the_policy(world: World, profile: Profile) -> None:
    response = recently_confirmed(client_for(world.by_profile(profile))).post(
        POLICY, {"policy": "EVERYONE"}
    )
    assert response.status_code == 403
    world.company.refresh_from_db()
    assert world.company.two_factor_policy == TwoFactorPolicy.NOBODY


def test_the_lr_needs_a_second_factor_before_requiring_it(world: World) -> None:
    response = recently_confirmed(client_for(world.lr)).post(POLICY, {"policy": "ADMINS"})
    assert "attivala prima per te" in response.content.decode().lower()
    world.company.refresh_from_db()
    assert world.company.two_factor_policy == TwoFactorPolicy.NOBODY


def test_the_policy_reaches_the_people_it_names(world: World) -> None:
    with_app(world.lr)
    with_app(world.light)  # already protected: untouched
    full_session = password_step(world.full)
    user_session = password_step(world.user)
    response = recently_confirmed(client_for(world.lr)).post(POLICY, {"policy": "ADMINS"})
    assert response["Location"] == reverse("accounts:profile")
    world.company.refresh_from_db()
    assert world.company.two_factor_policy == TwoFactorPolicy.ADMINS
    entry = AuditEntry.objects.get(action=AuditEntry.Action.TWO_FACTOR_POLICY_CHANGED)
    assert entry.changes["policy"]["to"].startswith("Gli amministratori")
    # The administrator without one is signed out, and sets one up after the password.
    login = reverse("accounts:login")
    assert full_session.get(reverse("dashboard"))["Location"].startswith(login)
    again = password_step(world.full)
    assert again.session[PENDING_SECOND_FACTOR] == "enrol"
    assert again.get(reverse("billing:index"))["Location"].startswith(reverse("security:enrol"))
    # The USER is not named by this policy: still signed in, nothing owed.
    assert user_session.get(reverse("dashboard")).status_code == 200
    assert PENDING_SECOND_FACTOR not in password_step(world.user).session


def test_everyone_includes_the_users(world: World) -> None:
    with_app(world.lr)
    recently_confirmed(client_for(world.lr)).post(POLICY, {"policy": "EVERYONE"})
    assert password_step(world.user).session[PENDING_SECOND_FACTOR] == "enrol"


def test_the_company_page_shows_the_policy_and_the_lr_link(world: World) -> None:
    page = client_for(world.full).get(reverse("accounts:profile")).content.decode()
    assert "Nessuno: ognuno sceglie" in page
    assert POLICY not in page
    assert POLICY in client_for(world.lr).get(reverse("accounts:profile")).content.decode()


# --- Reset of an employee's second factors ------------------------------------------------


def reset_url(employee: User) -> str:
    return reverse("security:employee-reset", kwargs={"pk": employee.pk})


def test_the_employees_page_shows_who_has_a_second_factor(world: World) -> None:
    with_app(world.light)
    page = client_for(world.lr).get(reverse("accounts:employees")).content.decode()
    assert page.count("Non attiva") == 3  # LR, FULL, USER
    assert reset_url(world.light) in page
    assert reset_url(world.full) not in page


def test_the_lr_resets_an_employees_second_factor(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    with_app(world.light)
    two_factor.recovery_codes_generate(user=world.light)
    light_session = client_for(world.light)
    with django_capture_on_commit_callbacks(execute=True):
        response = recently_confirmed(client_for(world.lr)).post(reset_url(world.light))
    assert response["Location"] == reverse("accounts:employees")
    assert not TOTPDevice.objects.filter(user=world.light).exists()
    assert not StaticDevice.objects.filter(user=world.light).exists()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SECOND_FACTOR_RESET)
    assert (entry.actor, entry.target) == (world.lr, world.light)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([world.lr.email, world.light.email])
    # Their sessions end.
    login = reverse("accounts:login")
    assert light_session.get(reverse("dashboard"))["Location"].startswith(login)
    assert not UserSession.objects.filter(user=world.light, ended_at__isnull=True).exists()


def test_reset_asks_for_the_password_again(world: World) -> None:
    with_app(world.light)
    response = client_for(world.lr).post(reset_url(world.light))
    assert response["Location"].startswith(reverse("accounts:confirm-password"))
    assert TOTPDevice.objects.filter(user=world.light).exists()


@pytest.mark.parametrize("profile", [Profile.FULL, Profile.LIGHT, Profile.USER])
def test_only_the_lr_resets(world: World, profile: Profile) -> None:
    with_app(world.light)
    client = recently_confirmed(client_for(world.by_profile(profile)))
    assert client.post(reset_url(world.light)).status_code == 403
    assert TOTPDevice.objects.filter(user=world.light).exists()


def test_another_companys_person_is_not_found(world: World) -> None:
    with_app(world.outsider_lr)
    client = recently_confirmed(client_for(world.lr))
    assert client.post(reset_url(world.outsider_lr)).status_code == 404
    assert TOTPDevice.objects.filter(user=world.outsider_lr).exists()
