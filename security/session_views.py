"""The person's active sessions (end any or all the others) and the LR's sign-in log."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from accounts.access import requires, signed_in, user_of
from accounts.roles import Capability
from core.forms import date_field
from core.pagination import paginate
from security import sessions
from security.models import SignInEvent


@signed_in
def session_list(request: HttpRequest) -> HttpResponse:
    rows = sessions.session_rows(request=request, user=user_of(request))
    return render(request, "security/sessions.html", {"rows": rows})


@signed_in
@require_POST
def session_end(request: HttpRequest, pk: int) -> HttpResponse:
    ended = sessions.session_end(
        user=user_of(request), pk=pk, keep_session_key=request.session.session_key
    )
    if not ended:
        raise Http404
    messages.success(request, _("Sessione terminata: quel browser dovrà accedere di nuovo."))
    return redirect("security:sessions")


@signed_in
@require_POST
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    count = sessions.sessions_end(
        user=user_of(request), keep_session_key=request.session.session_key
    )
    messages.success(
        request,
        ngettext(
            "Hai terminato %(count)d altra sessione.",
            "Hai terminato %(count)d altre sessioni.",
            count,
        )
        % {"count": count},
    )
    return redirect("security:sessions")


class SignInLogFilterForm(forms.Form):
    person = forms.CharField(label=gettext_lazy("Persona"), max_length=100, required=False)
    outcome = forms.ChoiceField(
        label=gettext_lazy("Esito"),
        required=False,
        choices=[("", gettext_lazy("Tutti")), *SignInEvent.Outcome.choices],
    )
    since = date_field(gettext_lazy("Dal"))
    until = date_field(gettext_lazy("Al"))


@requires(Capability.CHANGE_PROFILES)
def sign_in_log(request: HttpRequest) -> HttpResponse:
    """The company's sign-ins and failed attempts, newest first (the LR's)."""
    form = SignInLogFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = sessions.sign_in_events(
        company_id=user_of(request).company_id or 0,
        person=filters.get("person", ""),
        outcome=filters.get("outcome", ""),
        since=filters.get("since"),
        until=filters.get("until"),
    )
    page, query = paginate(request, events, 50)
    rows = [
        (
            event,
            sessions.METHODS.get(event.method, ""),
            sessions.browser_of(event.user_agent) if event.user_agent else None,
        )
        for event in page
    ]
    return render(
        request,
        "security/sign_in_log.html",
        {"form": form, "page": page, "query": query, "rows": rows},
    )
