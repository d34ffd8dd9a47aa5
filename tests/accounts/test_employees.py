"""Employees and web profiles on "Visualizza profilo e dati azienda" (D5, R1-R5)."""

import re
import threading
from html import unescape

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from accounts.models import AuditEntry, Line, User
from accounts.roles import Profile
from accounts.selectors import referente_line_ids
from accounts.services import employee_change_profile
from core.exceptions import ActionRefused
from tests.accounts.helpers import employee_form, signed_in
from tests.conftest import World


def edit_url(person: User) -> str:
    return reverse("accounts:employee-edit", args=[person.pk])


def change_profile(client, person: User, to: str, seen: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        edit_url(person),
        employee_form(person, profile=to, seen_profile=seen or person.profile, confirmed="1"),
    )


def test_a_profile_change_is_confirmed_first(world: World) -> None:
    client = signed_in(world.lr)
    data = employee_form(world.user, profile=Profile.FULL)
    response = client.post(edit_url(world.user), data)
    assert response.status_code == 200
    page = unescape(response.content.decode())
    # "ad Amministratore", never "a Amministratore": the sentence names no preposition.
    assert "è <strong>Utilizzatore</strong>, diventerà <strong>Amministratore Full</strong>" in page
    world.user.refresh_from_db()
    assert world.user.profile == Profile.USER  # not yet
    assert client.post(edit_url(world.user), {**data, "confirmed": "1"}).status_code == 302
    world.user.refresh_from_db()
    assert world.user.profile == Profile.FULL


def test_employees_list_shows_name_username_profile_lines(world: World) -> None:
    page = signed_in(world.lr).get(reverse("accounts:employees")).content.decode()
    for person in (world.full, world.light, world.user):
        assert person.username in page
        assert reverse("accounts:employee-edit", args=[person.pk]) in page
    assert world.light_line.number in page
    assert "Amministratore Light" in page
    # The LR's own row is read only.
    assert reverse("accounts:employee-edit", args=[world.lr.pk]) not in page
    assert "chiama il 191" in page


@pytest.mark.parametrize("profile", [Profile.FULL, Profile.LIGHT, Profile.USER])
def test_only_the_lr_manages_profiles(profile: Profile, world: World) -> None:
    client = signed_in(world.by_profile(profile))
    assert client.get(reverse("accounts:employees")).status_code == 403
    target = world.user if profile != Profile.USER else world.full
    response = change_profile(client, target, Profile.FULL)
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.profile != Profile.FULL or (profile == Profile.USER and target == world.full)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.PROFILE_CHANGED).exists()


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (Profile.USER, Profile.FULL),
        (Profile.USER, Profile.LIGHT),
        (Profile.LIGHT, Profile.FULL),
        (Profile.FULL, Profile.USER),
        (Profile.FULL, Profile.LIGHT),
        (Profile.LIGHT, Profile.USER),
    ],
)
def test_lr_moves_employees_both_ways(
    start: Profile,
    to: Profile,
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    person = world.by_profile(start)
    with django_capture_on_commit_callbacks(execute=True):
        response = change_profile(signed_in(world.lr), person, to)
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.profile == to
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PROFILE_CHANGED)
    assert (entry.actor, entry.target, entry.changes) == (
        world.lr,
        person,
        {"from": start, "to": to},
    )
    assert entry.at is not None
    assert [m.to for m in mail.outbox] == [[person.email]]
    assert "profilo web" in mail.outbox[0].subject


def test_any_number_of_full_admins(world: World) -> None:
    client = signed_in(world.lr)
    for person in (world.light, world.user):
        change_profile(client, person, Profile.FULL)
    assert User.objects.filter(company=world.company, profile=Profile.FULL).count() == 3


def test_change_holds_from_the_employees_next_request(world: World) -> None:
    employee = signed_in(world.user, password_confirmed=False)
    assert employee.get("/fatture/").status_code == 403
    change_profile(signed_in(world.lr), world.user, Profile.LIGHT)
    assert employee.get("/fatture/").status_code == 200  # same session, no new login
    assert "Amministratore Light" in employee.get("/").content.decode()


def test_the_lr_row_is_read_only_and_says_call_191(world: World) -> None:
    client = signed_in(world.lr)
    page = client.get(edit_url(world.lr)).content.decode()
    assert "191" in page and 'name="profile"' not in page
    response = change_profile(client, world.lr, Profile.USER)
    assert response.status_code == 200
    world.lr.refresh_from_db()
    assert world.lr.profile == Profile.LR


