"""The monthly reports for the accounts (K4): subscribe, change, stop."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import requires, user_of
from accounts.roles import Capability as C
from costs import reports
from costs.models import ReportSubscription
from costs.report_forms import ReportSubscriptionForm


@requires(C.SCHEDULE_REPORTS)
def report_settings(request: HttpRequest) -> HttpResponseBase:
    person = user_of(request)
    current = ReportSubscription.objects.filter(person=person).first()
    form = ReportSubscriptionForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        reports.subscription_save(person=person, **form.cleaned_data)
        messages.success(
            request,
            _("Iscrizione salvata: riceverai i report il primo giorno di ogni mese.")
            if current is None
            else _("Preferenze dei report salvate."),
        )
        return redirect("costs:reports")
    return render(
        request,
        "costs/reports.html",
        {
            "form": form,
            "subscription": current,
            "deliveries": reports.deliveries_of(person=person),
            "next_period": reports.next_period(person=person),
        },
    )


@requires(C.SCHEDULE_REPORTS)
@require_POST
def report_unsubscribe(request: HttpRequest) -> HttpResponseBase:
    reports.subscription_end(person=user_of(request))
    messages.success(request, _("Non riceverai più i report mensili."))
    return redirect("costs:reports")
