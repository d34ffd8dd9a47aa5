"""The LR's rules of approval (D9) on the company page, and giving the FULL profile when
the rules say a validatore approves it (R2, R5)."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import AuditEntry
from accounts.roles import Profile
from tests.accounts.helpers import employee_form, signed_in
from tests.conftest import World
from tests.factories import UserFactory
from tracking import approvals
from tracking.models import ApprovalPolicy, Request, RequestKind, RequestState

pytestmark = pytest.mark.django_db

URL = "/profilo/approvazioni/"


def html(response: Any) -> str:
    return unescape(response.content.decode())


def test_the_lr_reaches_the_page_from_the_company_page(world: World) -> None:
    assert reverse("accounts:approval-policy") == URL
    client = signed_in(world.lr)
    assert URL in html(client.get(reverse("accounts:profile")))
    page = html(client.get(URL))
    assert "Ordini di nuove SIM" in page and "Approva chi è Rappresentante Legale" in page
    # The company's active FULL admins are offered; the others are not.
    assert world.full.get_full_name() in page
    assert world.light.get_full_name() not in page


@pytest.mark.parametrize("profile", [Profile.FULL, Profile.LIGHT, Profile.USER])
def test_only_the_lr_sets_the_rules(profile: Profile, world: World) -> None:
    client = signed_in(world.by_profile(profile))
    assert client.get(URL).status_code == 403
    data = {"kinds": ["SIM_CHANGE"], "legal_rep_approves": "on"}
    assert client.post(URL, data).status_code == 403
    assert URL not in html(client.get(reverse("accounts:profile")))
    assert not ApprovalPolicy.objects.exists()


def test_the_rules_are_saved_and_audited(world: World) -> None:
    client = signed_in(world.lr)
    data = {"kinds": ["SIM_CHANGE", "EXPANSION"], "approvers": [world.full.pk]}
    response = client.post(URL, data, follow=True)
    assert "Regole di approvazione salvate" in html(response)
    policy = ApprovalPolicy.objects.get(company=world.company)
    assert sorted(policy.kinds) == ["EXPANSION", "SIM_CHANGE"]
    assert not policy.legal_rep_approves and list(policy.approvers.all()) == [world.full]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.APPROVAL_POLICY_CHANGED)
    assert entry.actor == world.lr and entry.changes["to"]["kinds"] == ["EXPANSION", "SIM_CHANGE"]
    # Saved again unchanged: nothing more in the log.
    client.post(URL, data)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.APPROVAL_POLICY_CHANGED).count() == 1
    # The page shows the rules as saved.
    page = client.get(URL)
    assert page.context["form"].initial["kinds"] == ["EXPANSION", "SIM_CHANGE"]


def test_a_kind_with_nobody_approving_is_refused(world: World) -> None:
    response = signed_in(world.lr).post(URL, {"kinds": ["OFFER"]})
    assert response.status_code == 200
    assert "nessuno che le approvi" in html(response)
    assert not ApprovalPolicy.objects.exists()


def test_bad_input_is_a_message_not_an_error(world: World) -> None:
    client = signed_in(world.lr)
    response = client.post(URL, {"kinds": ["TOP_UP"], "approvers": [world.outsider_lr.pk]})
    assert response.status_code == 200
    page = html(response)
    assert "TOP_UP non è tra quelle disponibili" in " ".join(
        response.context["form"].errors["kinds"]
    )
    assert "non ha più il profilo Amministratore Full" in page
    assert not ApprovalPolicy.objects.exists()


def test_the_page_warns_when_one_validatore_only(world: World) -> None:
    client = signed_in(world.lr)
    client.post(URL, {"kinds": ["SIM_CHANGE"], "legal_rep_approves": "on"})
    assert "Approva una sola persona" in html(client.get(URL))


def _give_full(world: World, person: Any) -> Any:
    return signed_in(world.lr).post(
        reverse("accounts:employee-edit", args=[person.pk]),
        employee_form(person, profile=Profile.FULL, confirmed="1"),
        follow=True,
    )


def test_giving_full_waits_for_approval_then_applies(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    approvals.policy_update(
        actor=world.lr,
        company=world.company,
        kinds=["PROFILE_CHANGE"],
        legal_rep_approves=True,
        approvers=[world.full],
    )
    response = _give_full(world, world.user)
    world.user.refresh_from_db()
    assert world.user.profile == Profile.USER  # not yet
    tracked = Request.objects.get(kind=RequestKind.PROFILE_CHANGE)
    assert tracked.state == RequestState.AWAITING_APPROVAL and tracked.requester == world.lr
    assert "in approvazione" in html(response)
    # The employees page shows the change waiting.
    employees = html(signed_in(world.lr).get(reverse("accounts:employees")))
    assert f"Amministratore Full in approvazione ({tracked.reference})" in employees
    # Asked again while it waits: refused, nothing new.
    assert "aspetta già l'approvazione" in html(_give_full(world, world.user))
    assert Request.objects.filter(kind=RequestKind.PROFILE_CHANGE).count() == 1
    # The FULL validatore approves: applied at once, audited with the LR as the actor.
    with django_capture_on_commit_callbacks(execute=True):
        approvals.request_decide(
            request=tracked,
            approver=world.full,
            approve=True,
            note="",
            seen=approvals.fingerprint(tracked),
        )
    world.user.refresh_from_db()
    tracked.refresh_from_db()
    assert world.user.profile == Profile.FULL and tracked.state == RequestState.COMPLETED
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PROFILE_CHANGED, target=world.user)
    assert entry.actor == world.lr and entry.changes == {"from": "USER", "to": "FULL"}
    assert any(world.user.email in message.to for message in mail.outbox)


def test_a_profile_changed_since_the_request_is_not_applied(world: World) -> None:
    approvals.policy_update(
        actor=world.lr,
        company=world.company,
        kinds=["PROFILE_CHANGE"],
        legal_rep_approves=True,
        approvers=[world.full],
    )
    _give_full(world, world.user)
    tracked = Request.objects.get(kind=RequestKind.PROFILE_CHANGE)
    world.user.profile = Profile.LIGHT  # meanwhile, the 191 changed it
    world.user.save(update_fields=["profile"])
    with pytest.raises(approvals.ApprovalRefused, match="è cambiato dopo la richiesta"):
        approvals.request_decide(
            request=tracked,
            approver=world.full,
            approve=True,
            note="",
            seen=approvals.fingerprint(tracked),
        )
    tracked.refresh_from_db()
    world.user.refresh_from_db()
    assert tracked.state == RequestState.AWAITING_APPROVAL and world.user.profile == Profile.LIGHT


def test_other_profile_changes_do_not_wait(world: World) -> None:
    approvals.policy_update(
        actor=world.lr,
        company=world.company,
        kinds=["PROFILE_CHANGE"],
        legal_rep_approves=True,
        approvers=[world.full],
    )
    signed_in(world.lr).post(
        reverse("accounts:employee-edit", args=[world.user.pk]),
        employee_form(world.user, profile=Profile.LIGHT, confirmed="1"),
    )
    world.user.refresh_from_db()
    assert world.user.profile == Profile.LIGHT
    assert not Request.objects.exists()


def test_giving_full_with_the_lr_as_only_validatore_is_refused(world: World) -> None:
    # The rules as left when the only named person stopped approving (the page refuses them).
    ApprovalPolicy.objects.create(
        company=world.company, kinds=["PROFILE_CHANGE"], legal_rep_approves=True
    )
    other = UserFactory(company=world.company, profile=Profile.USER)
    response = _give_full(world, other)
    # The LR sets the rules: told to choose who approves.
    assert "nessun altro può farlo: scegli chi approva" in html(response)
    other.refresh_from_db()
    assert other.profile == Profile.USER and not Request.objects.exists()
