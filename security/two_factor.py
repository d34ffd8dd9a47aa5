"""Second factors: what a person has, what their company or role requires, and the steps
that change them. The factors are django-otp's authenticator-app device (TOTP) and recovery
codes (static tokens), and django-otp-webauthn's passkeys.

Invariants: recovery codes exist only beside a real method (an app or a passkey); a person
whom the policy requires to have a second factor cannot remove their last one; every
change is audited and e-mailed to the person."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field
from enum import StrEnum

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.audit import audit_record
from accounts.models import AuditEntry, Company, TwoFactorPolicy, User
from core.exceptions import ActionRefused
from core.mail import send_templated_email
from core.proxies import client_address
from security.sessions import PENDING_SECOND_FACTOR as PENDING_SECOND_FACTOR  # the step's key
from security.sessions import sessions_end, sign_in_second_step_record

TOTP_BEING_SET_UP = "totp_being_set_up"
# How a sign-in was completed, for the sign-in log (security.sessions.METHODS).
METHOD_APP = "password+app"
METHOD_RECOVERY = "password+recovery"
METHOD_PASSKEY_STEP = "password+passkey"
RECOVERY_CODE_COUNT = 10
# Lower case letters and digits a person cannot confuse when copying them from paper.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class PendingStep(StrEnum):
    VERIFY = "verify"  # the person has a second factor: give it
    ENROL = "enrol"  # the company or the staff rule requires one: set it up


@dataclass
class Methods:
    """A person's second factors, as their security page shows them."""

    totp: TOTPDevice | None = None
    passkeys: list[WebAuthnCredential] = field(default_factory=list)
    recovery_codes_left: int | None = None  # None: no recovery codes at all

    @property
    def active(self) -> bool:
        return self.totp is not None or bool(self.passkeys)


def methods_of(user: User) -> Methods:
    static = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return Methods(
        totp=TOTPDevice.objects.filter(user=user, confirmed=True).first(),
        passkeys=list(
            WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at")
        ),
        recovery_codes_left=static.token_set.count() if static else None,
    )


def has_second_factor(user: User) -> bool:
    return bool(
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    )


def users_with_second_factor(*, user_ids: list[int]) -> set[int]:
    """Which of `user_ids` have a second factor (two queries, for the employees page)."""
    with_totp = TOTPDevice.objects.filter(user_id__in=user_ids, confirmed=True)
    with_passkey = WebAuthnCredential.objects.filter(user_id__in=user_ids, confirmed=True)
    return set(with_totp.values_list("user_id", flat=True)) | set(
        with_passkey.values_list("user_id", flat=True)
    )


def second_factor_required(user: User) -> bool:
    """Staff need one whenever DEBUG is off; customers when their company says so."""
    if user.is_staff:
        return bool(settings.STAFF_REQUIRE_SECOND_FACTOR)
    company = user.company
    return company is not None and company.requires_second_factor(user.profile)


def pending_step_at_sign_in(user: User) -> PendingStep | None:
    if has_second_factor(user):
        return PendingStep.VERIFY
    if second_factor_required(user):
        return PendingStep.ENROL
    return None


def sign_in_completed(request: HttpRequest, user: User, *, method: str = "") -> None:
    """The whole sign-in succeeded (password and, when owed, the second factor `method`):
    a new session key for the signed-in session, the sign-in in the company's log, and the
    failures counted toward the lockout start again from zero."""
    if request.session.pop(PENDING_SECOND_FACTOR, None):
        request.session.cycle_key()
        if method:
            sign_in_second_step_record(request=request, user=user, method=method)
    AxesProxyHandler.reset_attempts(
        ip_address=client_address(request), username=user.get_username()
    )


def code_rejected(request: HttpRequest, user: User) -> None:
    """A wrong code counts like a wrong password (django-axes, the sign-in log). django-axes
    marks the request when this failure locks the person out."""
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username(), "second_factor": True},
        request=request,
    )


def is_locked_out(request: HttpRequest, user: User) -> bool:
    return bool(AxesProxyHandler.is_locked(request, {"username": user.get_username()}))


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


@transaction.atomic
def verify_code(user: User, code: str) -> TOTPDevice | StaticDevice | None:
    """The device that accepts `code`: a six-digit code of the authenticator app (each one
    once: django-otp remembers the last time step used) or a recovery code (deleted as it
    is used). None when neither does. The device's row is locked meanwhile: the same code
    sent twice at once is accepted once."""
    code = _normalise(code)
    if not code:
        return None
    if len(code) == 6 and code.isdigit():  # recovery codes have eight characters
        for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
            if device.verify_token(code):
                return device
        return None
    static = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    if static is not None and static.verify_token(code):
        return static
    return None


