"""Approvals (Validatori, T2): what the company's rules put on hold, the queue, the decision
bound to what the approver saw, and the requester's side (messages, e-mails, withdrawal)."""

from __future__ import annotations

import threading
from html import unescape
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry, User
from accounts.roles import Profile
from tests.accounts.helpers import signed_in
from tests.concurrency import twice_while_locked
from tests.conftest import World, client_for
from tests.factories import UserFactory
from tests.lines.test_sim_change import PHYSICAL
from tracking import approvals
from tracking.approval_policy import approvers_of
from tracking.models import (
    APPROVABLE_KINDS,
    ApprovalDecision,
    Channel,
    Request,
    RequestKind,
    RequestState,
)
from tracking.services import NoApprover, request_create, request_transition

pytestmark = pytest.mark.django_db

S = RequestState


def html(response: Any) -> str:
    return unescape(response.content.decode())


def rules(world: World, *, kinds: Any = None, lr: bool = True, named: Any = ()) -> None:
    approvals.policy_update(
        actor=world.lr,
        company=world.company,
        # PROFILE_CHANGE needs a named approver (only the LR asks for it).
        kinds=[k for k in APPROVABLE_KINDS if named or k != RequestKind.PROFILE_CHANGE]
        if kinds is None
        else kinds,
        legal_rep_approves=lr,
        approvers=list(named),
    )


def sim_change(world: World, client: Client | None = None) -> Request:
    """The FULL admin asks for a new SIM for the USER's line, from the line's page."""
    response = (client or signed_in(world.full)).post(
        reverse("lines:sim-change", args=[world.user_line.pk]), PHYSICAL
    )
    assert response.status_code == 302, html(response)
    return Request.objects.get(kind=RequestKind.SIM_CHANGE)


def decide(client: Client, tracked: Request, decision: str, note: str = "") -> Any:
    url = reverse("tracking:approval-detail", args=[tracked.reference])
    page = html(client.get(url))
    seen = page.split('name="seen" value="')[1].split('"')[0]
    return client.post(url, {"decision": decision, "note": note, "seen": seen})


def test_a_sim_change_that_needs_approval_waits_and_says_so(world: World) -> None:
    rules(world)
    client = signed_in(world.full)
    response = client.post(
        reverse("lines:sim-change", args=[world.user_line.pk]), PHYSICAL, follow=True
    )
    tracked = Request.objects.get(kind=RequestKind.SIM_CHANGE)
    assert tracked.state == S.AWAITING_APPROVAL
    assert f"Richiesta {tracked.reference} salvata e in approvazione" in html(response)
    # The back office does not see it among its work, nor may it move it.
    office = client_for(world.staff).get(reverse("backoffice:index"))
    assert tracked.reference not in html(office)
    with pytest.raises(Exception, match="is not allowed"):
        request_transition(request=tracked, to_state=S.IN_PROGRESS, actor=world.staff)
    # The customer's "open" filter still lists it.
    mine = client.get(reverse("tracking:index"), {"state": "OPEN"})
    assert tracked.reference in html(mine)


def test_approved_it_reaches_the_back_office_and_the_requester_hears_who(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    rules(world)
    with django_capture_on_commit_callbacks(execute=True):
        tracked = sim_change(world)
    # The LR hears of it by e-mail, with an absolute link to the decision page.
    announce = next(m for m in mail.outbox if world.lr.email in m.to)
    assert "Da approvare" in announce.subject
    link = f"{settings.SITE_URL}/tracking/approvazioni/{tracked.reference}/"
    assert link in announce.body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(signed_in(world.lr), tracked, "approve")
    assert response.status_code == 302
    tracked.refresh_from_db()
    assert tracked.state == S.SUBMITTED
    decision = ApprovalDecision.objects.get(request=tracked)
    assert decision.approved and decision.decided_by == world.lr
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.REQUEST_APPROVED, actor=world.lr
    ).exists()
    [update] = mail.outbox
    assert update.to == [world.full.email] and "Inviata" in update.subject
    assert f"L'ha approvata {world.lr.get_full_name()}" in update.body
    office = client_for(world.staff).get(reverse("backoffice:index"))
    assert tracked.reference in html(office)


