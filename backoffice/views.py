from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import staff
from tracking.selectors import open_requests


@staff
def index(request: HttpRequest) -> HttpResponse:
    """The operators' console: the requests waiting for the back office."""
    return render(request, "backoffice/index.html", {"requests": open_requests()[:50]})
