"""A person's signed-in sessions, the browsers they sign in from, and the company's sign-in
log.

Invariants: every sign-in has a UserSession row whose `session_key` follows the session's
key (Django cycles it on sign-in and password change); ending a session deletes it from
the session store, whatever SESSION_ENGINE, so its browser is signed out on its next
request. Keeping `last_seen_at` costs one UPDATE a minute per session, never a read."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from core.mail import send_templated_email
from core.proxies import client_address
from security.models import KnownBrowser, SignInEvent, UserSession

# The session's own record of its UserSession row: [pk, session key it was last saved
# under]. Kept in the session data, which survives Django's key cycling.
SESSION_ROW = "security_session"
SEEN_AT = "security_seen_at"
SEEN_EVERY_SECONDS = 60

BROWSER_COOKIE = "acb_browser"
BROWSER_COOKIE_AGE = 365 * 24 * 60 * 60
# Set on the request by the sign-in receiver: the middleware sets the browser's cookie.
_SIGNED_IN = "security_signed_in"

# The step a session signed in with the password still owes ("verify" or "enrol"), set at
# sign-in by security.signals (security.two_factor decides it).
PENDING_SECOND_FACTOR = "second_factor_pending"
METHOD_PASSWORD = "password"  # noqa: S105 - a method's name
METHOD_PASSKEY = "passkey"
METHODS = {
    METHOD_PASSWORD: gettext_lazy("Password"),
    METHOD_PASSKEY: gettext_lazy("Passkey"),
    "password+app": gettext_lazy("Password e app di autenticazione"),
    "password+recovery": gettext_lazy("Password e codice di recupero"),
    "password+passkey": gettext_lazy("Password e passkey"),
}


# --- Browser and system from the user agent ------------------------------------------------

# Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari", iOS says "Mac OS X".
_BROWSERS = [
    (re.compile(r"Edg(e|A|iOS)?/"), "Edge"),
    (re.compile(r"OPR/|Opera"), "Opera"),
    (re.compile(r"Firefox/|FxiOS/"), "Firefox"),
    (re.compile(r"Chrome/|CriOS/"), "Chrome"),
    (re.compile(r"Safari/"), "Safari"),
]
_SYSTEMS = [
    (re.compile(r"Windows"), "Windows"),
    (re.compile(r"Android"), "Android"),
    (re.compile(r"iPhone|iPad|iPod"), "iOS"),
    (re.compile(r"Macintosh|Mac OS X"), "macOS"),
    (re.compile(r"Linux|X11"), "Linux"),
]


@dataclass(frozen=True)
class Browser:
    name: str
    system: str

    def __str__(self) -> str:
        return _("%(browser)s su %(system)s") % {"browser": self.name, "system": self.system}


def browser_of(user_agent: str) -> Browser:
    """The browser and system a person would recognise, from the user agent string."""
    return Browser(
        name=_first(_BROWSERS, user_agent) or _("browser sconosciuto"),
        system=_first(_SYSTEMS, user_agent) or _("sistema sconosciuto"),
    )


def browser_recognised(user_agent: str) -> Browser | None:
    """As browser_of, or None when the user agent names neither browser nor system."""
    if _first(_BROWSERS, user_agent) is None and _first(_SYSTEMS, user_agent) is None:
        return None
    return browser_of(user_agent)


def _first(patterns: list[tuple[re.Pattern[str], str]], user_agent: str) -> str | None:
    return next((name for pattern, name in patterns if pattern.search(user_agent)), None)


def _address(request: HttpRequest) -> str | None:
    try:
        return str(ipaddress.ip_address(client_address(request)))
    except ValueError:
        return None  # a request built without a client (a test's force_login)


def _user_agent(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:300]


# --- Recording (called by security/signals.py) --------------------------------------------


@transaction.atomic
def sign_in_record(*, request: HttpRequest, user: User) -> None:
    """After Django's login(): the session (under its new key) and the sign-in event."""
    session = request.session
    if session.session_key is None:
        session.save()
    key = str(session.session_key)
    now = timezone.now()
    previous = session.get(SESSION_ROW)
    if previous:
        # Signed in again in the same session (same person): the old row is over.
        UserSession.objects.filter(pk=previous[0], ended_at=None).update(ended_at=now)
    row = UserSession.objects.create(
        user=user, session_key=key, user_agent=_user_agent(request), ip_address=_address(request)
    )
    session[SESSION_ROW] = [row.pk, key]
    session[SEEN_AT] = int(time.time())
    backend = str(session.get(BACKEND_SESSION_KEY) or getattr(user, "backend", ""))
    method = METHOD_PASSKEY if backend.startswith("django_otp_webauthn.") else METHOD_PASSWORD
    # A password that still owes its second factor is not yet a sign-in: the second step
    # records it (sign_in_second_step_record), or the log shows it stopped at the password.
    owed = method == METHOD_PASSWORD and PENDING_SECOND_FACTOR in session
    SignInEvent.objects.create(
        company_id=user.company_id,
        user=user,
        username=user.get_username(),
        outcome=SignInEvent.Outcome.PASSWORD_ACCEPTED if owed else SignInEvent.Outcome.SIGNED_IN,
        method=method,
        ip_address=row.ip_address,
        user_agent=row.user_agent,
    )
    setattr(request, _SIGNED_IN, user)


