"""A month or dates outside the years usage can have are a form error, never a 500."""

from html import unescape

import pytest
from django.urls import reverse

from tests.conftest import World, client_for


@pytest.mark.parametrize(
    "query",
    [
        {"month": "0000-01"},
        {"month": "0001-01"},
        {"month": "9999-12"},
        {"since": "9999-12-01", "until": "9999-12-31"},
    ],
)
def test_periods_outside_the_calendar_of_usage_are_refused_kindly(
    world: World, query: dict[str, str]
) -> None:
    client = client_for(world.lr)
    assert client.get(reverse("consumption:index"), query).status_code == 200
    pages = [
        reverse("consumption:all-sims"),
        reverse("consumption:sim-usage", args=[world.lr_line.pk]),
    ]
    for page in pages:
        response = client.get(page, query)
        assert response.status_code == 200, page
        assert "Scegli un periodo tra il 01/01/2000 e il 31/12/" in unescape(
            response.content.decode()
        ), page
