"""How a view declares who may enter it. Every URL's view carries exactly one declaration;
a test walks the URL resolver and fails on any view without one."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from accounts.models import User
from accounts.roles import Capability, profile_of, scope_for

View = Callable[..., HttpResponseBase]


@dataclass(frozen=True)
class Access:
    """Who may enter a view: anyone, anyone signed in, staff, or holders of capabilities
    (all of `capabilities`, or any one of them when `any_of`)."""

    kind: str  # "public" | "signed_in" | "staff" | "capability" | "api" (client systems)
    capabilities: tuple[Capability, ...] = ()
    any_of: bool = False

    def allows(self, user: Any) -> bool:
        if self.kind == "public":
            return True
        if self.kind == "api" or not user.is_authenticated:
            return False
        if self.kind == "staff":
            return bool(user.is_staff and user.is_active)
        if self.kind == "signed_in":
            return bool(user.is_active)
        profile = profile_of(user)  # the lazy user read once, not once a capability
        held = (scope_for(profile, cap) is not None for cap in self.capabilities)
        return any(held) if self.any_of else all(held)


def _declare(access: Access) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        if access.kind == "public":
            view.access = access  # type: ignore[attr-defined]
            return view

        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            # Checked before the view runs: no form is validated, nothing is written.
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not access.allows(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        guarded.access = access  # type: ignore[attr-defined]
        return guarded

    return decorator


def public(view: View) -> View:
    """Open to anonymous visitors (login, password reset, health checks)."""
    return _declare(Access("public"))(view)


def signed_in(view: View) -> View:
    """Anyone signed in, customer or staff (dashboard, password change)."""
    return _declare(Access("signed_in"))(view)


def staff(view: View) -> View:
    """Back-office staff only."""
    return _declare(Access("staff"))(view)


def requires(*capabilities: Capability) -> Callable[[View], View]:
    """Holders of every one of `capabilities` (usually one) from the role matrix."""
    return _declare(Access("capability", tuple(capabilities)))


def requires_any(*capabilities: Capability) -> Callable[[View], View]:
    """Holders of at least one of `capabilities`: section landings."""
    return _declare(Access("capability", tuple(capabilities), any_of=True))


def user_of(request: HttpRequest) -> User:
    """The signed-in user of a request that passed one of the declarations above."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def access_of(view: Any) -> Access | None:
    """The declaration of a view function or class-based view (`as_view()` result)."""
    access = getattr(view, "access", None)
    if access is None and hasattr(view, "view_class"):
        access = getattr(view.view_class, "access", None)
    return access


PASSWORD_CONFIRMED_AT = "password_confirmed_at"  # noqa: S105 - a session key
RECENT_PASSWORD_SECONDS = 10 * 60


def mark_password_confirmed(request: HttpRequest) -> None:
    request.session[PASSWORD_CONFIRMED_AT] = int(time.time())


def password_recently_confirmed(request: HttpRequest) -> bool:
    confirmed_at: int = request.session.get(PASSWORD_CONFIRMED_AT, 0)
    return time.time() - confirmed_at < RECENT_PASSWORD_SECONDS


def recent_password(view: View) -> View:
    """Sensitive changes: ask for the password again unless it was entered in the last ten
    minutes. Goes under the access declaration, so a forbidden user still gets 403 first."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not password_recently_confirmed(request):
            next_url = request.get_full_path()
            return redirect(
                f"{reverse('accounts:confirm-password')}?{urlencode({'next': next_url})}"
            )
        return view(request, *args, **kwargs)

    return guarded