def test_nobody_can_be_given_the_lr_profile(world: World) -> None:
    response = change_profile(signed_in(world.lr), world.full, Profile.LR)
    assert response.status_code == 200
    assert "LR non è tra quelle disponibili" in response.content.decode()
    world.full.refresh_from_db()
    assert world.full.profile == Profile.FULL


def test_a_forged_post_for_another_companys_person_is_404(world: World) -> None:
    response = change_profile(signed_in(world.lr), world.outsider_lr, Profile.USER)
    assert response.status_code == 404
    world.outsider_lr.refresh_from_db()
    assert world.outsider_lr.profile == Profile.LR


def test_extra_post_fields_are_ignored(world: World) -> None:
    client = signed_in(world.lr)
    client.post(
        edit_url(world.user),
        employee_form(
            world.user,
            profile=Profile.LIGHT,
            confirmed="1",
            company=world.outsider_company.pk,
            user=world.full.pk,
            is_staff="on",
        ),
    )
    world.user.refresh_from_db()
    world.full.refresh_from_db()
    assert world.user.profile == Profile.LIGHT and world.user.company == world.company
    assert not world.user.is_staff and world.full.profile == Profile.FULL


def test_a_stale_page_does_not_overwrite_a_newer_change(world: World) -> None:
    first, second = signed_in(world.lr), signed_in(world.lr)
    # Both sessions opened the page while the person was USER.
    assert change_profile(first, world.user, Profile.FULL, seen=Profile.USER).status_code == 302
    response = change_profile(second, world.user, Profile.LIGHT, seen=Profile.USER)
    assert response.status_code == 200
    assert "appena modificato da un'altra sessione" in unescape(response.content.decode())
    world.user.refresh_from_db()
    assert world.user.profile == Profile.FULL
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PROFILE_CHANGED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_changes_one_wins_the_other_is_told() -> None:
    from tests.conftest import build_world

    world = build_world()
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def attempt(to: Profile) -> None:
        barrier.wait()
        try:
            employee_change_profile(
                actor=world.lr, employee_id=world.user.pk, seen_profile=Profile.USER, new_profile=to
            )
            outcomes.append("changed")
        except ActionRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(to,)) for to in (Profile.FULL, Profile.LIGHT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["changed", "refused"]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PROFILE_CHANGED).count() == 1


def test_lr_assigns_lines_to_an_employee(world: World) -> None:
    client = signed_in(world.lr)
    response = client.post(
        edit_url(world.user),
        employee_form(world.user, lines=[world.user_line.pk, world.spare_line.pk]),
    )
    assert response.status_code == 302
    assert set(world.user.assigned_lines.values_list("pk", flat=True)) == {
        world.user_line.pk,
        world.spare_line.pk,
    }
    world.fixed_line.refresh_from_db()
    assert world.fixed_line.assignee is None  # unticked: no longer theirs
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LINES_ASSIGNED)
    assert entry.changes["added"] == [world.spare_line.number]


def test_a_dual_billing_line_cannot_be_left_without_assignee(world: World) -> None:
    response = signed_in(world.lr).post(edit_url(world.light), employee_form(world.light, lines=[]))
    assert response.status_code == 200
    assert "Dual Billing" in response.content.decode()
    world.light_line.refresh_from_db()
    assert world.light_line.assignee == world.light


def test_another_companys_line_cannot_be_assigned(world: World) -> None:
    response = signed_in(world.lr).post(
        edit_url(world.user), employee_form(world.user, lines=[world.outsider_line.pk])
    )
    assert response.status_code == 200
    assert not Line.objects.filter(pk=world.outsider_line.pk, assignee=world.user).exists()


def test_lr_chooses_the_referente_lines_of_a_light_admin(world: World) -> None:
    client = signed_in(world.lr)
    response = client.post(
        edit_url(world.light), employee_form(world.light, referente_lines=[world.spare_line.pk])
    )
    assert response.status_code == 302
    assert referente_line_ids(user=world.light) == [world.spare_line.pk]
    assert world.light.has_perm("accounts.act_as_referente", world.spare_line)
    assert not world.light.has_perm("accounts.act_as_referente", world.delegated_line)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.REFERENTE_CHANGED)
    assert entry.changes == {
        "added": [world.spare_line.number],
        "removed": [world.delegated_line.number],
    }


