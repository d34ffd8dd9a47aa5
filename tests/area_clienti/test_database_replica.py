"""A streaming replica (DATABASE_REPLICA_URL): the usage pages read from it, everything else
and every read after a write from the primary, and the pages still answer while the replica
is away or behind.

The replica here is the test database itself, reached through a TCP proxy
(load/dbproxy.py) that the test cuts and restores, as test_database_outage does."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import DataError, close_old_connections, connection, connections, transaction
from django.db.utils import load_backend
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import Line
from consumption.models import TopUp
from core import dbrouting
from core.dbrouting import (
    RECENT_WRITE_COOKIE,
    REPLICA,
    ReplicaRouter,
    reads_from_replica,
)
from load.dbproxy import DatabaseProxy
from tests.conftest import World, client_for, sign_in

# The replica's lag check (core/dbrouting.py), told apart from the pages' own queries.
LAG_CHECK = "pg_last_wal_replay_lsn"
Queries = dict[str, list[str]]


@pytest.fixture
def replica(
    transactional_db: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DatabaseProxy]:
    primary = connection.settings_dict
    proxy = DatabaseProxy((primary["HOST"] or "127.0.0.1", int(primary["PORT"] or 5432)))
    # A connection of its own, out of the configured ones (which the test case guards).
    backend = load_backend(primary["ENGINE"])
    connections[REPLICA] = backend.DatabaseWrapper(
        {**primary, "HOST": "127.0.0.1", "PORT": str(proxy.port)}, REPLICA
    )
    settings.DATABASE_ROUTERS = ["core.dbrouting.ReplicaRouter"]
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "core.dbrouting.RecentWriteMiddleware"]
    monkeypatch.setattr(dbrouting, "_replica_paused_until", 0.0)
    monkeypatch.setattr(dbrouting, "_lag_checked_at", float("-inf"))
    monkeypatch.setattr(dbrouting, "_replica_current", True)
    yield proxy
    connections[REPLICA].close()
    del connections[REPLICA]
    proxy.close()


def test_only_a_replica_page_reads_from_the_replica_and_only_until_it_writes(
    replica: DatabaseProxy,
) -> None:
    router = ReplicaRouter()
    seen: list[str] = []

    @reads_from_replica
    def page(request):  # type: ignore[no-untyped-def]
        seen.append(router.db_for_read(Line))
        with transaction.atomic():  # what it reads there is read with its writes
            seen.append(router.db_for_read(Line))
        router.db_for_write(Line)  # say, the page logs something
        seen.append(router.db_for_read(Line))

    page(RequestFactory().get("/consumi/"))
    assert seen == [REPLICA, "default", "default"]
    page(RequestFactory().post("/consumi/"))
    assert seen[3:] == ["default"] * 3
    # Tasks, commands, any other page: no replica page around them.
    assert router.db_for_read(Line) == "default"
    assert router.allow_migrate("default", "accounts")
    assert not router.allow_migrate(REPLICA, "accounts")

    # A page failing on its own (a bad parameter), not the replica: the error at once, not
    # the page read twice, and the replica still read.
    @reads_from_replica
    def failing(request):  # type: ignore[no-untyped-def]
        seen.append(alias := router.db_for_read(Line))
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1 / %s", [0])

    with pytest.raises(DataError):
        failing(RequestFactory().get("/consumi/"))
    assert seen[6:] == [REPLICA]
    assert dbrouting._replica_paused_until == 0.0


@contextmanager
def recording() -> Iterator[Queries]:
    """The SQL each database runs meanwhile, but the replica's lag check."""
    queries: Queries = {}

    def to(alias: str):  # type: ignore[no-untyped-def]
        def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            if LAG_CHECK not in sql:
                queries.setdefault(alias, []).append(sql)
            return execute(sql, params, many, context)

        return record

    with (
        connection.execute_wrapper(to("default")),
        connections[REPLICA].execute_wrapper(to(REPLICA)),
    ):
        yield queries


def usage_page(
    client: Client, path: str = "/consumi/", *, between_requests: bool = True
) -> tuple[int, Queries]:
    """The page's status and the SQL it ran on each database. Between requests a real server
    checks its persistent connections (the test client skips it)."""
    if between_requests:
        close_old_connections()
        connections[REPLICA].close_if_unusable_or_obsolete()
    with recording() as queries:
        status = client.get(path).status_code
    return status, queries


