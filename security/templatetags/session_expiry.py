"""`{% session_expiry %}`: the expiry warning of every signed-in page, and the draft the
page gives back after the person signed in again (security/drafts.py)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.template import Context

from accounts.models import User
from security import drafts
from security.two_factor import PENDING_SECOND_FACTOR

register = template.Library()


@register.inclusion_tag("security/partials/session_expiry.html", takes_context=True)
def session_expiry(context: Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    # Only a session that finished signing in: one still owing its second factor has
    # nothing to keep alive and no draft to get back.
    if request is None or not isinstance(user, User) or PENDING_SECOND_FACTOR in request.session:
        return {"show": False}
    path = request.get_full_path()
    draft = None
    if request.method == "GET":  # a form sent back with its errors keeps what was sent
        draft = drafts.draft_for_page(session=request.session, user=user, path=path)
    return {
        "show": True,
        "csrf_token": context.get("csrf_token"),
        "path": path,
        "seconds": settings.SESSION_COOKIE_AGE,
        "minutes": settings.SESSION_COOKIE_AGE // 60,
        "warning_seconds": drafts.EXPIRY_WARNING_SECONDS,
        "deny_pattern": drafts.DENY_PATTERN,
        "draft": draft,
    }
