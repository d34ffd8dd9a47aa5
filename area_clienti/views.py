import sys

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.access import public, signed_in, user_of
from area_clienti.navigation import sections_for


@signed_in
def dashboard(request: HttpRequest) -> HttpResponse:
    if user_of(request).company_id is None:
        return redirect("backoffice:index")
    tiles = [
        (section, section.features_for(request.user)) for section in sections_for(request.user)
    ]
    return render(request, "dashboard.html", {"tiles": tiles})


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
