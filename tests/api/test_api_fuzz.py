"""The API's OpenAPI schema, fuzzed with schemathesis: whatever a client sends, the answer
is documented, well-formed JSON and never a server error."""

from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.auth import api_client_create
from api.models import API_CHANNELS, ApiScope
from tests.conftest import World

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_keeps_the_test_connection() -> Iterator[None]:
    """The WSGI handler closes the database connection after each request, which would end
    the test's transaction; Django's own test client disconnects that the same way."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def token(world: World, wsgi_keeps_the_test_connection: None, settings) -> str:  # type: ignore[no-untyped-def]
    # Hundreds of calls a minute: the fuzzer is not the client the limit is for.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": "100000/m"}
    # Every endpoint, channel and customer: the fuzzer explores what is behind the scopes.
    return api_client_create(
        name="fuzzer",
        scopes=ApiScope.values,
        channels=[value for value, _label in API_CHANNELS],
        all_companies=True,
    )[1]


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_answers_as_documented(case: schemathesis.Case, token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
