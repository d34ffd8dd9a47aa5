from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from security.two_factor import PENDING_SECOND_FACTOR, PendingStep

# What a session still owing its second factor may reach: the pages that settle it, signing
# out, the language switch and the health checks. Everything else redirects to the step.
_ALWAYS = frozenset({"accounts:logout", "set-language", "healthz", "readyz", "favicon"})
ALLOWED_WHILE_PENDING: dict[str, frozenset[str]] = {
    PendingStep.VERIFY: _ALWAYS
    | {"security:verify", "security:passkey-login-begin", "security:passkey-login-complete"},
    PendingStep.ENROL: _ALWAYS
    | {
        "security:enrol",
        "security:totp-setup",
        "security:recovery-codes",
        "security:recovery-codes-download",
        "security:passkey-register-begin",
        "security:passkey-register-complete",
    },
}
STEP_PAGE = {PendingStep.VERIFY: "security:verify", PendingStep.ENROL: "security:enrol"}


class SecondFactorMiddleware:
    """A person who signed in with their password but still owes a second factor (they
    have one: give it; their company or staff role requires one: set it up) reaches only
    the pages of that step. Client systems (the API) use tokens, not sessions: untouched.

    The step is decided once, at sign-in (security.signals), and kept in the session: the
    pages cost no query. Sits after django-otp's middleware (request.user.is_verified)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponseBase | None:
        step = request.session.get(PENDING_SECOND_FACTOR)
        if not step or not request.user.is_authenticated:
            return None
        if request.user.is_verified():  # type: ignore[attr-defined]  # django-otp's user
            # A passkey sign-in is both steps at once; a step settled elsewhere is done.
            del request.session[PENDING_SECOND_FACTOR]
            return None
        match = request.resolver_match
        assert match is not None  # the URL is resolved before process_view
        if match.view_name in ALLOWED_WHILE_PENDING.get(step, _ALWAYS):
            return None
        if request.path.startswith("/api/"):
            return None
        target = reverse(STEP_PAGE.get(step, "security:verify"))
        if request.method == "GET":
            target = f"{target}?{urlencode({'next': request.get_full_path()})}"
        return redirect(target)
