import sys
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts import selectors as accounts_selectors
from accounts.access import public, signed_in, user_of
from accounts.roles import Capability as C
from accounts.roles import can, section_capabilities
from area_clienti.navigation import sections_for
from billing import selectors as billing_selectors
from consumption import selectors as consumption_selectors
from support import selectors as support_selectors
from tracking import selectors as tracking_selectors


@signed_in
def dashboard(request: HttpRequest) -> HttpResponse:
    """The home: one card per thing the person's capabilities let them follow, each with
    its figures and one click to act. A fixed number of queries, whatever the company's
    size: every card is one selector of its section."""
    user = user_of(request)
    if user.company_id is None:
        return redirect("backoffice:index")
    today = timezone.localdate()
    context: dict[str, Any] = {
        "tiles": [(section, section.features_for(user)) for section in sections_for(user)],
        "today": today,
        "now_moment": timezone.now(),
    }
    if can(user, C.VIEW_INVOICES):
        summary = billing_selectors.billing_summary(user=user)
        context["billing"] = summary
        # One key per "Paga" button, as on the invoice's page: a double submit is harmless.
        context["overdue"] = [(invoice, uuid.uuid4().hex) for invoice in summary.overdue]
    if can(user, C.VIEW_USAGE):
        context["usage"] = consumption_selectors.usage_summary(user=user, today=today)
    if can(user, C.VIEW_CREDIT):
        context["credit"] = consumption_selectors.credit_summary(user=user)
    # Everyone follows the requests they made in Assistenza ("Le mie richieste"); T1 holders
    # follow the company's.
    if can(user, C.VIEW_REQUESTS) or any(can(user, cap) for cap in section_capabilities("support")):
        context["requests_card"] = True
        context["requests"], context["requests_count"] = tracking_selectors.open_requests_summary(
            user=user
        )
    if can(user, C.CHAT):
        context["chat"] = support_selectors.open_conversation_of(customer=user)
    if can(user, C.REGISTER_EMPLOYEES):
        context["invitations"], context["invitations_count"] = (
            accounts_selectors.pending_invitations_summary(company_id=user.company_id)
        )
    if can(user, C.CHANGE_PROFILES):
        context["profile_changes"], context["profile_changes_count"] = (
            accounts_selectors.recent_profile_changes(
                company_id=user.company_id, since=timezone.now() - timedelta(days=30)
            )
        )
    return render(request, "dashboard.html", context)


@public
@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up; says nothing of the database."""
    return HttpResponse("ok", content_type="text/plain")


@public
@require_GET
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """Ready when the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return _unavailable(request)
    return HttpResponse("ok", content_type="text/plain")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A session Django could not save because the database went away (after the view did
    its work) is reported as SessionInterrupted, a 400; it is an outage: 503, retry."""
    if _database_unreachable(exception):
        return _unavailable(request)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """A lost database is a temporary outage (503 with Retry-After), not a server bug."""
    if _database_unreachable(sys.exc_info()[1]):
        return _unavailable(request)
    # Rendered without the request: the context processors may need the database.
    return HttpResponse(render_to_string("500.html"), status=500)


def _database_unreachable(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from or while handling, is the database
    being unreachable (not a bad query: those are bugs)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _unavailable(request: HttpRequest) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith("/api/"):  # client systems read JSON, as for every API error
        response = JsonResponse(
            {"error": "Service temporarily unavailable: retry later."}, status=503
        )
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(settings.RETRY_AFTER_SECONDS)
    return response
