"""Where a page sends the person next: the `next` they were given, if it stays on this site."""

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request: HttpRequest, default: str) -> str:
    """`next` from the form or the query string when it is a URL of this site (never
    another host, never http from an https page), otherwise the URL named `default`."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(default)
