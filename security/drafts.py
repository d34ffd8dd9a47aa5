"""Form drafts kept across an expired session (issue 16, item 5).

Shortly before the session expires, the expiry warning (assets/js/session-expiry.js) sends
what the person typed in the page's forms; after they sign in again, reopening that page
gives it back once. Invariants: a draft belongs to one person and one same-site path (one
per person and path); it never holds a password, card data, an IBAN or a code (filtered by
field name here and in the browser, by value here); it is given once, then deleted, and
never after a day."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeGuard

from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import User
from security.models import FormDraft

# Field names never kept, case-insensitive: long words anywhere in the name, short ones only
# at its start or after a separator ("cc_number", "new_pin"; not "account", "company",
# "shipping"). The browser gets this same pattern (session_expiry tag) and skips them too.
DENY_PATTERN = (
    r"password|passwd|secret|token|iban|cvv|cvc|expir|scadenza"
    r"|(?:^|[^a-z])(?:card|cc|pan|code|otp|pin|puk)"
)
_DENIED_NAME = re.compile(DENY_PATTERN, re.IGNORECASE)
# Values that look like a payment card number (Luhn-valid, 13 to 19 digits, first digit 2-6:
# not an ICCID, which starts with 89) or an IBAN, whatever the field's name.
_CARD_LIKE = re.compile(r"(?<!\d)[2-6](?:[ -]?\d){12,18}(?!\d)")
_IBAN_LIKE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b", re.IGNORECASE)

MAX_FIELDS = 50
MAX_NAME_CHARS = 100
MAX_VALUE_CHARS = 5000
MAX_PATH_CHARS = 300  # FormDraft.path
MAX_AGE = timedelta(days=1)
# How long before the session expires the warning opens (the session's length itself is
# settings.SESSION_COOKIE_AGE); tests shorten both.
EXPIRY_WARNING_SECONDS = 120

# The paths that had a fresh draft when the person signed in: only those pages look for a
# draft, once each, so every other page costs no query and no session write.
_TO_RESTORE = "security.drafts_to_restore"

View = Callable[..., Any]


def no_session_renewal(view: View) -> View:
    """Marks a view whose requests are no activity of the person: the session is not saved
    after them, so its idle expiry stays where it was (area_clienti.middleware.
    SessionRenewalMiddleware reads the mark). Whatever such a view writes to the session is
    lost."""
    view.renews_session = False  # type: ignore[attr-defined]
    return view


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _sensitive_value(value: str) -> bool:
    if _IBAN_LIKE.search(value):
        return True
    return any(
        _luhn_valid(re.sub(r"\D", "", match.group())) for match in _CARD_LIKE.finditer(value)
    )


def _kept_value(value: Any) -> str | list[str] | None:
    """A text value, or the list of a multiple choice's values; None when it may not be kept."""
    if isinstance(value, str):
        # NUL: PostgreSQL keeps no such character in text, and no form sends one.
        if len(value) > MAX_VALUE_CHARS or "\x00" in value or _sensitive_value(value):
            return None
        return value
    if (
        isinstance(value, list)
        and len(value) <= MAX_FIELDS
        and all(
            isinstance(item, str)
            and len(item) <= MAX_NAME_CHARS
            and "\x00" not in item
            and not _sensitive_value(item)
            for item in value
        )
    ):
        return value
    return None


def draft_fields_filtered(fields: Any) -> dict[str, str | list[str]]:
    """The fields of a draft that may be kept: at most MAX_FIELDS, none whose name is denied,
    no value too long or looking like card data or an IBAN."""
    if not isinstance(fields, dict):
        return {}
    kept: dict[str, str | list[str]] = {}
    for name, value in fields.items():
        if len(kept) >= MAX_FIELDS:
            break
        if not isinstance(name, str) or not name or len(name) > MAX_NAME_CHARS or "\x00" in name:
            continue
        if _DENIED_NAME.search(name):
            continue
        kept_value = _kept_value(value)
        if kept_value is not None:
            kept[name] = kept_value
    return kept


def draft_path_valid(path: object) -> TypeGuard[str]:
    """A path and query of this site's own pages: never another site, never a fragment."""
    if not isinstance(path, str) or not path.startswith("/") or len(path) > MAX_PATH_CHARS:
        return False
    if "#" in path or "\\" in path or not url_has_allowed_host_and_scheme(path, allowed_hosts=None):
        return False
    if path.startswith(("//", "/api/")):
        return False
    try:
        resolve(path.split("?", 1)[0])
    except Resolver404:
        return False
    return True


def _fresh_since() -> Any:
    return timezone.now() - MAX_AGE


@transaction.atomic
def draft_save(*, user: User, path: str, fields: Any) -> FormDraft | None:
    """Keeps what `user` typed on `path` (replacing an earlier draft of that page); nothing
    left after filtering: no draft. Drafts older than a day, anyone's, are deleted here."""
    FormDraft.objects.filter(saved_at__lt=_fresh_since()).delete()
    kept = draft_fields_filtered(fields)
    if not draft_path_valid(path) or not kept:
        FormDraft.objects.filter(user=user, path=path).delete()
        return None
    # One statement (an upsert), not a locked read and a write: a save sent as the page
    # closes holds no lock while it waits for another.
    [draft] = FormDraft.objects.bulk_create(
        [FormDraft(user=user, path=path, data={"fields": kept})],
        update_conflicts=True,
        unique_fields=["user", "path"],
        update_fields=["data", "saved_at"],
    )
    return draft


def draft_discard(*, user: User, path: str) -> None:
    """The person stayed signed in: the draft of that page is not needed."""
    FormDraft.objects.filter(user=user, path=path).delete()


def draft_take(*, user: User, path: str) -> dict[str, str | list[str]] | None:
    """The fields of `user`'s fresh draft of `path`, deleted as they are given."""
    draft = FormDraft.objects.filter(user=user, path=path).first()
    if draft is None:
        return None
    draft.delete()
    if draft.saved_at < _fresh_since():
        return None
    return draft_fields_filtered(draft.data.get("fields"))


def draft_paths_fresh(*, user: User) -> list[str]:
    return list(
        FormDraft.objects.filter(user=user, saved_at__gte=_fresh_since()).values_list(
            "path", flat=True
        )
    )


def drafts_purge() -> int:
    """Deletes every draft older than a day; returns how many."""
    deleted, _by_model = FormDraft.objects.filter(saved_at__lt=_fresh_since()).delete()
    return deleted


def drafts_remember_at_sign_in(*, session: SessionBase, user: User) -> None:
    """Which of the person's pages have a draft to give back (one query, at sign-in)."""
    paths = draft_paths_fresh(user=user)
    if paths:
        session[_TO_RESTORE] = paths


def draft_for_page(*, session: SessionBase, user: User, path: str) -> dict[str, Any] | None:
    """The draft to give back on this page view, if any: a page among those that had one at
    sign-in (drafts_remember_at_sign_in) takes its draft, once."""
    to_restore: list[str] = session.get(_TO_RESTORE) or []
    if path not in to_restore:
        return None
    session[_TO_RESTORE] = [other for other in to_restore if other != path]
    fields = draft_take(user=user, path=path)
    return {"fields": fields} if fields else None
