"""Token authentication of client systems: `Authorization: Bearer <token>`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from accounts.access import Access
from accounts.tokens import hash_token, new_secret_token
from api.models import ApiClient
from area_clienti.ratelimits import rate_limited


def api_client_create(*, name: str) -> tuple[ApiClient, str]:
    """A new client system and its token (shown once; only its hash is stored)."""
    token, token_hash = new_secret_token()
    return ApiClient.objects.create(name=name, token_hash=token_hash), token


def authenticate(request: HttpRequest) -> ApiClient | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    client = ApiClient.objects.filter(token_hash=hash_token(token.strip()), is_active=True).first()
    if client is not None:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
    return client


def api_error(status: int, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def api_client(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Only client systems with a valid token; people's sessions do not count (no CSRF:
    requests carry no cookies)."""

    @csrf_exempt
    @rate_limited("api", as_json=True)
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        client = authenticate(request)
        if client is None:
            response = api_error(401, "A valid API token is required.")
            response["WWW-Authenticate"] = 'Bearer realm="area-clienti"'
            return response
        request.api_client = client  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    guarded.access = Access("api")  # type: ignore[attr-defined]
    return guarded
