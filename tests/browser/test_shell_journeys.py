"""Issue 15, "Phone and small screens", the shell: on a 390×844 phone the header is one slim
bar (logo and "Menu") and the page starts in the top third; the sections, the person and the
language open under "Menu", with the keyboard too. On laptops the person stays in the bar and
the menu keeps one layout whichever section is active."""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import MENUS, assert_accessible, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TOP_THIRD = PHONE["height"] / 3


def _heading_top(page: Page) -> float:
    box = page.locator("main h1").first.bounding_box()
    assert box is not None
    return float(box["y"])


@pytest.mark.parametrize("username", list(MENUS))
def test_the_phone_shell(page: Page, demo_site: str, username: str) -> None:
    profile, sections = MENUS[username]
    page.set_viewport_size(PHONE)
    sign_in(page, demo_site, username)

    toggle = page.get_by_role("button", name="Menu")
    menu = page.get_by_role("navigation", name="Sezioni")
    sign_out = page.get_by_role("button", name="Esci")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    expect(sign_out).to_be_hidden()
    expect(page.get_by_label("Lingua")).to_be_hidden()
    header = page.locator("header").bounding_box()
    assert header is not None and header["height"] <= 64, header
    assert _heading_top(page) < TOP_THIRD
    assert_accessible(page, f"{username}-shell-390")

    # Enter on the button opens the menu; Tab goes on to its first section.
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu.get_by_role("link")).to_have_text(sections)
    expect(page.locator(".user-profile")).to_have_text(profile)
    expect(sign_out).to_be_visible()
    expect(page.get_by_label("Lingua")).to_be_visible()
    assert_accessible(page, f"{username}-shell-390-menu")
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name=sections[0])).to_be_focused()
    for label in sections[1:]:
        page.keyboard.press("Tab")
        expect(menu.get_by_role("link", name=label)).to_be_focused()

    # The button closes it again.
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()

    # A section's page, reached through the menu: still in the top third, under its path.
    section = sections[-1]
    toggle.click()
    expect(page.locator("#site-menu")).to_have_class(re.compile(r"\bshow\b"))
    menu.get_by_role("link", name=section).click()
    expect(page).not_to_have_url(f"{demo_site}/")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    current = page.get_by_role("navigation", name="Percorso").locator('[aria-current="page"]')
    expect(current).to_have_text(page.locator("main h1").first.inner_text())
    assert _heading_top(page) < TOP_THIRD
    assert_accessible(page, f"{username}-shell-390-section")


def test_the_laptop_menu_keeps_one_layout(page: Page, demo_site: str) -> None:
    _profile, sections = MENUS["legale"]
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, demo_site, "legale")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_role("button", name="Esci")).to_be_visible()
    expect(page.locator(".user-name")).to_have_text("Mario Rossi")
    assert_accessible(page, "legale-shell-1366")

    menu = page.get_by_role("navigation", name="Sezioni")
    pages = ["/"]
    for label in sections:
        pages.append(menu.get_by_role("link", name=label).get_attribute("href") or "")
    pages.append("/profilo/dipendenti/")  # a section's sub-page: the section highlighted
    for width in (992, 1280, 1366, 1920):
        page.set_viewport_size({"width": width, "height": 900})
        heights = set()
        for path in pages:
            page.goto(f"{demo_site}{path}")
            box = menu.bounding_box()
            assert box is not None
            heights.add(round(box["height"], 1))
            # One row: every entry starts at the same height.
            tops = menu.locator(".nav-item").evaluate_all(
                "items => items.map(item => Math.round(item.getBoundingClientRect().top))"
            )
            assert len(set(tops)) == 1, (width, path, tops)
        assert len(heights) == 1, (width, heights)
    active = menu.locator(".nav-link.active")
    expect(active).to_have_text("Visualizza profilo e dati azienda")
    expect(active).not_to_have_attribute("aria-current", "page")


@pytest.mark.django_db(transaction=True)
def test_the_favicon_is_served(page: Page, live_server: Any) -> None:
    demo_site = str(live_server.url)
    response = page.request.get(f"{demo_site}/favicon.ico")
    assert response.ok and response.headers["content-type"] in {
        "image/x-icon",
        "image/vnd.microsoft.icon",
    }
    page.goto(f"{demo_site}/accedi/")
    for icon in page.locator('link[rel="icon"]').all():
        href = icon.get_attribute("href")
        assert href and page.request.get(f"{demo_site}{href}").ok, href
