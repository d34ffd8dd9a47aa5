"""Cost centres in a real browser (issue 17): the LR chooses every line found and assigns
them to a centre, takes one out again, then reads the monthly roll-up with its chart;
axe-core on each page, on a laptop and on a 390 px phone."""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import CostCentre, Line
from tests.browser.test_journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390])
def test_select_all_found_and_assign_then_the_roll_up(
    page: Page, demo_site: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, demo_site, "legale")
    page.goto(f"{demo_site}/costi/")
    page.get_by_role("link", name="Nuovo centro di costo").first.click()
    page.get_by_label("Codice").fill("prog-x")
    page.get_by_label("Nome").fill("Progetto X")
    page.get_by_role("button", name="Salva").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Centro di costo PROG-X · Progetto X")
    assert_accessible(page, f"legale-cost-centre-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # Every line whose number has 335200000 in it: the Rossi SIMs 1 to 9.
    page.get_by_label("Numero, descrizione o assegnatario").fill("335200000")
    page.get_by_role("button", name="Cerca").click()
    expect(page.get_by_text("9 linee trovate").first).to_be_visible()
    page.get_by_role("button", name="Scegli tutte le 9 linee trovate").click()
    expect(page.get_by_text("Scelte tutte le 9 linee trovate.")).to_be_visible()
    page.get_by_role("button", name="Assegna le linee scelte a PROG-X").click()
    expect(page.get_by_text("9 linee assegnate a PROG-X · Progetto X.")).to_be_visible()
    expect(page.get_by_role("heading", name="9 linee nel centro")).to_be_visible()
    centre = CostCentre.objects.get(code="PROG-X")
    assert Line.objects.filter(cost_centre=centre).count() == 9
    # One of them leaves the centre again, from the centre's page.
    page.get_by_role("button", name="Togli dal centro").first.click()
    expect(page.get_by_text("tolta dal centro PROG-X · Progetto X")).to_be_visible()
    expect(page.get_by_role("heading", name="8 linee nel centro")).to_be_visible()
    assert Line.objects.filter(cost_centre=centre).count() == 8
    assert_accessible(page, f"legale-cost-centre-lines-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.goto(f"{demo_site}/costi/centri/riepilogo/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Centri di costo:")
    expect(page.locator("#cost-centre-chart")).to_be_visible()
    # Chart.js and the page's script load deferred: wait until the chart is drawn.
    drawn = (
        "id => window.Chart && Chart.getChart(document.getElementById(id))?.data.datasets.length"
    )
    page.wait_for_function(drawn, arg="cost-centre-chart")
    assert page.evaluate(drawn, "cost-centre-chart") == 2  # the month before and the month
    expect(page.get_by_role("table")).to_contain_text("CANT-NORD · Cantieri Nord")
    assert_accessible(page, f"legale-cost-centre-rollup-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
