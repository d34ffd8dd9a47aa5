"""Security headers on every page, and CSRF on every form the customer area shows."""

from __future__ import annotations

import inspect
import re
import time
from collections.abc import Callable

import csp.decorators
import pytest
from csp.utils import build_policy
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.access import PASSWORD_CONFIRMED_AT
from area_clienti.middleware import _OWN_POLICY, ContentSecurityPolicyMiddleware
from tests.area_clienti.test_form_fuzz import NAMES, PostForms
from tests.authz.test_url_sweep import PERSONAL_SAMPLES, ROUTES, SAMPLE_KWARGS
from tests.conftest import World, sign_in


def test_security_headers(world: World) -> None:
    client = Client()
    sign_in(client, world.lr)
    response = client.get("/fatture/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["Content-Security-Policy"] == build_policy()


def test_a_response_with_a_policy_of_its_own_gets_it() -> None:
    """The settings' policy is built once; a view that changes or drops it (django-csp's
    decorators) still gets its own."""

    def widened(request: HttpRequest) -> HttpResponse:
        response = HttpResponse()
        response._csp_update = {"img-src": ["https://maps.example.com"]}  # type: ignore[attr-defined]
        return response

    def exempt(request: HttpRequest) -> HttpResponse:
        response = HttpResponse()
        response._csp_exempt = True  # type: ignore[attr-defined]
        return response

    def call(view: Callable[[HttpRequest], HttpResponse]) -> HttpResponseBase:
        response = ContentSecurityPolicyMiddleware(view)(RequestFactory().get("/"))
        assert isinstance(response, HttpResponseBase)
        return response

    assert "https://maps.example.com" in call(widened)["Content-Security-Policy"]
    assert "Content-Security-Policy" not in call(exempt)
    assert call(lambda request: HttpResponse())["Content-Security-Policy"] == build_policy()


def test_every_attribute_of_django_csps_decorators_takes_its_own_handling() -> None:
    """A per-view policy set by a decorator this django-csp knows is never answered with the
    settings' policy built once."""
    set_by_decorators = set(re.findall(r"\b_csp_[a-z_]+\b", inspect.getsource(csp.decorators)))
    assert set_by_decorators
    assert set_by_decorators <= set(_OWN_POLICY)


@pytest.mark.parametrize("name", NAMES)
def test_every_form_needs_its_csrf_token(name: str, world: World) -> None:
    """A form posted from another site (no token) is refused before anything is done."""
    route = next(r for r in ROUTES if r.name == name)
    for user in (world.lr, world.user):
        if route.name in PERSONAL_SAMPLES:
            kwargs = PERSONAL_SAMPLES[route.name](world, user)
        else:
            kwargs = SAMPLE_KWARGS[route.name](world) if route.params else {}
        url = reverse(route.name, kwargs=kwargs)
        client = Client(enforce_csrf_checks=True)
        sign_in(client, user)
        session = client.session
        session[PASSWORD_CONFIRMED_AT] = int(time.time()) + 3600
        session.save()
        page = client.get(url)
        if page.status_code != 200 or "text/html" not in page.get("Content-Type", ""):
            continue
        parser = PostForms()
        parser.feed(page.content.decode())
        for action, fields in parser.forms:
            response = client.post(action or url, {field: "x" for field in fields})
            assert response.status_code == 403, (url, action)
