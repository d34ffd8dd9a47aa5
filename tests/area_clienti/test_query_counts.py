"""Pages run a number of SQL queries that does not grow with the data."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.roles import Profile
from tests.conftest import World
from tests.factories import LineFactory, UserFactory

PAGES = ["/", "/fatture/", "/consumi/", "/profilo/", "/linee/", "/assistenza/", "/tracking/"]
# Session read, user, company; the session's renewal (an UPDATE inside a savepoint).
SHELL_QUERIES = 6


def queries_for(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", PAGES)
def test_shell_pages_run_a_fixed_number_of_queries(path: str, world: World) -> None:
    client = Client()
    client.force_login(world.lr)
    client.get(path)
    small = queries_for(client, path)
    assert small <= SHELL_QUERIES
    for _ in range(30):
        UserFactory(company=world.company, profile=Profile.USER)
        LineFactory(contract=world.mobile)
    assert queries_for(client, path) == small
