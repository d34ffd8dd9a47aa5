from django.http import HttpRequest, HttpResponse
from django.urls import path

from accounts.access import requires_any
from accounts.roles import section_capabilities
from area_clienti.urls import urlpatterns as app_urlpatterns

BODY = b"x" * 16_000  # the size of the real page, 50 rows of 5,000 lines


@requires_any(*section_capabilities("lines"))
def line_list_floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BODY)


urlpatterns = [path("linee/", line_list_floor), *app_urlpatterns]
