"""The second step of signing in and the person's own second factors; the LR's policy and
reset of an employee's (D7, D8)."""

from __future__ import annotations

from base64 import b32encode
from functools import wraps
from typing import Any
from urllib.parse import urlencode

import segno
from axes.helpers import get_lockout_response
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import selectors as accounts_selectors
from accounts.access import View, recent_password, requires, signed_in, user_of
from accounts.models import User
from accounts.roles import Capability as C
from core.exceptions import ActionRefused
from core.redirects import safe_next_url
from security import two_factor
from security.forms import CodeForm, PolicyForm, TotpConfirmForm
from security.two_factor import PENDING_SECOND_FACTOR, PendingStep

# Recovery codes just generated, kept in the session until the person says they saved them:
# shown on one page, downloadable as a text file, never shown again after that.
RECOVERY_CODES_SHOWN = "recovery_codes_shown"


def _wrong_code_message(user: User, *, confirmed: bool = True) -> str:
    wait = two_factor.retry_after_seconds(user, confirmed=confirmed)
    if wait > 0:
        return ngettext(
            "Il codice non è valido, o è arrivato troppo presto dopo un codice errato. "
            "Attendi %(seconds)s secondo e riprova con il codice che l'app mostra allora.",
            "Il codice non è valido, o è arrivato troppo presto dopo un codice errato. "
            "Attendi %(seconds)s secondi e riprova con il codice che l'app mostra allora.",
            wait,
        ) % {"seconds": wait}
    return _(
        "Il codice non è valido o è già stato usato. Controlla che l'ora del telefono sia "
        "esatta, attendi il codice successivo e riprova."
    )


def verified_if_enrolled(view: View) -> View:
    """Changes to a person's second factors need a session that gave one, if they have one
    (a session opened before their first method ended with it; this is the second lock)."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = user_of(request)
        verified = request.user.is_verified()  # type: ignore[union-attr]  # django-otp's user
        if not verified and two_factor.has_second_factor(user):
            request.session[PENDING_SECOND_FACTOR] = PendingStep.VERIFY
            target = reverse("security:verify")
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return guarded


def _layout(request: HttpRequest) -> str:
    """While the second factor is owed the shell's menu would lead nowhere: a bare page."""
    return "base.html" if request.session.get(PENDING_SECOND_FACTOR) else "area.html"


def _lockout(request: HttpRequest, username: str) -> HttpResponse:
    """Too many wrong codes: signed out, the lockout page, as for wrong passwords."""
    logout(request)
    response: HttpResponse = get_lockout_response(request, None, {"username": username})
    return response


@signed_in
def verify(request: HttpRequest) -> HttpResponseBase:
    """After the password: a code of the app, a recovery code or a passkey."""
    user = user_of(request)
    next_url = safe_next_url(request, "dashboard")
    if request.session.get(PENDING_SECOND_FACTOR) != PendingStep.VERIFY:
        return redirect(next_url)
    if two_factor.is_locked_out(request, user):
        return _lockout(request, user.get_username())
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.retry_after_seconds(user) > 0:
            # Within the pause after a wrong code nothing is tried, and nothing counted.
            form.add_error("code", _wrong_code_message(user))
            return render(
                request,
                "security/verify.html",
                {"form": form, "next": next_url, "methods": two_factor.methods_of(user)},
            )
        device = two_factor.verify_code(user, form.cleaned_data["code"])
        if device is None:
            two_factor.code_rejected(request, user)
            if getattr(request, "axes_locked_out", False):
                return _lockout(request, user.get_username())
            form.add_error("code", _wrong_code_message(user))
        else:
            otp_login(request, device)
            recovery = isinstance(device, StaticDevice)
            method = two_factor.METHOD_RECOVERY if recovery else two_factor.METHOD_APP
            two_factor.sign_in_completed(request, user, method=method)
            if recovery:
                left = device.token_set.count()
                messages.warning(
                    request,
                    ngettext(
                        "Hai usato un codice di recupero: ne resta %(left)s. Se hai perso il "
                        "telefono, genera nuovi codici e riattiva l'app dalla pagina Sicurezza.",
                        "Hai usato un codice di recupero: ne restano %(left)s. Se hai perso il "
                        "telefono, genera nuovi codici e riattiva l'app dalla pagina Sicurezza.",
                        left,
                    )
                    % {"left": left},
                )
            return redirect(next_url)
    methods = two_factor.methods_of(user)
    return render(
        request,
        "security/verify.html",
        {"form": form, "next": next_url, "methods": methods},
    )


