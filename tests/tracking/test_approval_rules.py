"""What happens to the approvals when the rules or the people change: nothing waits
forever, nothing skips the approval."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import AuditEntry, Invitation
from accounts.roles import Profile
from accounts.services import invitation_create
from core.exceptions import ActionRefused
from tests.accounts.helpers import employee_form, signed_in
from tests.concurrency import twice_while_locked
from tests.conftest import World
from tests.factories import UserFactory
from tests.tracking.test_approvals import html, rules, sim_change
from tracking import approvals
from tracking.approval_policy import approvers_of
from tracking.models import ApprovalDecision, ApprovalPolicy, Request, RequestKind, RequestState
from tracking.services import request_create

pytestmark = pytest.mark.django_db

S = RequestState
POLICY = "/profilo/approvazioni/"


def test_an_invitation_cannot_give_full_while_giving_full_waits(world: World) -> None:
    rules(world, kinds=["PROFILE_CHANGE"], named=[world.full])
    client = signed_in(world.lr)
    page = client.get(reverse("accounts:invite"))
    choices = [value for value, _label in page.context["form"].fields["profile"].choices]
    assert Profile.FULL not in choices and Profile.LIGHT in choices
    assert "si dà dopo, dalla pagina del dipendente" in html(page)
    with pytest.raises(ActionRefused, match="si dà dopo"):
        invitation_create(
            actor=world.lr,
            first_name="Giulia",
            last_name="Neri",
            email="giulia.neri@acme.example.it",
            tax_code="NRIGLI80A41H501X",
            profile=Profile.FULL,
            lines=[],
            base_url="http://testserver",
        )
    assert not Invitation.objects.exists()


def test_without_the_rule_an_invitation_may_give_full(world: World) -> None:
    rules(world, kinds=["SIM_CHANGE"])
    page = signed_in(world.lr).get(reverse("accounts:invite"))
    choices = [value for value, _label in page.context["form"].fields["profile"].choices]
    assert Profile.FULL in choices


def test_a_kind_no_longer_listed_is_released_to_the_back_office(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    rules(world, kinds=["SIM_CHANGE", "OFFER"])
    tracked = sim_change(world)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        rules(world, kinds=["OFFER"])
    tracked.refresh_from_db()
    assert tracked.state == S.SUBMITTED
    assert tracked.events.filter(note__startswith="Approvazione non più richiesta").exists()
    assert any(world.full.email in message.to for message in mail.outbox)


def test_rules_leaving_a_waiting_request_without_approver_are_refused(world: World) -> None:
    rules(world, kinds=["SIM_CHANGE"])  # the LR alone approves
    tracked = sim_change(world)  # the FULL asks
    response = signed_in(world.lr).post(POLICY, {"kinds": ["SIM_CHANGE"]}, follow=True)
    assert "nessuno che le approvi" in html(response)
    with pytest.raises(ActionRefused, match=tracked.reference):
        approvals.policy_update(
            actor=world.lr,
            company=world.company,
            kinds=["SIM_CHANGE"],
            legal_rep_approves=False,
            approvers=[world.full],  # the requester only
        )
    policy = ApprovalPolicy.objects.get(company=world.company)
    assert policy.legal_rep_approves and not policy.approvers.exists()
    tracked.refresh_from_db()
    assert tracked.state == S.AWAITING_APPROVAL


def test_the_only_named_approver_demoted_leaves_and_releases_the_waiting(world: World) -> None:
    rules(world, kinds=["SIM_CHANGE"], lr=False, named=[world.full])
    tracked = sim_change(world, signed_in(world.lr))  # waits for the FULL
    signed_in(world.lr).post(
        reverse("accounts:employee-edit", args=[world.full.pk]),
        employee_form(world.full, profile=Profile.LIGHT, confirmed="1"),
    )
    world.full.refresh_from_db()
    assert world.full.profile == Profile.LIGHT
    policy = ApprovalPolicy.objects.get(company=world.company)
    assert not policy.approvers.exists()
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.APPROVAL_POLICY_CHANGED).latest("pk")
    assert entry.changes["from"]["approvers"] and not entry.changes["to"]["approvers"]
    tracked.refresh_from_db()
    assert tracked.state == S.SUBMITTED
    # The LR's page says nobody approves the listed kinds now.
    assert "Nessuno può approvare" in html(signed_in(world.lr).get(POLICY))


def test_profile_changes_need_someone_besides_the_lr(world: World) -> None:
    response = signed_in(world.lr).post(
        POLICY, {"kinds": ["PROFILE_CHANGE"], "legal_rep_approves": "on"}
    )
    assert response.status_code == 200
    assert "scegli almeno un'altra persona" in html(response)
    assert not ApprovalPolicy.objects.exists()
    with pytest.raises(ActionRefused, match="almeno un'altra persona"):
        approvals.policy_update(
            actor=world.lr,
            company=world.company,
            kinds=["PROFILE_CHANGE"],
            legal_rep_approves=True,
            approvers=[],
        )


def test_a_direct_profile_change_cancels_the_one_waiting(world: World) -> None:
    rules(world, kinds=["PROFILE_CHANGE"], named=[world.full])
    client = signed_in(world.lr)
    client.post(
        reverse("accounts:employee-edit", args=[world.user.pk]),
        employee_form(world.user, profile=Profile.FULL, confirmed="1"),
    )
    tracked = Request.objects.get(kind=RequestKind.PROFILE_CHANGE)
    assert tracked.state == S.AWAITING_APPROVAL
    client.post(
        reverse("accounts:employee-edit", args=[world.user.pk]),
        employee_form(world.user, profile=Profile.LIGHT, confirmed="1"),
    )
    world.user.refresh_from_db()
    tracked.refresh_from_db()
    assert world.user.profile == Profile.LIGHT
    assert tracked.state == S.CANCELLED
    assert tracked.events.filter(note__contains="non serve più").exists()


def test_the_back_office_cannot_work_a_request_awaiting_approval(world: World) -> None:
    rules(world, kinds=["SIM_CHANGE"])
    tracked = sim_change(world)
    page = html(signed_in(world.staff).get(reverse("backoffice:request-detail", args=[tracked.pk])))
    assert "Lavora la richiesta" not in page
    assert "aspetta l'approvazione dell'azienda" in page


def test_the_audit_log_shows_the_rules_changed_in_words(world: World) -> None:
    rules(world, kinds=["SIM_CHANGE"])
    rules(world, kinds=["OFFER"], named=[world.full])
    page = html(signed_in(world.lr).get(reverse("accounts:audit-log")))
    assert "Richieste da approvare: + Attivazione di offerte, − Cambio SIM" in page
    assert f"Chi approva: + {world.full}" in page
    assert "'kinds'" not in page


@pytest.mark.parametrize(
    ("lr", "named"), [(True, False), (False, True), (True, True)], ids=["lr", "named", "both"]
)
def test_who_approves_is_the_same_for_the_queue_and_the_decision(
    world: World, lr: bool, named: bool
) -> None:
    """`approvers_of` (the decision, the e-mails) and `pending_for` (the queue, the header)
    say who approves in two queries: they agree for every persona."""
    rules(world, kinds=["OFFER"], lr=lr, named=[world.full] if named else [])
    requester = UserFactory(company=world.company, profile=Profile.FULL)
    request_create(company=world.company, kind=RequestKind.OFFER, summary="x", requester=requester)
    for person in (world.lr, world.full, world.light, world.user, world.outsider_lr):
        assert approvals.pending_for(user=person).exists() == (
            person in approvers_of(world.company)
        ), person


def test_a_deactivated_approver_cannot_approve(world: World) -> None:
    rules(world, kinds=["OFFER"], named=[world.full])
    tracked = request_create(
        company=world.company, kind=RequestKind.OFFER, summary="x", requester=world.lr
    )
    world.full.is_active = False
    world.full.save(update_fields=["is_active"])
    with pytest.raises(approvals.ApprovalRefused, match="Non sei tra le persone che approvano"):
        approvals.request_decide(
            request=tracked,
            approver=world.full,
            approve=True,
            note="",
            seen=approvals.fingerprint(tracked),
        )
    tracked.refresh_from_db()
    assert tracked.state == S.AWAITING_APPROVAL


@pytest.mark.django_db(transaction=True)
def test_approving_while_the_requester_withdraws_makes_one_outcome() -> None:
    from tests.conftest import build_world

    world = build_world()
    rules(world, kinds=["OFFER"])
    tracked = request_create(
        company=world.company, kind=RequestKind.OFFER, summary="Offerta", requester=world.full
    )
    seen = approvals.fingerprint(tracked)
    calls: list[Callable[[], object]] = [
        lambda: approvals.request_decide(
            request=tracked, approver=world.lr, approve=True, note="", seen=seen
        ),
        lambda: approvals.request_withdraw(request=tracked, actor=world.full),
    ]
    guard = threading.Lock()

    def one_of_them() -> object:
        with guard:
            call = calls.pop()
        return call()

    answers = twice_while_locked(one_of_them, Request.objects.filter(pk=tracked.pk))
    done = [a for a in answers if isinstance(a, Request)]
    refused = [a for a in answers if isinstance(a, approvals.ApprovalRefused)]
    assert len(done) == 1 and len(refused) == 1, answers
    tracked.refresh_from_db()
    decided = ApprovalDecision.objects.filter(request=tracked).exists()
    # Either approved (and not withdrawn) or withdrawn (and not approved), never both.
    assert (tracked.state, decided) in {(S.SUBMITTED, True), (S.CANCELLED, False)}
    assert tracked.events.filter(to_state__in=[S.SUBMITTED, S.CANCELLED]).count() == 1


def test_an_offer_on_many_lines_shows_them_and_its_lines_are_what_is_approved(
    world: World,
) -> None:
    from offers.models import ActivationLine
    from tests.factories import OfferFactory
    from tests.offers.helpers import activate

    rules(world, kinds=["OFFER"], named=[world.full])
    chosen = [world.lr_line, world.user_line, world.spare_line]
    assert activate(signed_in(world.lr), OfferFactory(), chosen).status_code == 302
    tracked = Request.objects.get(kind=RequestKind.OFFER)
    approver = signed_in(world.full)
    url = reverse("tracking:approval-detail", args=[tracked.reference])
    page = html(approver.get(url))
    assert "3 linee" in page
    assert all(line.number in page for line in chosen)
    seen = page.split('name="seen" value="')[1].split('"')[0]
    # One line leaves the request after the page was shown: not what was approved.
    ActivationLine.objects.filter(request=tracked, line=world.spare_line).delete()
    response = approver.post(url, {"decision": "approve", "note": "", "seen": seen})
    assert "è cambiata dopo che l'hai aperta" in html(response)
    tracked.refresh_from_db()
    assert tracked.state == S.AWAITING_APPROVAL