def retry_after_seconds(user: User, *, confirmed: bool = True) -> int:
    """How long the person must wait before a code is tried again: django-otp doubles the
    pause after each wrong code of a device (1, 2, 4... seconds), against guessing from many
    addresses at once. 0 when they may try now."""
    devices: list[TOTPDevice | StaticDevice] = [
        *TOTPDevice.objects.filter(user=user, confirmed=confirmed),
        *StaticDevice.objects.filter(user=user, confirmed=True),
    ]
    waits = [0]
    for device in devices:
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            waits.append(math.ceil((data["locked_until"] - timezone.now()).total_seconds()))
    return max(waits)


def formatted_recovery_code(token: str) -> str:
    return f"{token[:4]}-{token[4:]}"


@transaction.atomic
def recovery_codes_first(*, user: User) -> list[str] | None:
    """The person's first codes, beside their first method; None when they have codes (two
    pages opened at once generate one set, not two)."""
    User.objects.select_for_update().get(pk=user.pk)
    if StaticDevice.objects.filter(user=user).exists() or not has_second_factor(user):
        return None
    return recovery_codes_generate(user=user)


@transaction.atomic
def recovery_codes_generate(*, user: User) -> list[str]:
    """Ten new single-use codes; the old ones stop working."""
    User.objects.select_for_update().get(pk=user.pk)  # one set at a time
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=_("Codici di recupero"), confirmed=True)
    tokens = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(8))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=t) for t in tokens)
    return [formatted_recovery_code(t) for t in tokens]


def totp_device_pending(*, request: HttpRequest, user: User) -> TOTPDevice:
    """The authenticator app being set up in this session: the same secret until it is
    confirmed, so a QR code scanned a minute ago still matches after a reload. A secret
    shown in another session (perhaps someone else's, with the password) is thrown away:
    nobody else ever holds the secret this person confirms."""
    device = TOTPDevice.objects.filter(
        pk=request.session.get(TOTP_BEING_SET_UP) or 0, user=user, confirmed=False
    ).first()
    if device is None:
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(
            user=user, name=_("App di autenticazione"), confirmed=False
        )
        request.session[TOTP_BEING_SET_UP] = device.pk
    return device


@transaction.atomic
def totp_confirm(*, request: HttpRequest, user: User, device: TOTPDevice, code: str) -> bool:
    """Confirm the app with its first code; the session then counts as verified."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    if not device.verify_token(_normalise(code)):
        return False
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()  # one app a person
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    request.session.pop(TOTP_BEING_SET_UP, None)
    otp_login(request, device)
    method_added(request=request, user=user, method_label=_("App di autenticazione"))
    return True


def method_added(*, request: HttpRequest, user: User, method_label: str) -> None:
    """Record a method just added. The first one ends the person's other sessions: one
    opened with the password alone (by whoever knew it) would otherwise never be asked for
    the second factor."""
    methods = methods_of(user)
    if (methods.totp is not None) + len(methods.passkeys) == 1:
        sessions_end(user=user, keep_session_key=request.session.session_key)
    audit_record(
        actor=user,
        action=AuditEntry.Action.SECOND_FACTOR_ADDED,
        company=user.company,
        target=user,
        changes={"method": str(method_label)},
    )
    method_changed_notice(request=request, user=user, added=True, method_label=method_label)


def method_changed_notice(
    *, request: HttpRequest, user: User, added: bool, method_label: str
) -> None:
    """E-mail the person: whoever took over the session cannot add or remove a way in
    without its owner knowing."""
    if not user.email:
        return
    send_templated_email(
        "security/email/method_changed",
        {
            "name": user.get_full_name() or user.username,
            "added": added,
            "method": method_label,
            "overview_url": request.build_absolute_uri("/profilo/sicurezza/"),
        },
        [user.email],
    )


def _refuse_removing_last(user: User, *, remaining: bool) -> None:
    if not remaining and second_factor_required(user):
        raise ActionRefused(
            _(
                "Non puoi rimuovere l'ultimo metodo di verifica: per la tua utenza la "
                "verifica in due passaggi è obbligatoria. Aggiungine prima un altro."
            )
        )


def _drop_recovery_codes_if_alone(user: User) -> None:
    if not has_second_factor(user):
        StaticDevice.objects.filter(user=user).delete()


@transaction.atomic
def method_remove(
    *, request: HttpRequest, user: User, device: TOTPDevice | WebAuthnCredential, label: str
) -> None:
    """Remove one of the person's methods (their app or one passkey)."""
    User.objects.select_for_update().get(pk=user.pk)  # one removal at a time per person
    others = (
        TOTPDevice.objects.filter(user=user, confirmed=True)
        .exclude(pk=device.pk if isinstance(device, TOTPDevice) else None)
        .exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True)
        .exclude(pk=device.pk if isinstance(device, WebAuthnCredential) else None)
        .exists()
    )
    _refuse_removing_last(user, remaining=others)
    verified_by_it = request.session.get(DEVICE_ID_SESSION_KEY) == device.persistent_id
    device.delete()
    _drop_recovery_codes_if_alone(user)
    if verified_by_it:
        # The session passed the second factor with the device now gone: it stays verified
        # (by a method the person still has), or it could add no other passkey.
        remaining = (
            TOTPDevice.objects.filter(user=user, confirmed=True).first()
            or WebAuthnCredential.objects.filter(user=user, confirmed=True).first()
        )
        if remaining is not None:
            otp_login(request, remaining)
    audit_record(
        actor=user,
        action=AuditEntry.Action.SECOND_FACTOR_REMOVED,
        company=user.company,
        target=user,
        changes={"method": str(label)},
    )
    method_changed_notice(request=request, user=user, added=False, method_label=label)


