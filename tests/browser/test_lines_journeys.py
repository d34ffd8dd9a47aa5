"""Linee e servizi and Offerte per te in a real browser, with axe-core on every page."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import assert_accessible, open_section, sign_in, tab_to

pytestmark = pytest.mark.browser


def test_lr_blocks_and_unblocks_a_sim(page: Page, demo_site: str) -> None:
    sign_in(page, demo_site, "legale")
    open_section(page, "Linee e servizi")
    assert_accessible(page, "legale-lines")
    page.get_by_role("link", name="+393352000005").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Attiva")
    assert_accessible(page, "legale-line-detail")

    page.get_by_role("link", name="Blocca la SIM per furto o smarrimento").click()
    assert_accessible(page, "legale-sim-block")
    page.get_by_label("Furto").check()
    page.get_by_role("button", name="Continua").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Conferma il blocco della SIM")
    expect(page.get_by_role("status")).to_contain_text("denuncia")
    assert_accessible(page, "legale-sim-block-confirm")
    page.get_by_role("button", name="Conferma il blocco").click()

    expect(heading).to_contain_text("Bloccata")
    expect(page.get_by_text("SIM +393352000005 bloccata")).to_be_visible()
    expect(page.get_by_role("heading", name="Storico della linea")).to_be_visible()
    expect(page.locator("main ol:not(.breadcrumb) li").first).to_contain_text(
        "SIM bloccata · Mario Rossi · Furto"
    )
    assert_accessible(page, "legale-line-blocked")

    page.get_by_role("link", name="Sblocca la SIM").click()
    assert_accessible(page, "legale-sim-unblock")
    page.get_by_role("button", name="Conferma lo sblocco").click()
    expect(heading).to_contain_text("Attiva")
    expect(page.locator("main ol:not(.breadcrumb) li").first).to_contain_text(
        "SIM sbloccata · Mario Rossi"
    )


def test_lr_activates_an_offer_on_two_lines(page: Page, demo_site: str) -> None:
    sign_in(page, demo_site, "legale")
    open_section(page, "Offerte per te")
    assert_accessible(page, "legale-offers")
    page.get_by_role("link", name="Roaming Mondo Business").click()
    assert_accessible(page, "legale-offer-detail")
    page.get_by_label("+393352000007", exact=False).check()
    page.get_by_label("+393352000008", exact=False).check()
    page.get_by_role("button", name="Vedi il riepilogo dei costi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Riepilogo dell'attivazione")
    expect(page.get_by_role("table")).to_contain_text("30,00 €")
    assert_accessible(page, "legale-offer-summary")
    page.get_by_label("Ho letto e accetto le condizioni dell'offerta").check()
    page.get_by_role("button", name="Conferma l'attivazione").click()
    expect(page.get_by_text("l'offerta comparirà tra i servizi delle linee")).to_be_visible()
    assert_accessible(page, "legale-offer-requested")


def test_lr_chooses_lines_by_search_and_select_all(page: Page, demo_site: str) -> None:
    """The chooser without JavaScript's help: a search by Enter, "all the lines found",
    a tick after another search, and the choice is still whole in the summary."""
    sign_in(page, demo_site, "legale")
    page.goto(f"{demo_site}/offerte/roaming-mondo/")
    search = page.get_by_label("Numero, descrizione o assegnatario")
    search.fill("335200001")
    search.press("Enter")
    expect(page.get_by_role("table")).to_contain_text("10 linee trovate")
    page.get_by_role("button", name="Scegli tutte le 10 linee trovate").click()
    expect(page.get_by_text("Scelte tutte le 10 linee trovate.")).to_be_visible()
    expect(page.get_by_label("+393352000013")).to_be_checked()
    assert_accessible(page, "legale-offer-chooser")
    page.get_by_role("button", name="Mostra tutte le linee").click()
    page.get_by_label("+393352000002").check()
    page.get_by_role("button", name="Vedi il riepilogo dei costi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Riepilogo dell'attivazione")
    expect(page.get_by_text("su 11 linee")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("165,00 €")  # 11 × 15,00 €


def test_sim_change_form_shows_only_what_applies(page: Page, demo_site: str) -> None:
    sign_in(page, demo_site, "full")
    page.goto(f"{demo_site}/linee/")
    page.get_by_role("link", name="+393352000009").click()
    page.get_by_role("link", name="Cambia la SIM").click()
    report = page.get_by_label("Ufficio presso cui hai sporto denuncia")
    address = page.get_by_label("Indirizzo (via e numero civico)")
    expect(report).to_be_hidden()
    expect(address).to_be_visible()
    page.get_by_label("Motivo del cambio").select_option("THEFT_LOSS")
    expect(report).to_be_visible()
    page.get_by_role("radio", name="eSIM").check()
    expect(address).to_be_hidden()
    assert_accessible(page, "full-sim-change")


def test_lr_blocks_a_sim_with_the_keyboard_only(page: Page, demo_site: str) -> None:
    sign_in(page, demo_site, "legale")
    page.goto(f"{demo_site}/linee/")
    tab_to(page, "+393352000011")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("+393352000011")
    tab_to(page, "Blocca la SIM per furto o smarrimento")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Blocca la SIM +393352000011")
    tab_to(page, "Furto")  # into the radio group; the arrows choose within it
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Smarrimento")).to_be_checked()
    tab_to(page, "Continua")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Conferma il blocco della SIM")
    tab_to(page, "Conferma il blocco")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bloccata")