def sign_in_second_step_record(*, request: HttpRequest, user: User, method: str) -> None:
    """The second factor given after the password: the sign-in is complete."""
    SignInEvent.objects.create(
        company_id=user.company_id,
        user=user,
        username=user.get_username(),
        outcome=SignInEvent.Outcome.SIGNED_IN,
        method=method,
        ip_address=_address(request),
        user_agent=_user_agent(request),
    )


def sign_in_failure_record(
    *, request: HttpRequest | None, username: str, outcome: SignInEvent.Outcome
) -> None:
    """A failed attempt, in the log of the company whose person has that username (if
    any). Nothing is shown to the person signing in."""
    username = username[:150]
    person = User.objects.filter(username=username).only("pk", "company_id").first()
    SignInEvent.objects.create(
        company_id=person.company_id if person else None,
        user=person,
        username=username,
        outcome=outcome,
        method=METHOD_PASSWORD if outcome == SignInEvent.Outcome.WRONG_PASSWORD else "",
        ip_address=_address(request) if request is not None else None,
        user_agent=_user_agent(request) if request is not None else "",
    )


def sign_out_record(*, request: HttpRequest) -> None:
    row = request.session.get(SESSION_ROW)
    if row:
        UserSession.objects.filter(pk=row[0], ended_at=None).update(ended_at=timezone.now())


# --- The person's sessions -----------------------------------------------------------------


def sessions_active(*, user: User) -> QuerySet[UserSession]:
    """Sessions not ended and not expired (seen within SESSION_COOKIE_AGE), newest first."""
    since = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    return UserSession.objects.filter(user=user, ended_at=None, last_seen_at__gte=since).order_by(
        "-last_seen_at", "-pk"
    )


@dataclass(frozen=True)
class SessionRow:
    pk: int
    browser: Browser
    ip_address: str | None
    started_at: datetime
    last_seen_at: datetime
    current: bool


def session_rows(*, request: HttpRequest, user: User) -> list[SessionRow]:
    """The person's active sessions as their page lists them, this one marked."""
    row = request.session.get(SESSION_ROW)
    current = int(row[0]) if row else None
    return [
        SessionRow(
            pk=s.pk,
            browser=browser_of(s.user_agent),
            ip_address=s.ip_address,
            started_at=s.started_at,
            last_seen_at=s.last_seen_at,
            current=s.pk == current,
        )
        for s in sessions_active(user=user)
    ]


def _end(rows: QuerySet[UserSession]) -> int:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    rows.filter(session_key__in=keys).update(ended_at=timezone.now())
    return len(keys)


