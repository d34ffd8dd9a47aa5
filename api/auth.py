"""Token authentication of client systems (`Authorization: Bearer <token>`) and their scopes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from accounts.access import Access
from accounts.models import Company
from accounts.tokens import hash_token, new_secret_token
from api.models import ApiClient, ApiScope
from core.ratelimits import rate_limited

View = Callable[..., HttpResponseBase]


@transaction.atomic
def api_client_create(
    *,
    name: str,
    scopes: Iterable[str] = (),
    channels: Iterable[str] = (),
    companies: Iterable[Company] = (),
    all_companies: bool = False,
) -> tuple[ApiClient, str]:
    """A new client system and its token (shown once; only its hash is stored). It may do
    only what is named here: nothing by default."""
    token, token_hash = new_secret_token()
    client = ApiClient(
        name=name,
        token_hash=token_hash,
        scopes=sorted(set(scopes)),
        channels=sorted(set(channels)),
        all_companies=all_companies,
    )
    client.full_clean()  # unknown scopes or channels, a name already taken
    client.save()
    client.companies.set(list(companies))
    return client, token


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


def client_of(request: HttpRequest) -> ApiClient:
    """The client system `api_client` let in."""
    client: ApiClient = request.api_client  # type: ignore[attr-defined]
    return client


def api_client(scope: ApiScope) -> Callable[[View], View]:
    """Only client systems with a valid token (401) whose scopes include `scope` (403);
    people's sessions do not count (no CSRF: requests carry no cookies)."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @rate_limited("api", as_json=True)
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            client = authenticate(request)
            if client is None:
                response = api_error(401, "A valid API token is required.")
                response["WWW-Authenticate"] = 'Bearer realm="area-clienti"'
                return response
            if not client.allows(scope):
                return api_error(
                    403,
                    "This token may not use this endpoint.",
                    detail=f"It needs the scope {scope.value}.",
                )
            request.api_client = client  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        guarded.access = Access("api")  # type: ignore[attr-defined]
        return guarded

    return decorate
