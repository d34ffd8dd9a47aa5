"""Links sent by e-mail. E-mail changes are signed and carry the counter of the user or
company they change (single-use: the counter moves on every request, confirmation and staff
change of the address, so only the latest link works and only once); invitations keep a
hash of a random token; the LR's registration uses a token that dies with activation."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing

EMAIL_CHANGE_SALT = "accounts.email-change"
EMAIL_CHANGE_MAX_AGE = 60 * 60 * 24


def email_change_token(
    *, target: str, object_id: int, old: str, new: str, nonce: int, requester_id: int
) -> str:
    """`nonce` is the object's e-mail-change counter once this request has moved it;
    `requester_id` is who asked, checked again at confirmation."""
    payload = {
        "target": target,
        "id": object_id,
        "old": old,
        "new": new,
        "nonce": nonce,
        "by": requester_id,
    }
    return signing.dumps(payload, salt=EMAIL_CHANGE_SALT, compress=True)


def email_change_payload(token: str) -> dict[str, Any]:
    """Raises signing.BadSignature (SignatureExpired included) for a bad or old link."""
    payload: dict[str, Any] = signing.loads(
        token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_MAX_AGE
    )
    return payload


def new_secret_token() -> tuple[str, str]:
    """A token for a link, and the hash stored in its place."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RegistrationTokenGenerator(PasswordResetTokenGenerator):
    """Valid until the account is activated (is_active is part of the hash)."""

    key_salt = "accounts.tokens.RegistrationTokenGenerator"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        return f"{user.pk}{user.is_active}{user.email}{timestamp}"


registration_token = RegistrationTokenGenerator()


def registration_link_expires_at(user: Any) -> datetime:
    """When the verification link of an unverified LR account dies: the token is made when
    the account is created, and the generator honours PASSWORD_RESET_TIMEOUT."""
    expires_at: datetime = user.date_joined + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    return expires_at
