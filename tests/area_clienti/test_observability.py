"""Production plumbing: a request id on every response and log line, JSON logs, and
sessions shared through Redis when it is configured."""

import json
import logging

import pytest
from django.core.cache import cache
from django.test import Client

from area_clienti.observability import JsonFormatter, RequestIdFilter
from tests.conftest import World, sign_in


def test_every_response_carries_a_request_id(db: None) -> None:
    response = Client().get("/healthz")
    assert len(response["X-Request-ID"]) == 32


def test_the_load_balancers_id_is_kept_when_it_looks_like_one(db: None) -> None:
    kept = Client().get("/healthz", HTTP_X_REQUEST_ID="lb-0123456789abcdef")
    assert kept["X-Request-ID"] == "lb-0123456789abcdef"
    forged = Client().get("/healthz", HTTP_X_REQUEST_ID="bad\nid injected")
    assert forged["X-Request-ID"] != "bad\nid injected" and len(forged["X-Request-ID"]) == 32


def test_access_lines_are_json_with_the_request_id(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    sign_in(client, world.lr)
    with caplog.at_level(logging.INFO, logger="area_clienti.requests"):
        response = client.get("/fatture/", HTTP_X_REQUEST_ID="req-000000000001")
    record = next(r for r in caplog.records if r.name == "area_clienti.requests")
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "GET /fatture/ 200"
    assert line["status"] == 200 and line["user_id"] == world.lr.pk
    assert line["duration_ms"] >= 0 and response["X-Request-ID"] == "req-000000000001"


def test_sessions_live_in_redis_when_configured(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    client = Client()
    sign_in(client, world.full)
    assert client.get("/fatture/").status_code == 200
    key = client.cookies["sessionid"].value
    assert cache.get(f"django.contrib.sessions.cache{key}") is not None
    client.post("/esci/")
    assert cache.get(f"django.contrib.sessions.cache{key}") is None
