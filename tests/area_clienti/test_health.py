"""Health checks, and a friendly 503 while the database is away."""

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client

from tests.conftest import World, sign_in


def test_healthz_and_readyz(db: None) -> None:
    client = Client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def refuse(*args: object, **kwargs: object) -> None:
    raise OperationalError("connection refused")


def test_readyz_answers_503_without_the_database(world: World) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CursorWrapper, "execute", refuse)
        response = Client().get("/readyz")
        assert Client().get("/healthz").status_code == 200
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()


def test_pages_answer_a_friendly_503_without_the_database(world: World) -> None:
    client = Client(raise_request_exception=False)
    sign_in(client, world.lr)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CursorWrapper, "execute", refuse)
        response = client.get("/fatture/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Servizio momentaneamente non disponibile" in response.content.decode()
    # Back by itself once the database answers again.
    assert client.get("/fatture/").status_code == 200
