"""Thresholds and notifications in a real browser (issue 17): the LR reads the bell's
count, opens the crossed threshold's notification, sets a threshold on a SIM; axe-core on
each page, on a laptop and on a 390 px phone."""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Notification, User
from consumption.models import Threshold
from tests.browser.test_journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390])
def test_the_bell_a_notification_and_a_new_threshold(
    page: Page, demo_site: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, demo_site, "legale")
    legale = User.objects.get(username="legale")
    unread = Notification.objects.filter(recipient=legale, read_at__isnull=True).count()
    assert unread  # the demo's crossed threshold
    if width < 992:
        page.get_by_role("button", name="Menu").click()
    bell = page.get_by_role("link", name="non lett")
    expect(bell).to_contain_text(str(unread))
    bell.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifiche")
    assert_accessible(page, f"legale-notifications-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.get_by_role("button", name="Soglia superata").first.click()
    expect(page).not_to_have_url(f"{demo_site}/costi/notifiche/")
    assert Notification.objects.filter(recipient=legale, read_at__isnull=True).count() == (
        unread - 1
    )

    page.goto(f"{demo_site}/costi/soglie/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Soglie e avvisi")
    # The demo's alert is of last month; this month has only begun.
    expect(page.get_by_role("table")).to_contain_text("Sotto la soglia")
    assert_accessible(page, f"legale-thresholds-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.get_by_role("link", name="Nuova soglia").first.click()
    page.get_by_label("Una SIM").check()
    page.get_by_label("Numero della SIM").fill("335 2000006")
    page.get_by_label("Spesa in roaming nel mese (€)").check()
    page.get_by_role("textbox", name="Soglia").fill("25,50")
    page.get_by_label("Mario Rossi").check()
    assert_accessible(page, f"legale-threshold-form-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_role("button", name="Salva").click()
    expect(page.get_by_text("Soglia salvata")).to_be_visible()
    threshold = Threshold.objects.get(line__number="+393352000006", metric="ROAMING_SPEND")
    assert str(threshold.limit) == "25.50"
    expect(page.get_by_role("table")).to_contain_text("Roaming della SIM +393352000006")
