"""A person's active sessions: recorded at sign-in, listed, ended one by one or all the
others (and by a password change), and the e-mail for a browser not seen before."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from security.models import KnownBrowser, SignInEvent, UserSession
from security.sessions import BROWSER_COOKIE, SEEN_AT, browser_of
from tests.conftest import PASSWORD, World

LOGIN = "/accedi/"
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
SESSIONS = reverse("security:sessions")


def browser(agent: str = CHROME_WINDOWS, address: str = "10.1.2.3") -> Client:
    return Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)


def sign_in(client: Client, user: User) -> Client:
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def row_of(client: Client) -> UserSession:
    return UserSession.objects.get(session_key=client.session.session_key)


def test_signing_in_records_the_session_and_the_sign_in(world: World) -> None:
    client = sign_in(browser(), world.light)
    session = row_of(client)
    assert session.user == world.light
    assert session.user_agent == CHROME_WINDOWS
    assert session.ip_address == "10.1.2.3"
    assert session.ended_at is None
    event = SignInEvent.objects.get(user=world.light)
    assert event.outcome == SignInEvent.Outcome.SIGNED_IN
    assert event.company == world.company
    assert event.method == "password"
    assert event.ip_address == "10.1.2.3"


def test_signing_out_ends_the_session(world: World) -> None:
    client = sign_in(browser(), world.light)
    session = row_of(client)
    client.post(reverse("accounts:logout"))
    session.refresh_from_db()
    assert session.ended_at is not None


def test_the_page_lists_only_the_persons_active_sessions(world: World) -> None:
    here = sign_in(browser(), world.lr)
    sign_in(browser(FIREFOX_ANDROID, "10.4.5.6"), world.lr)
    stale = row_of(sign_in(browser(SAFARI_IPHONE), world.lr))
    UserSession.objects.filter(pk=stale.pk).update(
        last_seen_at=timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)
    )
    ended = sign_in(browser(SAFARI_IPHONE), world.lr)
    ended.post(reverse("accounts:logout"))
    sign_in(browser(SAFARI_IPHONE), world.full)  # someone else's

    page = here.get(SESSIONS)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Chrome su Windows" in body
    assert "Firefox su Android" in body
    assert "10.4.5.6" in body
    assert "Safari su iOS" not in body  # expired, signed out, or not theirs
    assert body.count("Questa sessione") == 1
    assert [row.current for row in page.context["rows"]].count(True) == 1


def test_ending_a_session_signs_that_browser_out(world: World) -> None:
    here = sign_in(browser(), world.lr)
    there = sign_in(browser(FIREFOX_ANDROID), world.lr)
    session = row_of(there)

    response = here.post(reverse("security:session-end", args=[session.pk]))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.ended_at is not None
    landing = there.get(reverse("dashboard"))
    assert landing.status_code == 302
    assert landing["Location"].startswith(LOGIN)
    assert here.get(reverse("dashboard")).status_code == 200


def test_a_session_past_its_expiry_in_the_database_is_not_read(world: World) -> None:
    """core.sessions reads the session with a query of its own: the expiry holds there too."""
    here = sign_in(browser(), world.lr)
    assert here.get(reverse("dashboard")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert here.get(reverse("dashboard"))["Location"].startswith(LOGIN)


@pytest.mark.parametrize("engine", ["core.sessions", "django.contrib.sessions.backends.cache"])
def test_ending_all_the_others_keeps_this_one(world: World, settings: Any, engine: str) -> None:
    settings.SESSION_ENGINE = engine  # with REDIS_URL the sessions live in the cache
    here = sign_in(browser(), world.lr)
    others = [sign_in(browser(FIREFOX_ANDROID), world.lr) for _ in range(2)]

    response = here.post(reverse("security:sessions-end-others"), follow=True)
    assert "Hai terminato 2 altre sessioni." in response.content.decode()
    for other in others:
        assert other.get(reverse("dashboard"))["Location"].startswith(LOGIN)
    assert here.get(reverse("dashboard")).status_code == 200
    assert [row.current for row in here.get(SESSIONS).context["rows"]] == [True]


def test_another_persons_session_or_this_one_cannot_be_ended_here(world: World) -> None:
    here = sign_in(browser(), world.lr)
    theirs = row_of(sign_in(browser(), world.outsider_lr))
    assert here.post(reverse("security:session-end", args=[theirs.pk])).status_code == 404
    mine = row_of(here)
    assert here.post(reverse("security:session-end", args=[mine.pk])).status_code == 404
    assert here.get(reverse("security:session-end", args=[mine.pk])).status_code == 405
    assert UserSession.objects.filter(ended_at__isnull=False).count() == 0


def test_changing_the_password_ends_the_other_sessions(world: World) -> None:
    here = sign_in(browser(), world.full)
    there = sign_in(browser(FIREFOX_ANDROID), world.full)
    new = "Nuova-Password-2026"
    response = here.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert there.get(reverse("dashboard"))["Location"].startswith(LOGIN)
    # This browser stays signed in and its session is still listed as this one.
    rows = here.get(SESSIONS).context["rows"]
    assert [(row.current, str(row.browser)) for row in rows] == [(True, "Chrome su Windows")]
    assert row_of(here).ended_at is None


def test_last_activity_is_written_at_most_once_a_minute(world: World) -> None:
    client = sign_in(browser(), world.user)
    session = row_of(client)
    UserSession.objects.filter(pk=session.pk).update(last_seen_at=session.started_at)
    client.get(reverse("dashboard"))  # within the minute of the sign-in
    assert row_of(client).last_seen_at == session.started_at

    stored = client.session
    stored[SEEN_AT] -= 60  # a minute later
    stored.save()
    client.get(reverse("dashboard"))
    assert row_of(client).last_seen_at > session.started_at


def test_a_new_browser_is_told_by_email_but_not_the_first_or_a_known_one(
    world: World,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = sign_in(browser(), world.light)
    assert mail.outbox == []  # the account's first browser
    cookie = first.cookies[BROWSER_COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 365 * 24 * 60 * 60
    assert cookie.value not in KnownBrowser.objects.values_list("browser_hash", flat=True)

    first.post(reverse("accounts:logout"))
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(first, world.light)  # the same browser again
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        sign_in(browser(FIREFOX_ANDROID, "10.9.9.9"), world.light)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.light.email]
    assert message.subject == "Nuovo accesso alla tua area clienti"
    assert "Firefox su Android" in message.body
    assert "10.9.9.9" in message.body
    assert f"http://testserver{SESSIONS}" in message.body
    assert KnownBrowser.objects.filter(user=world.light).count() == 2


def test_the_browser_cookie_is_secure_over_https(world: World) -> None:
    client = browser()
    client.post(LOGIN, {"username": world.user.username, "password": PASSWORD}, secure=True)
    assert client.cookies[BROWSER_COOKIE]["secure"]


def test_the_sessions_page_runs_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    here = sign_in(browser(), world.lr)
    here.get(SESSIONS)
    with django_assert_max_num_queries(6):
        here.get(SESSIONS)
    for _ in range(10):
        sign_in(browser(FIREFOX_ANDROID), world.lr)
    with django_assert_max_num_queries(6):
        assert len(here.get(SESSIONS).context["rows"]) == 11


def test_anonymous_is_sent_to_sign_in(db: None) -> None:
    response = Client().get(SESSIONS)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (CHROME_WINDOWS, "Chrome su Windows"),
        (FIREFOX_ANDROID, "Firefox su Android"),
        (SAFARI_IPHONE, "Safari su iOS"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge su macOS",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0",
            "Opera su Linux",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/17.5 Safari/605.1.15",
            "Safari su macOS",
        ),
        ("curl/8.5.0", "browser sconosciuto su sistema sconosciuto"),
    ],
)
def test_browser_and_system_from_the_user_agent(agent: str, expected: str) -> None:
    assert str(browser_of(agent)) == expected
