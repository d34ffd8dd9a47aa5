"""PostgreSQL goes away and comes back: pages answer a friendly 503 meanwhile, the app
recovers by itself, and a payment confirmed during the outage is applied once, when the
provider retries its callback.

The outage is real at the network level: the app reaches PostgreSQL through a TCP proxy
(load/dbproxy.py, also used by `make load-outage`) that this test cuts (dropping every open
connection and refusing new ones) and restores."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import ProgrammingError, close_old_connections, connection
from django.test import Client

from billing import payments
from billing.gateway import sign
from billing.models import Invoice, Payment
from core.postgresql.base import RECENT_SECONDS
from load.dbproxy import DatabaseProxy
from tests.conftest import World, sign_in


@pytest.fixture
def outage(transactional_db: None) -> Iterator[DatabaseProxy]:
    settings = connection.settings_dict
    proxy = DatabaseProxy((settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432)))
    original = settings["HOST"], settings["PORT"]
    connection.close()
    settings["HOST"], settings["PORT"] = "127.0.0.1", str(proxy.port)
    yield proxy
    connection.close()
    proxy.close()  # no connection through the proxy outlives the test
    settings["HOST"], settings["PORT"] = original


def get(client: Client, path: str):  # type: ignore[no-untyped-def]
    """A request as a real server makes it: first dropping a database connection that broke
    (Django's test client leaves that step out, and the recovery under test needs it)."""
    close_old_connections()
    return client.get(path)


def callback(payment: Payment) -> bytes:
    event = {
        "id": "evt_outage_1",
        "payment": payment.provider_reference,
        "outcome": "succeeded",
        "reason": "",
        "created": int(time.time()),
    }
    return json.dumps(event).encode()


def test_pages_answer_503_while_the_database_is_away_and_recover(
    world: World, outage: DatabaseProxy
) -> None:
    client = Client(raise_request_exception=False)
    sign_in(client, world.full)
    assert get(client, "/fatture/").status_code == 200

    outage.cut()
    down = get(client, "/fatture/")
    assert down.status_code == 503 and down["Retry-After"]
    assert "Servizio momentaneamente non disponibile" in down.content.decode()
    assert get(client, "/readyz").status_code == 503
    # Someone about to sign in learns it before typing a password, not after.
    assert get(Client(raise_request_exception=False), "/accedi/").status_code == 503
    # The process itself is fine: the load balancer's check (no cookie) says so.
    assert Client().get("/healthz").status_code == 200
    # Client systems get the API's JSON errors, with the same advice to retry.
    api_client = Client(raise_request_exception=False, HTTP_AUTHORIZATION="Bearer any-token")
    api = get(api_client, "/api/v1/requests/R-1/")
    assert api.status_code == 503 and api["Retry-After"]
    assert api.json() == {"error": "Service temporarily unavailable: retry later."}

    outage.restore()
    # No restart: the next request replaces the broken connection.
    assert get(client, "/fatture/").status_code == 200
    assert get(client, "/readyz").status_code == 200
    assert get(Client(), "/accedi/").status_code == 200


def test_a_payment_confirmed_during_the_outage_is_applied_once(
    world: World, outage: DatabaseProxy
) -> None:
    payment = Payment.objects.create(
        invoice=world.invoice,
        invoice_revision=world.invoice.revision,
        amount=world.invoice.total,
        provider="sandbox",
        provider_reference="sbx_outage",
        idempotency_key="outage-key",
    )
    body = callback(payment)
    provider = Client(raise_request_exception=False)

    def deliver():  # type: ignore[no-untyped-def]
        close_old_connections()
        return provider.post(
            "/fatture/pagamenti/notifica/sandbox/",
            body,
            content_type="application/json",
            HTTP_X_SANDBOX_SIGNATURE=sign(body),
        )

    outage.cut()
    assert deliver().status_code == 503  # the provider will retry
    outage.restore()
    time.sleep(0.2)
    assert deliver().status_code == 200
    assert deliver().status_code == 200  # a late duplicate changes nothing
    world.invoice.refresh_from_db()
    payment.refresh_from_db()
    assert world.invoice.status == Invoice.Status.PAID
    assert payment.status == Payment.Status.SUCCEEDED
    assert Payment.objects.filter(invoice=world.invoice).count() == 1


def test_a_session_left_unsaved_by_the_outage_is_a_503_not_a_bad_request(
    world: World, outage: DatabaseProxy, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """PostgreSQL goes away after the view did its work, while the session is being saved
    (Django reports a failed session update as SessionInterrupted, a 400): the customer
    gets the 503 page that invites a retry, and the retry finds the payment already
    started, once. Sessions in the database, then: with REDIS_URL they are in the cache."""
    settings.SESSION_ENGINE = "core.sessions"
    client = Client(raise_request_exception=False)
    sign_in(client, world.full)
    start_then_cut = payments.payment_start

    def payment_start_then_outage(**kwargs):  # type: ignore[no-untyped-def]
        started = start_then_cut(**kwargs)  # committed
        outage.cut()
        return started

    monkeypatch.setattr(payments, "payment_start", payment_start_then_outage)
    pay = f"/fatture/{world.invoice.pk}/paga/"
    key = {"idempotency_key": "0" * 32}
    close_old_connections()
    cut = client.post(pay, key)
    assert cut.status_code == 503 and cut["Retry-After"]
    assert "Servizio momentaneamente non disponibile" in cut.content.decode()

    monkeypatch.undo()
    outage.restore()
    close_old_connections()
    retried = client.post(pay, key)
    payment = Payment.objects.get(invoice=world.invoice)  # one attempt, not two
    assert retried.status_code == 302
    assert retried["Location"] == f"/fatture/pagamenti/sandbox/{payment.provider_reference}/"


def page(client: Client, path: str):  # type: ignore[no-untyped-def]
    """A request as a real server makes it, its connections looked at before and after (the
    test client leaves both out)."""
    close_old_connections()
    response = client.get(path)
    close_old_connections()
    return response


def test_a_connection_broken_while_idle_is_replaced_before_the_next_page(
    world: World, outage: DatabaseProxy
) -> None:
    """A persistent connection that broke while its worker was idle (PostgreSQL restarted
    at night) is checked and replaced before the next page: no error. So is one whose last
    query failed, however recently. One that answered less than RECENT_SECONDS ago is taken
    as sound, unchecked (a busy worker pays no SELECT 1): the one page that finds it broken
    answers 503, and the next is served."""
    client = Client(raise_request_exception=False)
    sign_in(client, world.full)
    assert page(client, "/fatture/").status_code == 200
    connection.answered_at -= RECENT_SECONDS  # type: ignore[attr-defined]  # idle since
    outage.cut()
    outage.restore()
    assert page(client, "/fatture/").status_code == 200

    connection.answered_at -= RECENT_SECONDS  # type: ignore[attr-defined]
    with pytest.raises(ProgrammingError), connection.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM accounts_user")
    close_old_connections()  # that request's end: the connection still works
    outage.cut()
    outage.restore()
    assert page(client, "/fatture/").status_code == 200

    outage.cut()
    outage.restore()
    found_broken = page(client, "/fatture/")
    assert found_broken.status_code == 503 and found_broken["Retry-After"]
    assert page(client, "/fatture/").status_code == 200