def session_end(*, user: User, pk: int, keep_session_key: str | None) -> bool:
    """End one of `user`'s sessions other than the kept one; False if there is no such."""
    rows = UserSession.objects.filter(user=user, pk=pk, ended_at=None)
    if keep_session_key:
        rows = rows.exclude(session_key=keep_session_key)
    return _end(rows) > 0


def sessions_end(*, user: User, keep_session_key: str | None = None) -> int:
    """End every session of `user` but the kept one; how many were ended (expired ones
    included: their store entries go too)."""
    rows = UserSession.objects.filter(user=user, ended_at=None)
    if keep_session_key:
        rows = rows.exclude(session_key=keep_session_key)
    return _end(rows)


# --- New browsers ----------------------------------------------------------------------------


def _browser_hash(browser_id: str) -> str:
    return hashlib.sha256(browser_id.encode()).hexdigest()


def browser_signed_in(*, request: HttpRequest, user: User) -> str:
    """Remember the browser `user` signed in from and e-mail them when it is new to them
    (not for the account's very first browser). Returns the browser's id for its cookie."""
    browser_id = request.COOKIES.get(BROWSER_COOKIE, "")
    if not 20 <= len(browser_id) <= 64:
        browser_id = secrets.token_urlsafe(32)
    digest = _browser_hash(browser_id)
    now = timezone.now()
    if KnownBrowser.objects.filter(user=user, browser_hash=digest).update(last_seen_at=now):
        return browser_id
    first = not KnownBrowser.objects.filter(user=user).exists()
    KnownBrowser.objects.get_or_create(user=user, browser_hash=digest)
    if not first and user.email:
        send_templated_email(
            "security/email/new_browser",
            {
                "name": str(user),
                "at": now,
                "browser": browser_of(_user_agent(request)),
                "address": _address(request),
                "sessions_url": request.build_absolute_uri(reverse("security:sessions")),
                "password_url": request.build_absolute_uri(reverse("accounts:password-change")),
            },
            [user.email],
        )
    return browser_id


class SessionActivityMiddleware:
    """After a sign-in, the browser's long-lived cookie (a receiver cannot set cookies); on
    every signed-in page, at most once a minute, the session's last activity. Also follows
    the session's key when Django cycled it. Sits after SecondFactorMiddleware, so its
    session writes come before SessionMiddleware saves."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, _SIGNED_IN, None)
        if user is not None:
            response.set_cookie(
                BROWSER_COOKIE,
                browser_signed_in(request=request, user=user),
                max_age=BROWSER_COOKIE_AGE,
                secure=request.is_secure(),
                httponly=True,
                samesite="Lax",
            )
        session = request.session
        # Only a session the page read anyway: no read is added, anonymous pages untouched.
        if session.accessed and session.get(SESSION_ROW):
            _session_follow(session)
        return response


def _session_follow(session: SessionBase) -> None:
    pk, key = session[SESSION_ROW]
    now = int(time.time())
    changes: dict[str, object] = {}
    if session.session_key and session.session_key != key:
        changes["session_key"] = session.session_key
        session[SESSION_ROW] = [pk, session.session_key]
    if now - session.get(SEEN_AT, 0) >= SEEN_EVERY_SECONDS:
        changes["last_seen_at"] = timezone.now()
        session[SEEN_AT] = now
    if changes:
        UserSession.objects.filter(pk=pk, ended_at=None).update(**changes)


# --- The company's sign-in log ---------------------------------------------------------------


def sign_in_events(
    *,
    company_id: int,
    person: str = "",
    outcome: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[SignInEvent]:
    events = SignInEvent.objects.filter(company_id=company_id)
    if person:
        events = events.filter(username__icontains=person)
    if outcome:
        events = events.filter(outcome=outcome)
    if since:
        events = events.filter(at__date__gte=since)
    if until:
        events = events.filter(at__date__lte=until)
    return events.order_by("-at", "-id")
