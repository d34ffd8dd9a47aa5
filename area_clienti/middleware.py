import time
from collections.abc import Callable

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import translation


class LanguageMiddleware:
    """Italian unless the person chose English with the language switch (its cookie).

    Unlike Django's LocaleMiddleware the browser's Accept-Language is not consulted: the
    customer area is Italian by default, whatever the browser says.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.languages else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


# Browser features the customer area never uses; a script injected despite the CSP gets none.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class NoStoreMiddleware:
    """Nothing the app answers is kept by a browser or a proxy cache: invoices, PDFs,
    attachments and PUKs stay off shared and back-button caches. Only the static files
    (served by whitenoise, above this middleware) are cacheable. A response that chose its
    own policy keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Cache-Control", "no-store")
        return response


SESSION_RENEWED_AT = "renewed_at"
SESSION_RENEWAL_SECONDS = 60


def _renews_session(request: HttpRequest) -> bool:
    """Whether the request is the person's activity: a view marked `renews_session = False`
    (security.drafts.no_session_renewal: the expiry warning saving a draft) is not."""
    match = getattr(request, "resolver_match", None)
    return getattr(getattr(match, "func", None), "renews_session", True) is not False


class SessionRenewalMiddleware:
    """Slides a signed-in session's expiry forward, at most once a minute: the 30 minutes
    of inactivity count from the last page give or take that minute, and a page costs no
    session write (Django's SESSION_SAVE_EVERY_REQUEST writes on every request).

    Sits after SessionMiddleware, so the renewal is marked before the session is saved. A
    request that is no activity of the person (a view marked `renews_session = False`) has
    nothing saved, whatever the middleware under this one wrote (the last-seen mark of
    security.sessions): saving the session would move its expiry."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = request.session
        if not _renews_session(request):
            session.modified = False
            return response
        # Only a session the request has read anyway: anonymous pages stay session-free.
        if session.accessed and not session.is_empty():
            now = int(time.time())
            if now - session.get(SESSION_RENEWED_AT, 0) >= SESSION_RENEWAL_SECONDS:
                session[SESSION_RENEWED_AT] = now
        return response


# What a view sets on its response (django-csp's decorators) to change or drop its policy.
_OWN_POLICY = tuple(
    f"_csp_{part}{suffix}"
    for part in ("config", "update", "replace", "exempt")
    for suffix in ("", "_ro")
)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the settings' policy built once instead of on every
    response (a tenth of what a signed-in request paid before its page's own work). No view
    here changes its policy and none asks for a nonce (no inline script or style at all); one
    that did would get django-csp's own handling, as would every response under DEBUG or
    with a URL prefix excluded in the settings."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        super().__init__(get_response)
        self.policy = build_policy()
        self.policy_report_only = build_policy(report_only=True)
        self.prefixes_excluded = any(
            (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES")
            for name in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
        )

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            settings.DEBUG
            or self.prefixes_excluded
            or getattr(request, "_csp_nonce", None) is not None
            or any(getattr(response, part, None) is not None for part in _OWN_POLICY)
        ):
            return super().process_response(request, response)
        if self.policy:
            response.headers.setdefault(HEADER, self.policy)
        if self.policy_report_only:
            response.headers.setdefault(HEADER_REPORT_ONLY, self.policy_report_only)
        # As django-csp: a nonce asked for after the header is written is an error, not a
        # nonce missing from the policy.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
