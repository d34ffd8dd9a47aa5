"""Behind a load balancer: lockout, rate limits and logs count each client by the address
the trusted proxies saw, never the balancer's, and never an address the client wrote."""

import logging

import pytest
from django.conf import settings
from django.test import Client, RequestFactory

from core.proxies import client_address
from tests.accounts.test_auth import login
from tests.conftest import World

BALANCER = "10.0.0.5"


def behind_balancer(client_ip: str, forged: str = "") -> Client:
    """A browser at `client_ip` reaching the app through one load balancer; `forged` is
    what the browser itself put in X-Forwarded-For."""
    chain = f"{forged}, {client_ip}" if forged else client_ip
    return Client(REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=chain)


@pytest.fixture
def one_proxy(settings):  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXY_COUNT = 1


def test_without_trusted_proxies_the_header_is_ignored(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_address(request) == "203.0.113.9"


@pytest.mark.parametrize(
    ("count", "chain", "expected"),
    [
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client's own entry is not believed
        (2, "6.6.6.6, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        (1, "2001:db8::1", "2001:db8::1"),
        (1, "not-an-address", BALANCER),  # garbage from a misconfigured hop: the socket's
        (1, "", BALANCER),  # a health check from inside the network
    ],
)
def test_the_client_is_the_entry_the_outermost_trusted_proxy_wrote(  # type: ignore[no-untyped-def]
    settings, count: int, chain: str, expected: str
) -> None:
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=chain)
    assert client_address(request) == expected


@pytest.mark.usefixtures("one_proxy")
def test_a_lockout_locks_one_client_not_everyone_behind_the_balancer(world: World) -> None:
    attacker = behind_balancer("198.51.100.7")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(attacker, world.lr.username, "sbagliata")
    assert login(attacker, world.lr.username).status_code == 429
    # The real LR, at another address behind the same balancer, still signs in.
    assert login(behind_balancer("203.0.113.20"), world.lr.username).status_code == 302


@pytest.mark.usefixtures("one_proxy")
def test_a_forged_header_does_not_escape_the_lockout(world: World) -> None:
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        login(behind_balancer("198.51.100.7", forged=f"1.1.1.{attempt}"), world.lr.username, "x")
    attacker = behind_balancer("198.51.100.7", forged="9.9.9.9")
    assert login(attacker, world.lr.username).status_code == 429


@pytest.mark.usefixtures("one_proxy")
def test_rate_limits_count_each_client_behind_the_balancer(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "2/m"}
    noisy = behind_balancer("198.51.100.7")
    for _ in range(2):
        noisy.post("/accedi/", {"username": "nessuno", "password": "x"})
    assert noisy.post("/accedi/", {"username": "nessuno", "password": "x"}).status_code == 429
    assert login(behind_balancer("203.0.113.20"), world.lr.username).status_code == 302


@pytest.mark.usefixtures("one_proxy")
def test_access_lines_carry_the_clients_address(db: None, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="area_clienti.requests"):
        behind_balancer("198.51.100.7", forged="6.6.6.6").get("/healthz")
    record = next(r for r in caplog.records if r.name == "area_clienti.requests")
    assert record.client == "198.51.100.7"  # type: ignore[attr-defined]
