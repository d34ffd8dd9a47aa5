"""Controllo costi: cost centres and their monthly figures, thresholds with alerts, and the
monthly reports for the accounts (K1–K4)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import requires_any
from accounts.roles import Capability as C


@requires_any(C.VIEW_COST_CENTRES, C.MANAGE_COST_CENTRES, C.MANAGE_THRESHOLDS, C.SCHEDULE_REPORTS)
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "costs/index.html")
