"""Passkeys and security keys (WebAuthn), on django-otp-webauthn's ceremonies: several per
person, each named; a second step after the password or the whole sign-in ("Accedi con una
passkey"). The library's own URLs are not mounted: every view here carries our access
declaration, and assets/js/passkeys.js talks to them.

Invariants: passkeys are bound to OTP_WEBAUTHN_RP_ID and used only from
OTP_WEBAUTHN_ALLOWED_ORIGINS; the request's own host stands in for them in the local demo
only (security/checks.py stops a deployment without them)."""

from __future__ import annotations

import re
from logging import getLogger
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponseBase, JsonResponse
from django.http.request import split_domain_port
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.utils import rewrite_exceptions
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)
from webauthn.helpers.structs import RegistrationCredential
from webauthn.registration.verify_registration_response import VerifiedRegistration

from accounts.access import public, recent_password, signed_in, user_of
from accounts.models import User
from core.exceptions import ActionRefused
from security import two_factor
from security.sessions import browser_recognised
from security.views import verified_if_enrolled

NAME_MAX_LENGTH = 64  # django-otp's Device.name
_LOGGER = getLogger("django_otp_webauthn")


def default_name(user_agent: str) -> str:
    """What a new passkey is called unless the person types a name: the browser and system
    it was made on, "Chrome su Linux" (security.sessions reads them, as for the sessions)."""
    browser = browser_recognised(user_agent)
    return str(browser) if browser else _("Passkey")


def _name_from(request: HttpRequest) -> str:
    typed = getattr(request, "data", {}).get("name")
    # Whitespace (and NUL, which PostgreSQL refuses in text) becomes one space.
    name = re.sub(r"[\s\x00]+", " ", typed).strip() if isinstance(typed, str) else ""
    return (name or default_name(request.headers.get("user-agent", "")))[:NAME_MAX_LENGTH]


def _label(credential: WebAuthnCredential) -> str:
    """How the audit log and the e-mails name a passkey."""
    return _("Passkey «%(name)s»") % {"name": credential.name}


class PasskeyHelper(WebAuthnHelper):  # type: ignore[misc]  # untyped library
    """The relying party is the configured domain; in the local demo, the host the browser
    asked for (localhost counts as a secure context)."""

    def get_relying_party_domain(self) -> str:
        configured: str = settings.OTP_WEBAUTHN_RP_ID
        return configured or split_domain_port(self.request.get_host())[0]

    def get_allowed_origins(self) -> list[str]:
        configured: list[str] = settings.OTP_WEBAUTHN_ALLOWED_ORIGINS
        if configured:
            return list(configured)
        if settings.DEMO or settings.DEBUG:
            return [f"{self.request.scheme}://{self.request.get_host()}"]
        return []  # refuses every ceremony: a deployment must say where it lives

    def create_credential(
        self,
        user: Any,
        response: VerifiedRegistration,
        parsed_credential: RegistrationCredential,
        original_data: dict[str, Any],
    ) -> WebAuthnCredential:
        credential: WebAuthnCredential = super().create_credential(
            user, response, parsed_credential, original_data
        )
        credential.name = _name_from(self.request)
        return credential


# --- Registration: signed in ----------------------------------------------------------


class _RegisterComplete(CompleteCredentialRegistrationView):  # type: ignore[misc]  # untyped library
    """Saves the new passkey under the name typed beside the button, audits and e-mails
    it. The first method of a person who had none settles the enrolment step: the session
    counts as verified and the recovery codes come next."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        user = user_of(request)
        # Taken out of the session (and saved) before anything can fail: never used twice.
        state = self.get_state()
        with transaction.atomic():
            with rewrite_exceptions(logger=_LOGGER):
                credential = self.get_helper().register_complete(
                    user=user,
                    state=state,
                    data=request.data,  # type: ignore[attr-defined]
                )
            two_factor.method_added(request=request, user=user, method_label=_label(credential))
        if not request.user.is_verified():  # type: ignore[union-attr]  # django-otp's user
            otp_login(request, credential)
            two_factor.sign_in_completed(request, user, method=two_factor.METHOD_PASSKEY_STEP)
        messages.success(request, _("Passkey «%(name)s» aggiunta.") % {"name": credential.name})
        needs_codes = not StaticDevice.objects.filter(user=user).exists()
        target = "security:recovery-codes" if needs_codes else "security:overview"
        return JsonResponse({"id": credential.pk, "redirect_url": reverse(target)})


register_begin = signed_in(BeginCredentialRegistrationView.as_view())
register_complete = signed_in(_RegisterComplete.as_view())


# --- Authentication: the second step, or the whole sign-in ----------------------------


class _SignInComplete(CompleteCredentialAuthenticationView):  # type: ignore[misc]  # untyped library
    """Signed in with the password: the passkey is the second step. Anonymous: a
    discoverable passkey is the whole sign-in (it proves possession and the person's PIN
    or fingerprint). Either way the sign-in is complete."""

    def complete_auth(self, device: WebAuthnCredential) -> None:
        second_step = self.request.user.is_authenticated
        super().complete_auth(device)
        # A passkey alone was recorded as the sign-in it is; after the password, it is now.
        method = two_factor.METHOD_PASSKEY_STEP if second_step else ""
        two_factor.sign_in_completed(self.request, device.user, method=method)


# Public: "Accedi con una passkey" starts with nobody signed in.
sign_in_begin = public(BeginCredentialAuthenticationView.as_view())
sign_in_complete = public(_SignInComplete.as_view())


# --- Rename and remove ----------------------------------------------------------------


class PasskeyNameForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Nome della passkey"),
        max_length=NAME_MAX_LENGTH,
        help_text=gettext_lazy("Per riconoscerla: il dispositivo o la chiave che la custodisce."),
    )


def _own_passkey(user: User, pk: int) -> WebAuthnCredential:
    """One of the person's own passkeys; anyone else's does not exist for them."""
    credential = WebAuthnCredential.objects.filter(user=user, pk=pk).first()
    if credential is None:
        raise Http404
    return credential


@signed_in
@verified_if_enrolled
@require_http_methods(["GET", "POST"])
def rename(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = user_of(request)
    credential = _own_passkey(user, pk)
    form = PasskeyNameForm(request.POST or None, initial={"name": credential.name})
    if request.method == "POST" and form.is_valid():
        credential.name = " ".join(form.cleaned_data["name"].split())
        credential.save(update_fields=["name"])
        messages.success(request, _("Passkey rinominata «%(name)s».") % {"name": credential.name})
        return redirect("security:overview")
    return render(request, "security/passkey_rename.html", {"form": form, "credential": credential})


@signed_in
@verified_if_enrolled
@recent_password
@require_http_methods(["GET", "POST"])
def remove(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Behind the password asked again; refused when it is the last second factor of a
    person who must have one (two_factor.method_remove)."""
    user = user_of(request)
    credential = _own_passkey(user, pk)
    if request.method == "POST":
        try:
            two_factor.method_remove(
                request=request, user=user, device=credential, label=_label(credential)
            )
        except ActionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Passkey «%(name)s» rimossa.") % {"name": credential.name})
        return redirect("security:overview")
    return render(
        request,
        "security/method_remove.html",
        {
            "method": _("la passkey «%(name)s»") % {"name": credential.name},
            "action": reverse("security:passkey-remove", args=[credential.pk]),
        },
    )