def test_the_usage_pages_read_from_the_replica_and_from_the_primary_while_it_is_away(
    world: World, replica: DatabaseProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client()
    sign_in(client, world.full)
    status, queries = usage_page(client)
    assert (status, set(queries)) == (200, {"default", REPLICA})
    # The session and the person are read before the page, from the primary.
    for read in ('SELECT session_data FROM "django_session"', 'FROM "accounts_user" WHERE "id"'):
        assert any(read in sql for sql in queries["default"])
        assert not any(read in sql for sql in queries[REPLICA])
    # The CSV of all the SIMs reads its rows as it streams them, after the view returned.
    response = client.get(reverse("consumption:all-sims"), {"formato": "csv"})
    with recording() as queries:
        body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert world.full_line.number.encode() in body
    assert queries.keys() == {REPLICA}

    # Stopped under a page that had checked it (its lag too, a moment ago): the page is read
    # again from the primary.
    monkeypatch.setattr(dbrouting, "LAG_CHECK_SECONDS", 3600)
    replica.cut()
    assert usage_page(client, between_requests=False)[0] == 200
    # Then left alone for a while: no request waits for it.
    assert usage_page(client)[1].keys() == {"default"}

    # Still away once the pause is over: refused at connect, the primary again, no error.
    monkeypatch.setattr(dbrouting, "_replica_paused_until", 0.0)
    assert usage_page(client)[0] == 200

    replica.restore()
    monkeypatch.setattr(dbrouting, "_replica_paused_until", 0.0)
    status, queries = usage_page(client)
    assert (status, set(queries)) == (200, {"default", REPLICA})


def test_a_replica_behind_the_primary_is_not_read(
    world: World, replica: DatabaseProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = 0

    def minute_behind(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        nonlocal checks
        if LAG_CHECK in sql:
            checks += 1
            sql = f"SELECT 60.0  -- {LAG_CHECK}, a minute behind"
        return execute(sql, params, many, context)

    client = client_for(world.full)
    with connections[REPLICA].execute_wrapper(minute_behind):
        assert usage_page(client)[1].keys() == {"default"}
        assert usage_page(client)[1].keys() == {"default"}
    assert checks == 1  # asked once a second, not on every page
    monkeypatch.setattr(dbrouting, "_lag_checked_at", float("-inf"))
    assert usage_page(client)[1].keys() == {"default", REPLICA}


def test_after_a_persons_own_write_their_pages_read_from_the_primary(
    world: World, replica: DatabaseProxy
) -> None:
    client = client_for(world.user)
    sim_usage = reverse("consumption:sim-usage", args=[world.user_line.pk])
    top_up = client.post(
        reverse("consumption:top-up", args=[world.user_line.pk]),
        {"amount": "25", "idempotency_key": uuid.uuid4().hex},
    )
    cookie = top_up.cookies[RECENT_WRITE_COOKIE]
    assert (cookie["max-age"], cookie["httponly"], cookie["samesite"]) == (10, True, "Lax")
    # Back to the SIM's usage: the credit as the top-up left it, whatever the replica's lag.
    assert usage_page(client, sim_usage)[1].keys() == {"default"}
    # The browser drops the cookie 10 s on: the replica again.
    del client.cookies[RECENT_WRITE_COOKIE]
    assert usage_page(client, sim_usage)[1].keys() == {"default", REPLICA}


def test_back_from_the_payment_provider_their_pages_read_from_the_primary(
    world: World, replica: DatabaseProxy
) -> None:
    """The provider's callback settled the top-up, not the person: the result page they come
    back to sends their next pages to the primary, as their own write would."""
    client = client_for(world.user)
    top_up = client.post(
        reverse("consumption:top-up", args=[world.user_line.pk]),
        {"amount": "25", "idempotency_key": uuid.uuid4().hex},
    )
    del client.cookies[RECENT_WRITE_COOKIE]  # their own write long ago; paid at the provider
    reference = TopUp.objects.get(line=world.user_line).payment.provider_reference
    result = client.get(reverse("consumption:top-up-result", args=[reference]))
    assert result.status_code == 200, top_up
    assert result.cookies[RECENT_WRITE_COOKIE]["max-age"] == 10
    sim_usage = reverse("consumption:sim-usage", args=[world.user_line.pk])
    assert usage_page(client, sim_usage)[1].keys() == {"default"}
