"""The LR's log of the company's sign-ins and failed attempts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from security.models import SignInEvent
from tests.conftest import PASSWORD, World, client_for

LOGIN = "/accedi/"
LOG = reverse("security:sign-in-log")


def attempt(client: Client, username: str, password: str = PASSWORD) -> int:
    return client.post(LOGIN, {"username": username, "password": password}).status_code


def outcomes(username: str) -> list[str]:
    events = SignInEvent.objects.filter(username=username).order_by("at", "id")
    return list(events.values_list("outcome", flat=True))


def test_a_wrong_password_is_logged_for_the_persons_company(world: World) -> None:
    assert attempt(Client(REMOTE_ADDR="10.2.3.4"), world.light.username, "sbagliata") == 200
    event = SignInEvent.objects.get(username=world.light.username)
    assert event.outcome == SignInEvent.Outcome.WRONG_PASSWORD
    assert (event.company, event.user, event.ip_address) == (world.company, world.light, "10.2.3.4")


def test_an_unknown_username_is_logged_for_no_company(world: World) -> None:
    response = Client().post(LOGIN, {"username": "nessuno", "password": "x"})
    # Told exactly what a known person with a wrong password is told.
    assert "inserisci nome utente e password corretti" in response.content.decode().lower()
    event = SignInEvent.objects.get(username="nessuno")
    assert event.company is None


def test_a_wrong_second_factor_code_is_logged(world: World) -> None:
    TOTPDevice.objects.create(user=world.full, name="app", confirmed=True)
    client = Client()
    assert attempt(client, world.full.username) == 302
    client.post(reverse("security:verify"), {"code": "zzzz-zzzz"})
    assert outcomes(world.full.username) == ["PASSWORD_ACCEPTED", "WRONG_CODE"]


def test_a_lockout_is_logged_and_so_is_every_attempt_during_it(world: World) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, world.lr.username, "sbagliata")
    assert attempt(client, world.lr.username) == 429  # even the right password
    wrong = ["WRONG_PASSWORD"] * (settings.AXES_FAILURE_LIMIT - 1)
    assert outcomes(world.lr.username) == [*wrong, "LOCKED_OUT", "LOCKED_OUT"]
    assert (
        SignInEvent.objects.filter(company=world.company).count() == settings.AXES_FAILURE_LIMIT + 1
    )


def test_the_lr_sees_the_companys_sign_ins_and_not_another_companys(world: World) -> None:
    attempt(Client(), world.user.username)
    attempt(Client(), world.full.username, "sbagliata")
    attempt(Client(), world.outsider_lr.username)
    attempt(Client(), world.outsider_lr.username, "sbagliata")

    page = client_for(world.lr).get(LOG)
    assert page.status_code == 200
    body = page.content.decode()
    assert world.user.username in body
    assert world.full.username in body
    assert "Password errata" in body
    assert world.outsider_lr.username not in body
    # Two attempts here, and the LR's own sign-in for this page.
    assert page.context["page"].paginator.count == 3


def test_the_log_filters_by_person_and_outcome(world: World) -> None:
    attempt(Client(), world.user.username)
    attempt(Client(), world.full.username, "sbagliata")
    attempt(Client(), world.full.username)
    client = client_for(world.lr)

    by_person = client.get(LOG, {"person": world.full.username[:8].upper()})
    assert {event.username for event in by_person.context["page"]} == {world.full.username}
    failed = client.get(LOG, {"outcome": "WRONG_PASSWORD"})
    assert [event.username for event in failed.context["page"]] == [world.full.username]


def test_only_who_changes_profiles_sees_the_log(world: World) -> None:
    for person in (world.full, world.light, world.user):
        assert client_for(person).get(LOG).status_code == 403
    response = Client().get(LOG)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_the_audit_log_links_to_the_sign_in_log(world: World) -> None:
    page = client_for(world.lr).get(reverse("accounts:audit-log"))
    assert f'href="{LOG}"' in page.content.decode()


def test_the_log_runs_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    client = client_for(world.lr)
    attempt(Client(), world.user.username)
    client.get(LOG)
    with django_assert_max_num_queries(7):
        client.get(LOG)
    SignInEvent.objects.bulk_create(
        SignInEvent(
            company=world.company,
            user=world.full,
            username=world.full.username,
            outcome=SignInEvent.Outcome.WRONG_PASSWORD,
            method="password",
            user_agent="Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
        )
        for _ in range(60)
    )
    with django_assert_max_num_queries(7):
        assert len(client.get(LOG).context["page"]) == 50