@transaction.atomic
def recovery_codes_regenerate(*, request: HttpRequest, user: User) -> list[str]:
    if not has_second_factor(user):
        raise ActionRefused(_("I codici di recupero servono solo con un altro metodo attivo."))
    codes = recovery_codes_generate(user=user)
    audit_record(
        actor=user,
        action=AuditEntry.Action.RECOVERY_CODES_REGENERATED,
        company=user.company,
        target=user,
    )
    method_changed_notice(
        request=request, user=user, added=True, method_label=_("Nuovi codici di recupero")
    )
    return codes


@transaction.atomic
def policy_set(*, request: HttpRequest, actor: User, policy: str) -> list[User]:
    """The LR decides who of the company must sign in with a second factor. The LR has to
    have one first (they would otherwise lock themselves out of the next sign-in). The
    people now required to have one who have none are signed out everywhere: they set it up
    right after their next password. Returns them."""
    assert actor.company_id is not None
    company = Company.objects.select_for_update().get(pk=actor.company_id)
    previous = company.two_factor_policy
    if policy == previous:
        return []
    company.two_factor_policy = TwoFactorPolicy(policy)
    if company.requires_second_factor(actor.profile) and not has_second_factor(actor):
        raise ActionRefused(
            _("Prima attiva la verifica in due passaggi per te: poi potrai renderla obbligatoria.")
        )
    company.save(update_fields=["two_factor_policy"])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.TWO_FACTOR_POLICY_CHANGED,
        company=company,
        changes={
            "policy": {
                "label": str(Company._meta.get_field("two_factor_policy").verbose_name),
                "from": str(TwoFactorPolicy(previous).label),
                "to": str(TwoFactorPolicy(policy).label),
            }
        },
    )
    people = [
        person
        for person in User.objects.filter(company=company, is_active=True)
        if company.requires_second_factor(person.profile)
    ]
    protected = users_with_second_factor(user_ids=[person.pk for person in people])
    to_enrol = [person for person in people if person.pk not in protected]
    for person in to_enrol:
        sessions_end(user=person)
    return to_enrol


@transaction.atomic
def second_factor_reset(*, request: HttpRequest, actor: User, employee: User) -> None:
    """The LR clears an employee's second factors (a lost phone): the employee signs in with
    the password again and, if the policy requires it, sets a new one up. Their sessions
    end; both are e-mailed."""
    TOTPDevice.objects.filter(user=employee).delete()
    WebAuthnCredential.objects.filter(user=employee).delete()
    StaticDevice.objects.filter(user=employee).delete()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.SECOND_FACTOR_RESET,
        company=employee.company,
        target=employee,
    )
    sessions_end(user=employee)
    context = {
        "employee": employee.get_full_name() or employee.username,
        "actor": actor.get_full_name() or actor.username,
        "required": second_factor_required(employee),
    }
    recipients = [person.email for person in (employee, actor) if person.email]
    for email in dict.fromkeys(recipients):
        send_templated_email("security/email/second_factor_reset", context, [email])
