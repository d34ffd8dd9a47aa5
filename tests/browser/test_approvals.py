"""Approvals (Validatori) as people live them: the LR sets the rules on the company page, the
FULL admin changes a SIM, which waits; the LR finds it from the header, reads it and
approves it. axe-core on the policy page, the queue and the decision page, the decision
page also at 390 px."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_journeys import assert_accessible, sign_in
from tests.browser.test_phone_layout import PHONE, layout_problems
from tracking.models import Request, RequestKind, RequestState

pytestmark = pytest.mark.browser


def test_a_sim_change_waits_until_the_lr_approves_it_from_the_header(
    browser: Browser, demo_site: str
) -> None:
    lr = browser.new_context(locale="it-IT", timezone_id="Europe/Rome")
    page = lr.new_page()
    sign_in(page, demo_site, "legale")
    page.goto(f"{demo_site}/profilo/")
    page.get_by_role("link", name="Approvazioni: quali richieste e chi le approva").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Approvazioni delle richieste")
    assert_accessible(page, "legale-approval-policy")
    page.get_by_label("Cambio SIM").check()
    expect(page.get_by_label("Approva chi è Rappresentante Legale")).to_be_checked()
    page.get_by_role("button", name="Salva le regole").click()
    expect(page.get_by_text("Regole di approvazione salvate.")).to_be_visible()

    full = browser.new_context(locale="it-IT", timezone_id="Europe/Rome")
    requester = full.new_page()
    sign_in(requester, demo_site, "full")
    requester.goto(f"{demo_site}/linee/")
    requester.get_by_role("link", name="+393352000009").click()
    requester.get_by_role("link", name="Cambia la SIM").click()
    requester.get_by_label("Motivo del cambio").select_option("FAULTY")
    requester.get_by_role("radio", name="eSIM").check()
    requester.get_by_label("E-mail a cui inviare il QR code dell'eSIM").fill("sim@example.com")
    requester.get_by_role("button", name="Invia la richiesta").click()
    expect(requester.get_by_text("salvata e in approvazione")).to_be_visible()
    tracked = Request.objects.get(kind=RequestKind.SIM_CHANGE, state=RequestState.AWAITING_APPROVAL)

    page.goto(f"{demo_site}/")
    page.get_by_role("link", name="Da approvare").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Richieste da approvare")
    assert_accessible(page, "legale-approval-list")
    page.get_by_role("link", name=tracked.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(tracked.reference)
    expect(page.get_by_text("sim@example.com")).to_be_visible()
    assert_accessible(page, "legale-approval-detail")
    page.set_viewport_size(PHONE)
    assert layout_problems(page) == []
    assert_accessible(page, "legale-approval-detail-390")
    page.get_by_role("button", name="Approva").click()
    expect(page.get_by_text(f"Richiesta {tracked.reference} approvata.")).to_be_visible()
    expect(page.get_by_role("link", name="Da approvare")).to_have_count(0)
    tracked.refresh_from_db()
    assert tracked.state == RequestState.SUBMITTED

    # The requester's request page now says it was sent on (approved).
    requester.goto(demo_site + reverse("support:request-detail", args=[tracked.reference]))
    expect(requester.get_by_text("Inviata", exact=True).first).to_be_visible()
    lr.close()
    full.close()


def test_the_requester_withdraws_a_request_waiting_for_approval(page: Page, demo_site: str) -> None:
    from accounts.models import Company, User
    from tracking import approvals

    lr = User.objects.get(username="legale")
    company = Company.objects.get(pk=lr.company_id)
    approvals.policy_update(
        actor=lr, company=company, kinds=["SIM_CHANGE"], legal_rep_approves=True, approvers=[]
    )
    sign_in(page, demo_site, "full")
    page.goto(f"{demo_site}/linee/")
    page.get_by_role("link", name="+393352000009").click()
    page.get_by_role("link", name="Cambia la SIM").click()
    page.get_by_label("Motivo del cambio").select_option("FAULTY")
    page.get_by_role("radio", name="eSIM").check()
    page.get_by_label("E-mail a cui inviare il QR code dell'eSIM").fill("sim@example.com")
    page.get_by_role("button", name="Invia la richiesta").click()
    tracked = Request.objects.get(kind=RequestKind.SIM_CHANGE, state=RequestState.AWAITING_APPROVAL)
    page.goto(demo_site + reverse("support:request-detail", args=[tracked.reference]))
    assert_accessible(page, "full-request-awaiting-approval")
    page.get_by_role("button", name="Ritira la richiesta").click()
    expect(page.get_by_text(f"Richiesta {tracked.reference} ritirata.")).to_be_visible()
    tracked.refresh_from_db()
    assert tracked.state == RequestState.CANCELLED
