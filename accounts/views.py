"""Visualizza profilo e dati azienda: company data, employees and their web profiles,
invitations, personal data, the audit log; sign-in and registration pages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.access import (
    mark_password_confirmed,
    public,
    recent_password,
    requires,
    signed_in,
    user_of,
)
from accounts.forms import (
    AuditFilterForm,
    ConfirmPasswordForm,
    EmployeeForm,
    InvitationAcceptForm,
    InvitationForm,
    LegalRepRegistrationForm,
    NewEmailForm,
    PersonalDataForm,
)
from accounts.models import User
from accounts.roles import REFERENTE_PROFILES, Capability, Profile
from core.exceptions import ActionRefused
from core.forms import ItalianAddressForm
from core.links import base_url
from core.pagination import paginate
from core.redirects import safe_next_url
from security import two_factor
from security.sessions import sessions_end
from tracking.approval_policy import approval_needed
from tracking.approvals import profile_changes_awaiting
from tracking.models import OPEN_STATES, Channel, RequestKind

C = Capability


class LoginView(auth_views.LoginView):
    def get(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        # The form needs no database, but signing in does: during an outage the person
        # reads the 503 page now, not after typing their password.
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return super().get(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        mark_password_confirmed(self.request)  # the password was just entered
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        # The other sessions end now (and leave the list of sessions); done before Django
        # cycles this session's key, which security.sessions follows after the response.
        user = user_of(self.request)
        sessions_end(user=user, keep_session_key=self.request.session.session_key)
        response = super().form_valid(form)
        mark_password_confirmed(self.request)
        services.account_password_changed(person=user, actor=user)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The forgotten-password path: the link sent to the account's address stands for the
    recent password; the address is told once the new password is set."""

    def form_valid(self, form: SetPasswordForm[User]) -> HttpResponse:
        response = super().form_valid(form)
        sessions_end(user=form.user)  # whoever knew the old password is out everywhere
        services.account_password_changed(person=form.user, actor=form.user)
        return response


@signed_in
def confirm_password(request: HttpRequest) -> HttpResponse:
    """Enter the password again before a sensitive change."""
    next_url = safe_next_url(request, "accounts:profile")
    form = ConfirmPasswordForm(request.POST or None, user=user_of(request))
    if request.method == "POST" and form.is_valid():
        mark_password_confirmed(request)
        return redirect(next_url)
    return render(request, "accounts/confirm_password.html", {"form": form, "next": next_url})


# --- Company data (D1-D3) --------------------------------------------------------------


