"""The client's address behind a known number of trusted proxies.

Behind a load balancer every connection comes from the balancer, so the socket's address
(REMOTE_ADDR) would count every customer as one: one person's wrong passwords would lock
everybody out. Each trusted proxy appends the address it received the connection from to
X-Forwarded-For; the client is therefore the entry that the outermost trusted proxy
appended, `TRUSTED_PROXY_COUNT` places from the right. Entries further left were written
by the client itself and are never believed.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address lockout, rate limits and logs count: the socket's when no proxy is
    trusted (the default), otherwise the one the trusted proxies saw."""
    remote = request.META.get("REMOTE_ADDR") or ""
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    chain = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chain = [hop for hop in chain if hop]
    if not chain:
        # Reached us without passing the proxies (a health check from inside): the socket.
        return remote
    candidate = chain[-min(trusted, len(chain))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        # Our own proxies write addresses; anything else is not to be trusted or logged.
        return remote
