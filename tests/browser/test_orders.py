"""Ordina nuove SIM in a real browser: an Amministratore Full orders two SIMs, one keeping
its number from another operator, then changes the order while it waits for approval;
axe-core on the form pages and the order's page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Company
from tests.browser.test_journeys import assert_accessible, open_section, sign_in
from tests.factories import _codice_fiscale, _iccid
from tracking.models import ApprovalPolicy, RequestKind

pytestmark = pytest.mark.browser


def test_full_orders_two_sims_one_with_portability(page: Page, demo_site: str) -> None:
    # The company's rules hold new SIMs for a validator (the LR): the order can be changed.
    rossi = Company.objects.get(customer_code="CB1000001")
    ApprovalPolicy.objects.update_or_create(
        company=rossi, defaults={"kinds": [RequestKind.EXPANSION], "legal_rep_approves": True}
    )
    sign_in(page, demo_site, "full")
    open_section(page, "Linee e servizi")
    page.get_by_role("link", name="Ordina nuove SIM").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ordina nuove SIM")
    assert_accessible(page, "full-order-start")
    page.get_by_label("Business Smart 50 GB").check()
    page.get_by_label("Quante SIM").fill("2")
    page.get_by_label("SIM fisica").check()
    page.get_by_role("button", name="Avanti").click()

    expect(page.get_by_text("Passo 2 di 2")).to_be_visible()
    port = page.get_by_label("Porta un numero esistente")
    expect(port).to_have_count(2)
    numbers = page.get_by_label("Numero da portare")
    expect(numbers.nth(1)).to_be_hidden()  # shown only for a SIM that keeps its number
    port.nth(1).check()
    expect(numbers.nth(1)).to_be_visible()
    assert_accessible(page, "full-order-sims")
    page.get_by_label("Assegnataria o assegnatario").first.select_option(label="Laura Conti")
    numbers.nth(1).fill("345 6789012")
    page.get_by_label("Operatore di provenienza").nth(1).select_option(label="WINDTRE")
    page.get_by_label("ICCID della SIM attuale").nth(1).fill(_iccid(4321))
    page.get_by_label("Codice fiscale dell'intestatario").nth(1).fill(_codice_fiscale(9))
    page.get_by_role("button", name="Invia l'ordine").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(r"Ordine RC\w+"))
    expect(page.get_by_text("è in approvazione")).to_be_visible()
    sims = page.get_by_role("table")
    expect(sims).to_contain_text("Laura Conti")
    expect(sims).to_contain_text("+393456789012")
    expect(sims).to_contain_text("Richiesta")
    assert_accessible(page, "full-order-detail")

    # At 390 px, the change of the order: one SIM more.
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="Modifica l'ordine").click()
    expect(page.get_by_label("Quante SIM")).to_have_value("2")
    page.get_by_label("Quante SIM").fill("3")
    page.get_by_role("button", name="Avanti").click()
    expect(page.get_by_label("Porta un numero esistente")).to_have_count(3)
    expect(page.get_by_label("Numero da portare").nth(1)).to_have_value("+39 345 678 9012")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "full-order-edit-phone")
    page.get_by_role("button", name="Salva le modifiche").click()
    expect(page.get_by_text("va approvato di nuovo")).to_be_visible()
    expect(page.locator("main .timeline")).to_contain_text("Ordine modificato")

    page.goto(f"{demo_site}/linee/ordini/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ordini di SIM")
    assert_accessible(page, "full-order-list-phone")