def test_a_rejection_needs_a_note_which_the_requester_reads(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    rules(world)
    tracked = sim_change(world)
    approver = signed_in(world.lr)
    response = decide(approver, tracked, "reject")
    assert "scrivi il motivo" in html(response)
    tracked.refresh_from_db()
    assert tracked.state == S.AWAITING_APPROVAL
    with django_capture_on_commit_callbacks(execute=True):
        decide(approver, tracked, "reject", note="Abbiamo SIM di scorta in ufficio.")
    tracked.refresh_from_db()
    assert tracked.state == S.REJECTED
    [update] = mail.outbox
    assert "Respinta" in update.subject
    assert "Nota di" in update.body and "SIM di scorta" in update.body
    # The requester's page shows the reason.
    page = html(signed_in(world.full).get(reverse("tracking:detail", args=[tracked.reference])))
    assert "SIM di scorta" in page
    # The decided request's page says who decided, to a colleague too.
    page = html(approver.get(reverse("tracking:approval-detail", args=[tracked.reference])))
    assert f"Respinta da {world.lr.get_full_name()}" in page and 'name="seen"' not in page


def test_nobody_approves_their_own_request(world: World) -> None:
    rules(world, named=[world.full])
    tracked = sim_change(world)  # by the FULL admin, a validatore
    assert tracked.reference not in html(
        signed_in(world.full).get(reverse("tracking:approval-list"))
    )
    with pytest.raises(approvals.ApprovalRefused, match="tua richiesta"):
        approvals.request_decide(
            request=tracked,
            approver=world.full,
            approve=True,
            note="",
            seen=approvals.fingerprint(tracked),
        )
    page = html(
        signed_in(world.full).get(reverse("tracking:approval-detail", args=[tracked.reference]))
    )
    assert "È una tua richiesta" in page and 'name="seen"' not in page


def test_no_other_approver_refuses_the_request(world: World) -> None:
    rules(world, lr=False, named=[world.full])
    client = signed_in(world.full)
    response = client.post(reverse("lines:sim-change", args=[world.user_line.pk]), PHYSICAL)
    assert response.status_code == 200
    # The FULL does not set the rules: told who does (from the matrix).
    assert "chiedi a chi ha il profilo Rappresentante Legale di scegliere chi approva" in html(
        response
    )
    assert not Request.objects.filter(kind=RequestKind.SIM_CHANGE).exists()
    with pytest.raises(NoApprover):
        request_create(
            company=world.company,
            kind=RequestKind.OFFER,
            summary="x",
            requester=world.full,
        )


def test_other_channels_and_other_kinds_do_not_wait(world: World) -> None:
    rules(world)
    phone = request_create(
        company=world.company, kind=RequestKind.SIM_CHANGE, summary="x", channel=Channel.PHONE
    )
    fault = request_create(
        company=world.company, kind=RequestKind.FAULT, summary="x", requester=world.full
    )
    assert phone.state == fault.state == S.SUBMITTED


def test_a_request_changed_after_the_page_was_shown_is_not_approved(world: World) -> None:
    rules(world)
    tracked = sim_change(world)
    client = signed_in(world.lr)
    url = reverse("tracking:approval-detail", args=[tracked.reference])
    page = html(client.get(url))
    seen = page.split('name="seen" value="')[1].split('"')[0]
    # Meanwhile the SIM goes to another address.
    tracked.details["delivery"]["street"] = "Via Altrove 1"
    tracked.save(update_fields=["details"])
    response = client.post(url, {"decision": "approve", "note": "", "seen": seen})
    assert "è cambiata dopo che l'hai aperta" in html(response)
    tracked.refresh_from_db()
    assert tracked.state == S.AWAITING_APPROVAL
    assert not ApprovalDecision.objects.exists()
    # Read again, it may be approved as it is now.
    assert "Via Altrove 1" in html(response)
    assert decide(client, tracked, "approve").status_code == 302


def test_a_named_full_demoted_to_light_no_longer_approves(world: World) -> None:
    rules(world, named=[world.full])
    tracked = sim_change(world, signed_in(world.lr))
    assert list(approvals.pending_for(user=world.full)) == [tracked]
    world.full.profile = Profile.LIGHT
    world.full.save(update_fields=["profile"])
    assert world.full not in approvers_of(world.company)
    assert list(approvals.pending_for(user=world.full)) == []
    with pytest.raises(approvals.ApprovalRefused, match="Non sei tra le persone che approvano"):
        approvals.request_decide(
            request=tracked,
            approver=world.full,
            approve=True,
            note="",
            seen=approvals.fingerprint(tracked),
        )


def test_a_full_not_named_sees_an_empty_queue_that_says_why(world: World) -> None:
    rules(world)  # the LR alone approves
    response = signed_in(world.full).get(reverse("tracking:approval-list"))
    assert response.status_code == 200
    assert "Non sei tra le persone che approvano" in html(response)
    assert "Nessuna richiesta da approvare" in html(response)


def test_the_requester_may_withdraw_while_it_waits(world: World) -> None:
    rules(world)
    tracked = sim_change(world)
    detail = reverse("support:request-detail", args=[tracked.reference])
    client = signed_in(world.full)
    assert "Ritira la richiesta" in html(client.get(detail))
    # Someone else may not.
    other = signed_in(world.lr).post(reverse("tracking:request-withdraw", args=[tracked.reference]))
    assert other.status_code == 404
    response = client.post(reverse("tracking:request-withdraw", args=[tracked.reference]))
    assert response.status_code == 302
    tracked.refresh_from_db()
    assert tracked.state == S.CANCELLED
    assert tracked.events.filter(to_state=S.CANCELLED, actor=world.full).exists()
    assert tracked not in approvals.pending_for(user=world.lr)
    # Once not waiting, it cannot be withdrawn (nor decided).
    again = client.post(reverse("tracking:request-withdraw", args=[tracked.reference]), follow=True)
    assert "non è più in approvazione" in html(again)


def test_the_header_shows_the_count_to_approvers_only(world: World) -> None:
    rules(world)
    tracked = sim_change(world)
    page = html(signed_in(world.lr).get(reverse("dashboard")))
    assert reverse("tracking:approval-list") in page
    assert "Da approvare" in page
    for person in (world.full, world.user):
        assert "Da approvare" not in html(signed_in(person).get(reverse("dashboard")))
    assert tracked.state == S.AWAITING_APPROVAL


def test_the_header_count_costs_one_query_for_approvers_none_for_others(world: World) -> None:
    from area_clienti.context_processors import Inbox

    rules(world)
    sim_change(world)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert Inbox(world.lr).approvals == 1
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        assert Inbox(world.user).approvals == 0
    assert len(queries) == 0


def test_the_header_count_is_the_length_of_each_approvers_queue(world: World) -> None:
    """The header counts in plain SQL what the queue lists through the ORM: for the LR and a
    named FULL, a FULL not named and the others; never one's own request; a requester who
    left still counts; decided requests and other companies' do not."""
    rules(world, named=[world.full])
    _by_full, _by_lr, _by_light, orphan, withdrawn = (
        request_create(
            company=world.company, kind=RequestKind.OFFER, summary=f"Offerta {n}", requester=who
        )
        for n, who in enumerate((world.full, world.lr, world.light, world.light, world.user))
    )
    Request.objects.filter(pk=orphan.pk).update(requester=None)
    Request.objects.filter(pk=withdrawn.pk).update(state=S.CANCELLED)
    rules_elsewhere = UserFactory(company=world.outsider_company, profile=Profile.FULL)
    request_create(
        company=world.outsider_company,
        kind=RequestKind.OFFER,
        summary="Altrove",
        requester=rules_elsewhere,
    )
    other_full = UserFactory(company=world.company, profile=Profile.FULL)
    people = (world.lr, world.full, other_full, world.light, world.user, world.outsider_lr)

    def counts() -> list[tuple[int, int]]:
        return [
            (approvals.pending_count(user=p), approvals.pending_for(user=p).count()) for p in people
        ]

    assert counts() == [(3, 3), (3, 3), (0, 0), (0, 0), (0, 0), (0, 0)]
    rules(world, lr=False, named=[world.full, other_full])
    assert counts() == [(0, 0), (3, 3), (4, 4), (0, 0), (0, 0), (0, 0)]


def test_the_queue_costs_the_same_whatever_its_length(
    world: World,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    rules(world)
    client = signed_in(world.lr)
    for n in range(3):
        line = world.full_line if n == 0 else world.spare_line if n == 1 else world.delegated_line
        request_create(
            company=world.company,
            kind=RequestKind.SIM_CHANGE,
            summary=f"Cambio {n}",
            requester=world.full,
            line=line,
        )
    url = reverse("tracking:approval-list")
    client.get(url)  # sessions, caches
    with django_assert_max_num_queries(12) as three:
        response = client.get(url)
    assert html(response).count("/tracking/approvazioni/RC") == 3
    request_create(
        company=world.company, kind=RequestKind.OFFER, summary="Altro", requester=world.full
    )
    with django_assert_max_num_queries(len(three)):
        client.get(url)


def test_approval_pages_trio(world: World) -> None:
    rules(world)
    tracked = sim_change(world)
    detail = reverse("tracking:approval-detail", args=[tracked.reference])
    # T2 holders only: the USER and the LIGHT admin are refused.
    for person in (world.user, world.light):
        assert signed_in(person).get(reverse("tracking:approval-list")).status_code == 403
        assert signed_in(person).get(detail).status_code == 403
    # Another company's approver: 404.
    assert signed_in(world.outsider_lr).get(detail).status_code == 404
    # A request that never needed approval: 404 here too.
    plain = request_create(company=world.company, kind=RequestKind.FAULT, summary="x")
    url = reverse("tracking:approval-detail", args=[plain.reference])
    assert signed_in(world.lr).get(url).status_code == 404
    assert signed_in(world.lr).get(detail).status_code == 200


def test_the_order_shows_its_sims_to_the_approver(world: World) -> None:
    rules(world)
    tracked = request_create(
        company=world.company,
        kind=RequestKind.EXPANSION,
        summary="3 SIM Business",
        requester=world.full,
        details={
            "sim_kind": "ESIM",
            "esim_email": "sim@example.com",
            "quantity": 2,
            "sims": [
                {"position": 1, "assignee": world.user.username, "port_in": None},
                {
                    "position": 2,
                    "assignee": None,
                    "port_in": {"number": "+393471234567", "donor": "TIM"},
                },
            ],
        },
    )
    page = html(
        signed_in(world.lr).get(reverse("tracking:approval-detail", args=[tracked.reference]))
    )
    assert "SIM ordinate" in page and "+393471234567" in page
    assert f'<td data-label="Assegnata a">{world.user.get_full_name()}</td>' in page
    assert "sim@example.com" in page


def test_the_api_offers_no_move_while_it_waits(world: World) -> None:
    from api.fulfilment import allowed_states

    rules(world)
    assert allowed_states(sim_change(world)) == []


@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_make_one_decision() -> None:
    from tests.conftest import build_world

    world = build_world()
    requester = UserFactory(company=world.company, profile=Profile.FULL)
    rules(world, named=[world.full])
    tracked = request_create(
        company=world.company, kind=RequestKind.OFFER, summary="Offerta", requester=requester
    )
    seen = approvals.fingerprint(tracked)
    deciders: list[User] = [world.lr, world.full]
    guard = threading.Lock()

    def decide_now() -> object:
        with guard:
            approver = deciders.pop()
        return approvals.request_decide(
            request=tracked, approver=approver, approve=True, note="", seen=seen
        )

    answers = twice_while_locked(decide_now, Request.objects.filter(pk=tracked.pk))
    decided = [a for a in answers if isinstance(a, Request)]
    refused = [a for a in answers if isinstance(a, approvals.ApprovalRefused)]
    assert len(decided) == 1 and len(refused) == 1, answers
    assert "già stata decisa" in str(refused[0])
    assert ApprovalDecision.objects.filter(request=tracked).count() == 1
    assert Request.objects.get(pk=tracked.pk).events.filter(to_state=S.SUBMITTED).count() == 1


def test_an_offer_activation_waits_and_the_named_full_approves_it(world: World) -> None:
    from tests.factories import OfferFactory
    from tests.offers.helpers import activate

    rules(world, named=[world.full])
    offer = OfferFactory()
    client = signed_in(world.lr)
    response = activate(client, offer, [world.lr_line])
    assert response.status_code == 302
    page = html(client.get(response["Location"]))
    tracked = Request.objects.get(kind=RequestKind.OFFER)
    assert tracked.state == S.AWAITING_APPROVAL
    assert f"Richiesta {tracked.reference} salvata e in approvazione" in page
    assert decide(signed_in(world.full), tracked, "approve").status_code == 302
    tracked.refresh_from_db()
    assert tracked.state == S.SUBMITTED


def test_a_direct_debit_waits_for_approval(world: World) -> None:
    from tests.billing.test_billing_requests import DEBIT

    rules(world, named=[world.full])
    client = signed_in(world.lr)
    data = {**DEBIT, "holder_tax_code": world.company.vat_number}
    response = client.post(reverse("billing:direct-debit"), data, follow=True)
    tracked = Request.objects.get(kind=RequestKind.DIRECT_DEBIT)
    assert tracked.state == S.AWAITING_APPROVAL
    assert "in approvazione" in html(response)
    assert tracked.reference not in html(client_for(world.staff).get(reverse("backoffice:index")))
    assert "IT60X0542811101000000123456" in html(
        signed_in(world.full).get(reverse("tracking:approval-detail", args=[tracked.reference]))
    )
