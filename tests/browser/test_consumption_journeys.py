"""Consumi in a real browser, on a laptop and on a phone: the pages open on the last month
with usage, step between months, show allowances as bars and group a year by month, with
no accessibility violation and nothing wider than the screen."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1366, 768), "phone": (390, 844)}


def assert_fits(page: Page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{overflow}px wider than the screen at {page.url}"


@pytest.mark.parametrize("size", list(SIZES))
def test_usage_pages_month_by_month(page: Page, demo_site: str, size: str) -> None:
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, demo_site, "legale")
    page.goto(f"{demo_site}/consumi/")
    page.get_by_role("link", name="Consumi di tutte le SIM del contratto").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consumi di tutte le SIM")
    # The demo's usage ends yesterday: the page opens on yesterday's month.
    last = timezone.localdate() - timedelta(days=1)
    months = page.get_by_role("navigation", name="Mese precedente e successivo")
    expect(months).to_contain_text(f"{last.year}")
    assert_fits(page)
    assert_accessible(page, f"legale-all-sims-{size}")
    months.locator("a[rel=prev]").click()
    expect(page).to_have_url(re.compile(r"month=\d{4}-\d{2}"))
    expect(page.locator("a[rel=next]")).to_be_visible()
    assert_fits(page)

    page.locator("tbody th a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Consumi della SIM")
    expect(page.get_by_role("heading", name="Giorno per giorno")).to_be_visible()
    # Chart.js and the page's script load deferred: wait until the chart is drawn.
    drawn = (
        "id => window.Chart && Chart.getChart(document.getElementById(id))?.data.datasets.length"
    )
    page.wait_for_function(drawn, arg="usage-chart")
    assert page.evaluate(drawn, "usage-chart") == 2  # data and voice, each on its axis
    bars = page.locator("progress")
    if bars.count():  # a plan with allowances: bars with their numbers beside them
        expect(bars.first).to_have_attribute("max", re.compile(r"^\d+$"))
    assert_fits(page)
    assert_accessible(page, f"legale-sim-usage-{size}")

    since, until = last - timedelta(days=330), last
    page.goto(f"{page.url.split('?')[0]}?since={since:%Y-%m-%d}&until={until:%Y-%m-%d}")
    expect(page.get_by_role("heading", name="Mese per mese")).to_be_visible()
    rows = page.locator("table.table-sm tbody tr")
    assert rows.count() <= 12  # eleven months are a dozen rows at most, not 331 days
    assert_fits(page)
    assert_accessible(page, f"legale-sim-usage-year-{size}")