@requires(C.VIEW_COMPANY)
def profile(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    company = user.company
    context = {
        "company": company,
        "contracts": company.contracts.all() if company else [],
        "legal_rep_account": User.objects.filter(company=company, profile=Profile.LR).first(),
    }
    return render(request, "accounts/profile.html", context)


def _email_change_page(
    request: HttpRequest, *, target: str, template: str, done: str, context: dict[str, object]
) -> HttpResponse:
    """Ask for a new address and send it the confirmation link (D2, D6). The views put
    @recent_password in front: an e-mail is where a password reset goes."""
    user = user_of(request)
    form = NewEmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.email_change_request(
                actor=user,
                target=target,
                new_email=form.cleaned_data["new_email"],
                base_url=base_url(request),
            )
        except ActionRefused as refusal:
            form.add_error("new_email", str(refusal))
        else:
            messages.success(
                request,
                _("Ti abbiamo inviato un link a %(email)s: la nuova e-mail vale dopo la conferma.")
                % {"email": form.cleaned_data["new_email"]},
            )
            return redirect(done)
    return render(request, template, {"form": form, **context})


@requires(C.CHANGE_CONTACT_EMAIL)
@recent_password
def contact_email(request: HttpRequest) -> HttpResponse:
    return _email_change_page(
        request,
        target=services.EMAIL_TARGET_COMPANY,
        template="accounts/contact_email.html",
        done="accounts:profile",
        context={"company": user_of(request).company},
    )


@requires(C.CHANGE_LEGAL_ADDRESS)
@recent_password
def legal_address(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    pending = (
        user.company.requests.filter(kind=RequestKind.LEGAL_ADDRESS, state__in=OPEN_STATES)
        .order_by("-created_at")
        .first()
        if user.company
        else None
    )
    form = ItalianAddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tracked = services.legal_address_change_request(actor=user, **form.cleaned_data)
        except ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request,
                _(
                    "Richiesta %(reference)s inviata: la nuova sede legale vale dopo la verifica "
                    "del servizio clienti."
                )
                % {"reference": tracked.reference},
            )
            return redirect("accounts:profile")
    return render(
        request,
        "accounts/legal_address.html",
        {"form": form, "company": user.company, "pending": pending},
    )


# --- Employees and web profiles (D4, D5, R1-R5) -------------------------------------------


@requires(C.CHANGE_PROFILES)
def employees(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    assert user.company_id is not None
    employees = list(selectors.employees_for(company_id=user.company_id))
    waiting = profile_changes_awaiting(company_id=user.company_id)
    context = {
        # With the new profile each person waits for, if a validatore must approve it.
        "employees": [(person, waiting.get(person.pk)) for person in employees],
        "invitations": selectors.open_invitations(company_id=user.company_id),
        # Who signs in with a second factor: the LR's view of the policy in practice.
        "with_second_factor": two_factor.users_with_second_factor(
            user_ids=[person.pk for person in employees]
        ),
    }
    return render(request, "accounts/employees.html", context)


@requires(C.CHANGE_PROFILES)
@recent_password
def employee_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Select the employee → "Modifica" → profile, lines and Referente SIMs, saved together
    (R3); a change of profile is confirmed first."""
    user = user_of(request)
    employee = selectors.employee_get_for_user(user=user, pk=pk)
    if employee.profile == Profile.LR:  # R1: bound to the contract, 191 only
        context = {"employee": employee, "profile_locked": True}
        return render(request, "accounts/employee_edit.html", context)
    assert user.company_id is not None
    company_lines = selectors.company_lines(company=user.company_id).select_related(
        "contract", "assignee"
    )
    # What the page shows, and posts back hidden as `seen_*`.
    assigned = list(employee.assigned_lines.values_list("pk", flat=True))
    shown: dict[str, Any] = {
        "profile": employee.profile,
        "seen_profile": employee.profile,
        "lines": assigned,
        "seen_lines": assigned,
    }
    if employee.profile in REFERENTE_PROFILES:
        shown["referente_lines"] = shown["seen_referente_lines"] = selectors.referente_line_ids(
            user=employee
        )

    def employee_form(data: QueryDict | None) -> EmployeeForm:
        # The Referente SIMs are offered as the page showed the profile: a page shown for
        # another profile is refused below, whatever it posts.
        seen = data.get("seen_profile") if data is not None else str(employee.profile)
        sims = company_lines.filter(contract__kind="MOBILE")
        return EmployeeForm(
            data,
            lines=company_lines,
            sims=sims if seen in REFERENTE_PROFILES else None,
            initial=shown,
        )

    def refreshed(data: QueryDict) -> QueryDict:
        # After a refusal: what was typed, against what is there now, for a deliberate retry.
        data = data.copy()
        if data.get("seen_profile") not in REFERENTE_PROFILES and "referente_lines" in shown:
            data.setlist("referente_lines", [str(pk) for pk in shown["referente_lines"]])
        for name in ("seen_profile", "seen_lines", "seen_referente_lines"):
            data.pop(name, None)
            if name in shown:
                data[name] = EmployeeForm.base_fields[name].prepare_value(shown[name])
        return data

    form = employee_form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and "back" in request.POST:
        # "Annulla" on the confirmation: the page again, the profile as it was, the ticks kept.
        back = request.POST.copy()
        back["profile"] = str(back.get("seen_profile") or employee.profile)
        form = employee_form(back)
    elif request.method == "POST" and not form.is_valid():
        if form.has_error(NON_FIELD_ERRORS):  # an old page, without what it showed
            refusal = form.non_field_errors()
            form = employee_form(refreshed(request.POST))
            for error in refusal:
                form.add_error(None, error)
    elif request.method == "POST":
        data: dict[str, Any] = form.cleaned_data
        if data["profile"] != data["seen_profile"] and "confirmed" not in request.POST:
            # A change of powers is confirmed on a page that says who, from and to; the rest
            # of the form goes along, hidden.
            return render(
                request,
                "accounts/employee_profile_confirm.html",
                {"employee": employee, "form": form, "new_profile": Profile(data["profile"])},
            )
        offered = "referente_lines" in form.fields
        try:
            changes = services.employee_update(
                actor=user,
                employee=employee,
                seen_profile=data["seen_profile"],
                seen_line_ids=data["seen_lines"],
                seen_referente_line_ids=data["seen_referente_lines"] if offered else None,
                new_profile=data["profile"],
                line_ids=[line.pk for line in data["lines"]],
                referente_line_ids=(
                    [line.pk for line in data["referente_lines"]] if offered else None
                ),
            )
        except ActionRefused as refusal:
            form = employee_form(refreshed(request.POST))
            form.add_error(None, str(refusal))
        else:
            done = [
                message
                for changed, message in (
                    (changes.profile, _("Profilo di %(name)s aggiornato.")),
                    (changes.lines, _("Linee di %(name)s aggiornate.")),
                    (changes.referente, _("Linee da Referente di %(name)s aggiornate.")),
                )
                if changed
            ]
            if changes.pending is not None:
                # Giving FULL waits for a validatore (tracking.approvals).
                done.append(
                    _(
                        "Il nuovo profilo di %(name)s è in approvazione (richiesta "
                        "%(reference)s): si applica quando viene approvato."
                    )
                )
            reference = changes.pending.reference if changes.pending else ""
            for message in done or [_("Nessuna modifica per %(name)s.")]:
                messages.success(request, message % {"name": employee, "reference": reference})
            return redirect("accounts:employee-edit", pk=employee.pk)
    context = {
        "employee": employee,
        "profile_locked": False,
        "form": form,
        "can_be_referente": "referente_lines" in form.fields,
    }
    return render(request, "accounts/employee_edit.html", context)


@requires(C.REGISTER_EMPLOYEES)
@recent_password
def invite(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    assert user.company_id is not None
    lines = selectors.company_lines(company=user.company_id).select_related("contract", "assignee")
    assert user.company is not None
    form = InvitationForm(
        request.POST or None,
        lines=lines,
        full_waits=approval_needed(
            company=user.company, kind=RequestKind.PROFILE_CHANGE, channel=Channel.WEB
        ),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = services.invitation_create(
                actor=user,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                tax_code=data["tax_code"],
                profile=data["profile"],
                lines=data["lines"],
                base_url=base_url(request),
            )
        except ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request,
                _("Invito inviato a %(email)s: vale 7 giorni.") % {"email": invitation.email},
            )
            return redirect("accounts:employees")
    return render(request, "accounts/invite.html", {"form": form})


@requires(C.REGISTER_EMPLOYEES)
@require_POST
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = user_of(request)
    get_object_or_404(selectors.open_invitations(company_id=user.company_id or 0), pk=pk)
    invitation = services.invitation_resend(
        actor=user, invitation_id=pk, base_url=base_url(request)
    )
    messages.success(
        request, _("Invito inviato di nuovo a %(email)s.") % {"email": invitation.email}
    )
    return redirect("accounts:employees")


@requires(C.REGISTER_EMPLOYEES)
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = user_of(request)
    invitation = get_object_or_404(
        selectors.open_invitations(company_id=user.company_id or 0), pk=pk
    )
    services.invitation_revoke(actor=user, invitation_id=pk)
    messages.success(request, _("Invito a %(email)s revocato.") % {"email": invitation.email})
    return redirect("accounts:employees")


@public
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_for_token(token)
    except ActionRefused as refusal:
        return render(request, "accounts/link_invalid.html", {"reason": str(refusal)}, status=410)
    form = InvitationAcceptForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_accept(
                token=token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
            )
        except ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Registrazione completata: ora puoi accedere."))
            return redirect("accounts:login")
    return render(
        request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation}
    )


@requires(C.CHANGE_PROFILES)
def audit_log(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.audit_entries(
        company_id=user.company_id or 0,
        action=filters.get("action", ""),
        person=filters.get("person", ""),
        since=filters.get("since"),
        until=filters.get("until"),
    )
    page, query = paginate(request, entries, 50)
    return render(request, "accounts/audit_log.html", {"form": form, "page": page, "query": query})


# --- One's own data (D6) ------------------------------------------------------------------


@requires(C.EDIT_PERSONAL_DATA)
def personal_data(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    initial = {"first_name": user.first_name, "last_name": user.last_name, "phone": user.phone}
    form = PersonalDataForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.personal_data_update(user=user, **form.cleaned_data)
        messages.success(request, _("Dati personali salvati."))
        return redirect("accounts:personal-data")
    return render(request, "accounts/personal_data.html", {"form": form})


@requires(C.EDIT_PERSONAL_DATA)
@recent_password
def personal_email(request: HttpRequest) -> HttpResponse:
    """The personal e-mail is a sign-in identifier (password resets go there): a page of
    its own behind the recent password, confirmed from the new address (D6)."""
    return _email_change_page(
        request,
        target=services.EMAIL_TARGET_PERSONAL,
        template="accounts/personal_email.html",
        done="accounts:personal-data",
        context={},
    )


@public
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; only the POST applies, so mail scanners that open links change
    nothing."""
    if request.method == "POST":
        try:
            services.email_change_confirm(token=token)
        except ActionRefused as refusal:
            return render(
                request, "accounts/link_invalid.html", {"reason": str(refusal)}, status=410
            )
        return render(request, "accounts/email_confirmed.html")
    return render(request, "accounts/email_confirm.html")


# --- Self-registration of the legal representative ----------------------------------------


@public
def registration(request: HttpRequest) -> HttpResponse:
    form = LegalRepRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.legal_rep_register(
                vat_number=data["vat_number"],
                customer_code=data["customer_code"],
                tax_code=data["tax_code"],
                email=data["email"],
                username=data["username"],
                password=data["password1"],
                base_url=base_url(request),
            )
        except ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            return render(request, "accounts/registration_sent.html", {"email": data["email"]})
    return render(request, "accounts/registration.html", {"form": form})


@public
def registration_verify(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    if request.method == "POST":
        try:
            services.legal_rep_verify(user_id=pk, token=token)
        except ActionRefused as refusal:
            return render(
                request, "accounts/link_invalid.html", {"reason": str(refusal)}, status=410
            )
        messages.success(request, _("E-mail verificata: ora puoi accedere."))
        return redirect("accounts:login")
    return render(request, "accounts/email_confirm.html")
