"""Rate limits on sign-in, password reset and the API: 429 with Retry-After, then nothing
more is done for that address."""

import pytest
from django.core import mail
from django.test import Client

from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_sign_in_attempts_are_limited_per_address(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "3/m"}
    client = Client()
    for _ in range(3):
        response = client.post("/accedi/", {"username": "nessuno", "password": "x"})
        assert response.status_code == 200
    response = client.post("/accedi/", {"username": world.lr.username, "password": "x"})
    assert response.status_code == 429 and response["Retry-After"]
    assert "Troppi tentativi" in response.content.decode()
    assert client.get("/accedi/").status_code == 200  # reading the page is not limited


def test_password_reset_is_limited(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password-reset": "2/h"}
    client = Client()
    for _ in range(2):
        assert client.post("/password/recupero/", {"email": world.lr.email}).status_code == 302
    assert client.post("/password/recupero/", {"email": world.lr.email}).status_code == 429
    assert len(mail.outbox) == 2


def test_api_is_limited_with_a_json_answer(db: None, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": "2/m"}
    client = Client()
    for _ in range(2):
        assert (
            client.post("/api/v1/requests/", {}, HTTP_AUTHORIZATION="Bearer x").status_code == 401
        )
    response = client.post("/api/v1/requests/", {}, HTTP_AUTHORIZATION="Bearer x")
    assert response.status_code == 429 and "error" in response.json()
