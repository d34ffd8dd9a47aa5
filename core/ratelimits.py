"""Rate limits on what attackers hammer: sign-in, password reset, the API; and, per
person, on what costs the worker much (ZIP archives).

Counted in the default cache per client address, or per signed-in person with
`person_over_limit` (django-ratelimit's counter): shared by every worker when the cache is
Redis (REDIS_URL), per process otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django_ratelimit.core import is_ratelimited

from core.proxies import client_address

View = Callable[..., HttpResponseBase]

RETRY_AFTER = "60"


def _rate_key(group: str, request: HttpRequest) -> str:
    """The client's address, as lockout counts it; some WSGI servers give none."""
    return client_address(request) or "-"


def _person_key(group: str, request: HttpRequest) -> str:
    """The signed-in person (a limit on work done for them, from wherever they ask)."""
    return (
        f"person:{request.user.pk}" if request.user.is_authenticated else _rate_key(group, request)
    )


def person_over_limit(request: HttpRequest, group: str) -> bool:
    """Count one more of `group` for the signed-in person; True when that is over
    `settings.RATE_LIMITS[group]` (the view then says so on its page, in its own words)."""
    return bool(
        is_ratelimited(
            request,
            group=group,
            key=_person_key,
            rate=settings.RATE_LIMITS[group],
            increment=True,
        )
    )


def rate_limited(group: str, *, as_json: bool = False) -> Callable[[View], View]:
    """Refuse with 429 the requests of `group` over `settings.RATE_LIMITS[group]`
    (only those that change something: POST). The view's access declaration is kept."""

    def decorator(view: View) -> View:
        @wraps(view)
        def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method == "POST" and is_ratelimited(
                request,
                group=group,
                key=_rate_key,
                rate=settings.RATE_LIMITS[group],
                method="POST",
                increment=True,
            ):
                return _too_many(request, as_json)
            return view(request, *args, **kwargs)

        return limited

    return decorator


def _too_many(request: HttpRequest, as_json: bool) -> HttpResponseBase:
    if as_json:
        response: HttpResponseBase = JsonResponse(
            {"error": "Too many requests: slow down and retry later."}, status=429
        )
    else:
        response = render(request, "429.html", status=429)
    response["Retry-After"] = RETRY_AFTER
    return response