def test_only_light_admins_can_be_referente(world: World) -> None:
    client = signed_in(world.lr)
    assert 'name="referente_lines"' not in client.get(edit_url(world.user)).content.decode()
    # Not offered on a USER's page: a forged choice is ignored like any extra field.
    response = client.post(
        edit_url(world.user), employee_form(world.user, referente_lines=[world.spare_line.pk])
    )
    assert response.status_code == 302
    assert referente_line_ids(user=world.user) == []


def test_referente_lines_are_sims_of_the_company(world: World) -> None:
    response = signed_in(world.lr).post(
        edit_url(world.light),
        employee_form(world.light, referente_lines=[world.fixed_line.pk]),
    )
    assert response.status_code == 200
    assert world.fixed_line.pk not in referente_line_ids(user=world.light)


def hidden_fields(page: str) -> dict[str, list[str]]:
    """The hidden inputs of a page, as the browser posts them."""
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page):
        fields.setdefault(name, []).append(value)
    return fields


def test_a_profile_change_saves_the_lines_ticked_with_it(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    """One form: the lines ticked go through the confirmation of the new profile and are
    saved with it."""
    client = signed_in(world.lr)
    ticked = [world.user_line.pk, world.fixed_line.pk, world.spare_line.pk]
    data = employee_form(world.user, profile=Profile.LIGHT, lines=ticked)
    confirm = client.post(edit_url(world.user), data)
    assert "Conferma il cambio di profilo" in confirm.content.decode()
    carried = hidden_fields(confirm.content.decode())
    assert carried["lines"] == [str(pk) for pk in ticked]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(edit_url(world.user), {**carried, "confirmed": "1"})
    assert response.status_code == 302
    world.user.refresh_from_db()
    assert world.user.profile == Profile.LIGHT
    assert set(world.user.assigned_lines.values_list("pk", flat=True)) == set(ticked)
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {
        AuditEntry.Action.PROFILE_CHANGED,
        AuditEntry.Action.LINES_ASSIGNED,
    }
    assert [m.to for m in mail.outbox] == [[world.user.email]]
    page = unescape(client.get(edit_url(world.user)).content.decode())
    assert f"Profilo di {world.user} aggiornato." in page
    assert f"Linee di {world.user} aggiornate." in page


def test_a_refusal_saves_no_part_and_keeps_what_was_typed(world: World) -> None:
    ticked = [world.user_line.pk, world.fixed_line.pk, world.spare_line.pk]
    stale = employee_form(world.user, profile=Profile.LIGHT, lines=ticked, confirmed="1")
    change_profile(signed_in(world.lr), world.user, Profile.FULL)  # another session, first
    response = signed_in(world.lr).post(edit_url(world.user), stale)
    page = unescape(response.content.decode())
    assert response.status_code == 200 and "appena modificato da un'altra sessione" in page
    world.spare_line.refresh_from_db()
    assert world.spare_line.assignee is None  # the lines were not saved without the profile
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.LINES_ASSIGNED).exists()
    # Still chosen on the page, for another try.
    assert re.search(rf'name="lines" value="{world.spare_line.pk}"[^>]*checked', page)
    assert re.search(r'name="profile" value="LIGHT"[^>]*checked', page)


def test_saving_an_unchanged_page_changes_nothing(world: World) -> None:
    client = signed_in(world.lr)
    response = client.post(edit_url(world.light), employee_form(world.light))
    assert response.status_code == 302
    assert not AuditEntry.objects.exists()
    assert "Nessuna modifica" in unescape(client.get(edit_url(world.light)).content.decode())


# --- A stale page is refused, whatever it changes -------------------------------------


