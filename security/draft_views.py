"""The expiry warning's requests (assets/js/session-expiry.js): stay signed in, keep a
draft of the page's forms, drop it. JSON in, JSON out; the CSRF token in a header."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from accounts.access import signed_in, user_of
from security import drafts

# A draft is at most 50 fields of 5,000 characters: a bigger body is no draft of ours.
_MAX_BODY_BYTES = 512 * 1024


def _payload(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > _MAX_BODY_BYTES:
        return {}
    try:
        payload = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return payload if isinstance(payload, dict) else {}


@signed_in
@require_POST
def session_keepalive(request: HttpRequest) -> HttpResponse:
    """ "Resta collegato": the session starts its idle time again, and the draft the warning
    kept of the page is not needed."""
    request.session.modified = True  # saved, so its expiry moves forward
    path = _payload(request).get("path")
    if isinstance(path, str) and path:
        drafts.draft_discard(user=user_of(request), path=path)
    return JsonResponse({"seconds": settings.SESSION_COOKIE_AGE})


@drafts.no_session_renewal
@signed_in
@require_POST
def draft_save(request: HttpRequest) -> HttpResponse:
    """Keeps what the person typed on a page while the session is about to expire. Not
    activity: the session is neither renewed nor written, so idling still ends it."""
    payload = _payload(request)
    path = payload.get("path")
    if not drafts.draft_path_valid(path):
        return JsonResponse({"saved": False}, status=400)
    draft = drafts.draft_save(user=user_of(request), path=path, fields=payload.get("fields"))
    return JsonResponse({"saved": draft is not None})


@drafts.no_session_renewal
@signed_in
@require_POST
def draft_discard(request: HttpRequest) -> HttpResponse:
    """The page's draft is not needed (the person signs out from the warning, or stayed
    signed in from another tab)."""
    path = _payload(request).get("path")
    if isinstance(path, str) and path:
        drafts.draft_discard(user=user_of(request), path=path)
    return JsonResponse({"discarded": True})