@signed_in
def overview(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    return render(
        request,
        "security/overview.html",
        {
            "methods": two_factor.methods_of(user),
            "required": two_factor.second_factor_required(user),
        },
    )


@signed_in
def enrol(request: HttpRequest) -> HttpResponseBase:
    """Choose a first method: the app or a passkey. Where the policy requires one, a
    person without it lands here right after the password and reaches nothing else."""
    user = user_of(request)
    if two_factor.has_second_factor(user):
        return redirect("security:overview")
    return render(
        request,
        "security/enrol.html",
        {
            "required": two_factor.second_factor_required(user),
            "pending": request.session.get(PENDING_SECOND_FACTOR) == PendingStep.ENROL,
            "layout": _layout(request),
        },
    )


def _qr_svg(url: str) -> str:
    """The QR code as inline SVG: paths and attributes only, nothing the CSP forbids."""
    svg = segno.make(url, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff")
    return mark_safe(svg)  # noqa: S308 - generated by segno from our own data


@signed_in
@verified_if_enrolled
def totp_setup(request: HttpRequest) -> HttpResponseBase:
    user = user_of(request)
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        messages.info(request, _("L'app di autenticazione è già attiva."))
        return redirect("security:overview")
    device = two_factor.totp_device_pending(request=request, user=user)
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.totp_confirm(
            request=request, user=user, device=device, code=form.cleaned_data["code"]
        ):
            two_factor.sign_in_completed(request, user, method=two_factor.METHOD_APP)
            messages.success(request, _("L'app di autenticazione è attiva."))
            if not StaticDevice.objects.filter(user=user).exists():
                request.session[RECOVERY_CODES_SHOWN] = two_factor.recovery_codes_generate(
                    user=user
                )
                return redirect("security:recovery-codes")
            return redirect("security:overview")
        form.add_error("code", _wrong_code_message(user, confirmed=False))
    secret = b32encode(device.bin_key).decode()
    return render(
        request,
        "security/totp_setup.html",
        {
            "form": form,
            "qr_svg": _qr_svg(device.config_url),
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
            "layout": _layout(request),
        },
    )


@signed_in
@verified_if_enrolled
@recent_password
def totp_remove(request: HttpRequest) -> HttpResponseBase:
    user = user_of(request)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        raise Http404
    if request.method == "POST":
        try:
            two_factor.method_remove(
                request=request, user=user, device=device, label=_("App di autenticazione")
            )
        except ActionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("L'app di autenticazione è stata rimossa."))
        return redirect("security:overview")
    return render(
        request,
        "security/method_remove.html",
        {"method": _("l'app di autenticazione"), "action": reverse("security:totp-remove")},
    )


@signed_in
@verified_if_enrolled
def recovery_codes(request: HttpRequest) -> HttpResponseBase:
    """The codes just generated, once. A first method added without codes (a passkey at
    enrolment) gets them here."""
    user = user_of(request)
    codes = request.session.get(RECOVERY_CODES_SHOWN)
    if not codes:
        codes = two_factor.recovery_codes_first(user=user)
        request.session[RECOVERY_CODES_SHOWN] = codes
    if not codes:
        return redirect("security:overview")
    if request.method == "POST":
        del request.session[RECOVERY_CODES_SHOWN]
        return redirect(safe_next_url(request, "security:overview"))
    return render(
        request, "security/recovery_codes.html", {"codes": codes, "layout": _layout(request)}
    )


@signed_in
@verified_if_enrolled
def recovery_codes_download(request: HttpRequest) -> HttpResponse:
    codes = request.session.get(RECOVERY_CODES_SHOWN)
    if not codes:  # already saved, or never generated: the page that says which
        return redirect("security:overview")
    user = user_of(request)
    lines = [
        _("Area Clienti Business: codici di recupero di %(username)s")
        % {"username": user.get_username()},
        _("Ogni codice vale una sola volta. Conservali in un luogo sicuro."),
        "",
        *codes,
        "",
    ]
    response = HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="codici-di-recupero.txt"'
    return response


@signed_in
@verified_if_enrolled
@recent_password
def recovery_codes_regenerate(request: HttpRequest) -> HttpResponseBase:
    user = user_of(request)
    if request.method == "POST":
        try:
            codes = two_factor.recovery_codes_regenerate(request=request, user=user)
        except ActionRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("security:overview")
        request.session[RECOVERY_CODES_SHOWN] = codes
        return redirect("security:recovery-codes")
    return render(request, "security/recovery_codes_regenerate.html")


# --- The LR's: the company's policy (D7) and an employee's reset (D8) ---------------------


@requires(C.REQUIRE_TWO_FACTOR)
@recent_password
def company_policy(request: HttpRequest) -> HttpResponseBase:
    user = user_of(request)
    company = user.company
    assert company is not None
    form = PolicyForm(request.POST or None, initial={"policy": company.two_factor_policy})
    if request.method == "POST" and form.is_valid():
        try:
            signed_out = two_factor.policy_set(
                request=request, actor=user, policy=form.cleaned_data["policy"]
            )
        except ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Impostazione salvata."))
            if signed_out:
                messages.info(
                    request,
                    ngettext(
                        "%(count)s persona senza verifica in due passaggi è stata disconnessa: "
                        "la attiverà al prossimo accesso.",
                        "%(count)s persone senza verifica in due passaggi sono state "
                        "disconnesse: la attiveranno al prossimo accesso.",
                        len(signed_out),
                    )
                    % {"count": len(signed_out)},
                )
            return redirect("accounts:profile")
    people = list(accounts_selectors.employees_for(company_id=company.pk))
    protected = two_factor.users_with_second_factor(user_ids=[p.pk for p in people])
    return render(
        request,
        "security/policy.html",
        {
            "form": form,
            "has_own": user.pk in protected,
            "people_count": len(people),
            "protected_count": len(protected),
        },
    )


@requires(C.RESET_TWO_FACTOR)
@recent_password
def employee_reset(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = user_of(request)
    employee = accounts_selectors.employee_get_for_user(user=user, pk=pk)
    if employee.pk == user.pk:
        messages.info(request, _("I tuoi metodi di verifica si gestiscono dalla pagina Sicurezza."))
        return redirect("security:overview")
    if request.method == "POST":
        two_factor.second_factor_reset(request=request, actor=user, employee=employee)
        messages.success(
            request,
            _("Verifica in due passaggi azzerata per %(name)s: ne riceve notizia per e-mail.")
            % {"name": employee.get_full_name() or employee.username},
        )
        return redirect("accounts:employees")
    return render(
        request,
        "security/employee_reset.html",
        {"employee": employee, "has_second_factor": two_factor.has_second_factor(employee)},
    )