def test_a_page_shown_for_another_profile_keeps_the_referente_sims(world: World) -> None:
    """Tab A shows X as USER; tab B makes X LIGHT and Referente of a SIM; A's save (no
    profile change, a line ticked) must not empty X's Referente SIMs."""
    tab_a = employee_form(world.user, lines=[world.user_line.pk, world.spare_line.pk])
    client = signed_in(world.lr)
    change_profile(client, world.user, Profile.LIGHT)
    world.user.refresh_from_db()
    client.post(
        edit_url(world.user), employee_form(world.user, referente_lines=[world.delegated_line.pk])
    )
    assert referente_line_ids(user=world.user) == [world.delegated_line.pk]
    audits = AuditEntry.objects.count()
    response = client.post(edit_url(world.user), tab_a)
    page = unescape(response.content.decode())
    assert response.status_code == 200 and "appena modificato da un'altra sessione" in page
    assert referente_line_ids(user=world.user) == [world.delegated_line.pk]
    world.spare_line.refresh_from_db()
    assert world.spare_line.assignee is None
    assert AuditEntry.objects.count() == audits
    assert re.search(rf'name="lines" value="{world.spare_line.pk}"[^>]*checked', page)


def test_a_page_shown_as_light_does_not_drop_the_referente_ticks(world: World) -> None:
    tab_a = employee_form(world.light, referente_lines=[world.spare_line.pk])
    change_profile(signed_in(world.lr), world.light, Profile.USER)
    response = signed_in(world.lr).post(edit_url(world.light), tab_a)
    assert response.status_code == 200
    assert "appena modificato da un'altra sessione" in unescape(response.content.decode())
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.REFERENTE_CHANGED).exists()


def test_saving_the_profile_does_not_pull_back_a_line_moved_meanwhile(world: World) -> None:
    tab_a = employee_form(world.user, profile=Profile.FULL, confirmed="1")
    client = signed_in(world.lr)
    moved = employee_form(world.full, lines=[world.full_line.pk, world.user_line.pk])
    assert client.post(edit_url(world.full), moved).status_code == 302
    response = client.post(edit_url(world.user), tab_a)
    page = unescape(response.content.decode())
    assert response.status_code == 200 and "Le linee di" in page
    world.user_line.refresh_from_db()
    world.user.refresh_from_db()
    assert world.user_line.assignee == world.full and world.user.profile == Profile.USER
    # The page now knows the lines as they are: a deliberate second save goes through.
    retry = hidden_fields(page)
    assert retry["seen_lines"] == [str(world.fixed_line.pk)]


def test_saving_the_profile_does_not_unassign_a_line_given_meanwhile(world: World) -> None:
    tab_a = employee_form(world.user, profile=Profile.FULL, confirmed="1")
    client = signed_in(world.lr)
    given = [world.user_line.pk, world.fixed_line.pk, world.spare_line.pk]
    assert client.post(edit_url(world.user), employee_form(world.user, lines=given)).status_code
    response = client.post(edit_url(world.user), tab_a)
    assert response.status_code == 200 and "Le linee di" in unescape(response.content.decode())
    world.spare_line.refresh_from_db()
    assert world.spare_line.assignee == world.user


@pytest.mark.parametrize("missing", ["seen_lines", "seen_referente_lines"])
def test_a_post_without_what_the_page_showed_is_refused(missing: str, world: World) -> None:
    """An old confirmation page (no `lines`, no `seen_*`) does not unassign every line."""
    data = employee_form(world.light, profile=Profile.FULL, confirmed="1")
    del data[missing], data["lines"]
    response = signed_in(world.lr).post(edit_url(world.light), data)
    assert response.status_code == 200
    assert "La pagina non è aggiornata" in unescape(response.content.decode())
    world.light.refresh_from_db()
    assert world.light.profile == Profile.LIGHT
    assert world.light.assigned_lines.count() == 1
    assert not AuditEntry.objects.exists()


def test_cancel_on_the_confirmation_keeps_the_lines_ticked(world: World) -> None:
    client = signed_in(world.lr)
    ticked = [world.user_line.pk, world.spare_line.pk]
    confirm = client.post(
        edit_url(world.user), employee_form(world.user, profile=Profile.FULL, lines=ticked)
    )
    carried = hidden_fields(confirm.content.decode())
    page = unescape(client.post(edit_url(world.user), {**carried, "back": "1"}).content.decode())
    assert re.search(rf'name="lines" value="{world.spare_line.pk}"[^>]*checked', page)
    assert not re.search(rf'name="lines" value="{world.fixed_line.pk}"[^>]*checked', page)
    assert re.search(r'name="profile" value="USER"[^>]*checked', page)
    assert not AuditEntry.objects.exists()
    world.spare_line.refresh_from_db()
    assert world.spare_line.assignee is None
