"""The `cost_centre` filter on the lists of lines, SIMs and invoice rows, kept in their
pagination and exports, and a line's centre on its pages (whoever sees them)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from accounts.selectors import WITHOUT_COST_CENTRE
from costs.services import lines_assign
from tests.accounts.helpers import signed_in
from tests.conftest import World
from tests.costs.helpers import centre, invoice_with_rows, outsider_centre
from tests.factories import LineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def centres(world: World):  # type: ignore[no-untyped-def]
    offices, sales = centre(world), centre(world, code="COMM", name="Commerciale")
    lines_assign(user=world.lr, cost_centre=offices, line_ids=[world.lr_line.pk])
    lines_assign(user=world.lr, cost_centre=sales, line_ids=[world.full_line.pk])
    return offices, sales


def test_no_filter_without_centres(world: World) -> None:
    page = signed_in(world.lr).get(reverse("lines:index")).content.decode()
    assert 'name="cost_centre"' not in page


def test_lines_list_filters_by_centre_and_keeps_it_in_pagination(world: World, centres) -> None:  # type: ignore[no-untyped-def]
    offices, _sales = centres
    client = signed_in(world.lr)
    page = client.get(reverse("lines:index"), {"cost_centre": offices.pk}).content.decode()
    assert world.lr_line.number in page and world.full_line.number not in page
    assert "Senza centro di costo" in page and "UFF · Uffici" in page
    page = client.get(reverse("lines:index"), {"cost_centre": WITHOUT_COST_CENTRE}).content.decode()
    assert world.user_line.number in page
    assert world.lr_line.number not in page and world.full_line.number not in page
    # Another company's centre is not a choice: the filter is ignored, not a leak.
    theirs = outsider_centre(world)
    response = client.get(reverse("lines:index"), {"cost_centre": theirs.pk})
    assert response.status_code == 200
    for _ in range(60):
        lines_assign(
            user=world.lr, cost_centre=offices, line_ids=[LineFactory(contract=world.mobile).pk]
        )
    page = client.get(reverse("lines:index"), {"cost_centre": offices.pk}).content.decode()
    assert f"cost_centre={offices.pk}&amp;pagina=2" in page


def test_only_who_knows_the_centres_gets_the_filter(world: World, centres) -> None:  # type: ignore[no-untyped-def]
    offices, _sales = centres
    client = signed_in(world.light)
    for name in ("lines:index", "consumption:index"):
        page = client.get(reverse(name), {"cost_centre": offices.pk}).content.decode()
        assert 'name="cost_centre"' not in page and "UFF · Uffici" not in page
    assert (
        'name="cost_centre"' in signed_in(world.full).get(reverse("lines:index")).content.decode()
    )


def test_a_huge_centre_number_is_no_error(world: World, centres) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(world.lr)
    url = reverse("billing:invoice-rows-export", args=[world.invoice.pk])
    response = client.get(url, {"formato": "csv", "cost_centre": "9" * 30})
    assert response.status_code == 200
    assert client.get(reverse("lines:index"), {"cost_centre": "9" * 30}).status_code == 200


def test_consumption_index_filters_by_centre(world: World, centres) -> None:  # type: ignore[no-untyped-def]
    _offices, sales = centres
    page = signed_in(world.lr).get(reverse("consumption:index"), {"cost_centre": sales.pk})
    html = page.content.decode()
    assert world.full_line.number in html and world.lr_line.number not in html


def test_all_sims_filters_by_centre_and_its_export_too(world: World, centres) -> None:  # type: ignore[no-untyped-def]
    offices, _sales = centres
    client = signed_in(world.lr)
    params = {"cost_centre": offices.pk, "month": "2026-10"}
    html = client.get(reverse("consumption:all-sims"), params).content.decode()
    assert world.lr_line.number in html and world.full_line.number not in html
    assert f"cost_centre={offices.pk}" in html.split("formato=csv")[0].rsplit('href="', 1)[1]
    export = client.get(reverse("consumption:all-sims"), {**params, "formato": "csv"})
    body = b"".join(export.streaming_content).decode()  # type: ignore[attr-defined]
    assert world.lr_line.number in body and world.full_line.number not in body


def test_invoice_rows_filter_by_the_centre_they_were_issued_with(world: World, centres) -> None:  # type: ignore[no-untyped-def]
    offices, sales = centres
    invoice = invoice_with_rows(
        world,
        date(2026, 11, 5),
        [(world.lr_line, offices, "10.00"), (world.full_line, sales, "20.00"), (None, None, "3")],
    )
    client = signed_in(world.lr)
    url = reverse("billing:invoice-detail", args=[invoice.pk])
    html = client.get(url, {"cost_centre": offices.pk}).content.decode()
    rows = html.split('id="lines-heading"')[1]
    assert world.lr_line.number in rows and world.full_line.number not in rows
    assert f"formato=csv&amp;cost_centre={offices.pk}" in html
    html = client.get(url, {"cost_centre": WITHOUT_COST_CENTRE}).content.decode()
    rows = html.split('id="lines-heading"')[1]
    assert world.lr_line.number not in rows and "Contratto" in rows
    export = client.get(
        reverse("billing:invoice-rows-export", args=[invoice.pk]),
        {"formato": "csv", "cost_centre": sales.pk},
    )
    body = b"".join(export.streaming_content).decode()  # type: ignore[attr-defined]
    assert world.full_line.number in body and world.lr_line.number not in body


OWN_LINE = {"LR": "lr_line", "LIGHT": "light_line", "USER": "user_line"}


@pytest.mark.parametrize("profile", ["LR", "LIGHT"])
def test_a_lines_centre_shows_on_its_detail(world: World, profile: str) -> None:
    line = getattr(world, OWN_LINE[profile])
    lines_assign(user=world.lr, cost_centre=centre(world), line_ids=[line.pk])
    client = signed_in(world.by_profile(profile))
    detail = client.get(reverse("lines:detail", args=[line.pk])).content.decode()
    assert "UFF · Uffici" in detail


@pytest.mark.parametrize("profile", ["LIGHT", "USER"])
def test_a_sims_centre_shows_on_its_usage_page(world: World, profile: str) -> None:
    line = getattr(world, OWN_LINE[profile])
    lines_assign(user=world.lr, cost_centre=centre(world), line_ids=[line.pk])
    client = signed_in(world.by_profile(profile))
    usage = client.get(reverse("consumption:sim-usage", args=[line.pk])).content.decode()
    assert "centro di costo UFF · Uffici" in usage


def test_filters_add_a_fixed_number_of_queries(
    world: World,
    centres,  # type: ignore[no-untyped-def]
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    offices, _sales = centres
    for _ in range(40):
        lines_assign(
            user=world.lr, cost_centre=offices, line_ids=[LineFactory(contract=world.mobile).pk]
        )
    client = signed_in(world.lr)
    for name in ("lines:index", "consumption:index", "consumption:all-sims"):
        client.get(reverse(name))
        with django_assert_max_num_queries(20):
            assert client.get(reverse(name), {"cost_centre": offices.pk}).status_code == 200
