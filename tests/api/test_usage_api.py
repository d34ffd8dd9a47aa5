"""Usage records through the API: idempotent, refused records explained."""

import json

import pytest
from django.test import Client

from api.auth import api_client_create
from api.models import ApiScope
from consumption.models import UsageDaily, UsageRecord
from tests.conftest import World

URL = "/api/v1/usage/"


@pytest.fixture
def token(db: None) -> str:
    # The mediation system sends every customer's traffic.
    return api_client_create(name="mediation", scopes=[ApiScope.USAGE_WRITE], all_companies=True)[1]


def post(body: object, token: str):  # type: ignore[no-untyped-def]
    return Client().post(
        URL, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def records(world: World) -> list[dict[str, object]]:
    return [
        {
            "record_id": "api-1",
            "number": world.user_line.number,
            "started_at": "2026-10-05T08:30:00+02:00",
            "kind": "VOICE",
            "roaming": False,
            "quantity": 90,
            "cost": "0",
        },
        {
            "record_id": "api-2",
            "number": world.user_line.number,
            "started_at": "2026-10-05T09:30:00+02:00",
            "kind": "DATA",
            "roaming": True,
            "quantity": 4096,
            "cost": 1.2,
        },
    ]


def test_records_load_once(world: World, token: str) -> None:
    first = post({"records": records(world)}, token)
    assert first.status_code == 200 and first.json()["loaded"] == 2
    again = post({"records": records(world)}, token).json()
    assert again["loaded"] == 0 and again["already_loaded"] == 2
    assert UsageRecord.objects.count() == 2
    assert UsageDaily.objects.get(kind="DATA").roaming is True


def test_refused_records_are_named(world: World, token: str) -> None:
    bad = [
        *records(world),
        {
            "record_id": "api-3",
            "number": "+390000",
            "started_at": "x",
            "kind": "VOICE",
            "quantity": 1,
        },
        "nope",
    ]
    response = post({"records": bad}, token)
    assert response.status_code == 207
    body = response.json()
    assert body["loaded"] == 2 and body["refused"] == 2
    assert body["errors"][0].startswith("record 2:") and body["errors"][1].startswith("record 3:")


@pytest.mark.parametrize("body", [{}, {"records": []}, {"records": "x"}, [1]])
def test_malformed_requests(body: object, world: World, token: str) -> None:
    response = post(body, token)
    assert response.status_code == 400 and response.json()["error"]


def test_no_token_no_entry(world: World) -> None:
    response = Client().post(
        URL, json.dumps({"records": records(world)}), content_type="application/json"
    )
    assert response.status_code == 401
    assert not UsageRecord.objects.exists()


def test_a_body_over_the_size_limit_is_a_json_413(token: str, settings) -> None:  # type: ignore[no-untyped-def]
    padding = "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = post({"records": [], "padding": padding}, token)
    assert response.status_code == 413
    assert response.json() == {"error": "The body is too large."}


def test_a_push_during_a_file_import_is_told_to_retry(
    world: World, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import under way holds the usage lock (here another session holds it): the push
    waits a bounded time, then answers 503 with Retry-After and loads nothing."""
    import psycopg
    from django.db import connection

    from api import views
    from consumption.services import USAGE_LOAD_LOCK

    monkeypatch.setattr(views, "USAGE_LOCK_WAIT", "200ms")
    params = connection.get_connection_params()
    with psycopg.connect(**params) as importer:
        importer.execute("SELECT pg_advisory_lock(%s)", [USAGE_LOAD_LOCK])
        answer = post({"records": records(world)}, token)
    assert answer.status_code == 503
    assert answer["Retry-After"] == "5"
    assert "retry" in answer.json()["error"].lower()
    assert not UsageRecord.objects.exists()
    assert post({"records": records(world)}, token).status_code == 200
