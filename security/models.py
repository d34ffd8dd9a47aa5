"""How people sign in: their sessions, the browsers they used, the company's sign-in log,
and the form drafts kept across an expired session. The second factors themselves are
django-otp's devices (authenticator app, recovery codes) and django-otp-webauthn's
credentials (passkeys)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Company, User


class UserSession(models.Model):
    """One signed-in browser session of a person, for the list of their active sessions.

    `session_key` is Django's session key (database or cache sessions alike); ending a
    session deletes it from the session store and sets `ended_at`."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_in_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(_("indirizzo"), null=True, blank=True)
    started_at = models.DateTimeField(_("iniziata"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("ultima attività"), auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sessione")
        verbose_name_plural = _("sessioni")
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.started_at:%Y-%m-%d %H:%M}"


class KnownBrowser(models.Model):
    """A browser a person has signed in from (a random identifier in a long-lived cookie,
    stored hashed): a sign-in from one not seen before is told to the person by e-mail."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    browser_hash = models.CharField(max_length=64)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "browser_hash"], name="known_browser_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.first_seen_at:%Y-%m-%d}"


class SignInEvent(models.Model):
    """A sign-in or a failed attempt, for the company's activity log. Names and addresses
    are copied so the record outlives the account."""

    class Outcome(models.TextChoices):
        SIGNED_IN = "SIGNED_IN", _("Accesso riuscito")
        PASSWORD_ACCEPTED = (
            "PASSWORD_ACCEPTED",
            _("Password corretta, secondo fattore non ancora dato"),
        )
        WRONG_PASSWORD = "WRONG_PASSWORD", _("Password errata")
        WRONG_CODE = "WRONG_CODE", _("Codice di verifica errato")
        LOCKED_OUT = "LOCKED_OUT", _("Accesso bloccato per troppi tentativi")

    at = models.DateTimeField(_("data e ora"), auto_now_add=True, db_index=True)
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    username = models.CharField(_("nome utente"), max_length=150)
    outcome = models.CharField(_("esito"), max_length=20, choices=Outcome.choices)
    method = models.CharField(_("metodo"), max_length=40, blank=True)
    ip_address = models.GenericIPAddressField(_("indirizzo"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("accesso")
        verbose_name_plural = _("accessi")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["company", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.outcome}"


class FormDraft(models.Model):
    """What a person had typed in a form when their session expired, kept until they sign
    in again and reopen the form, and never longer than a day. Never holds passwords, card
    data, IBANs or codes (security/drafts.py filters them out before saving)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=300)
    data: models.JSONField[dict[str, Any]] = models.JSONField(default=dict)
    saved_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "path"], name="one_draft_per_form")]

    def __str__(self) -> str:
        return f"{self.user} {self.path}"
