"""Cost centres (K1 to see, K2 to change): the list, creating, changing and deleting them,
and the service that moves lines between them with their history."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import CostCentre, Line, LineCostCentreChange
from core.exceptions import ActionRefused
from costs.services import cost_centre_create, cost_centre_delete, lines_assign
from tests.accounts.helpers import signed_in
from tests.conftest import World
from tests.costs.helpers import centre, invoice_with_rows, outsider_centre
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


# --- The list (K1 or K2) ------------------------------------------------------------------


def test_list_shows_the_companys_centres_with_their_lines(world: World) -> None:
    offices = centre(world, manager=world.full)
    lines_assign(user=world.lr, cost_centre=offices, line_ids=[world.lr_line.pk])
    outsider_centre(world)
    page = signed_in(world.full).get(reverse("costs:cost-centres")).content.decode()
    assert "UFF" in page and "Uffici" in page and world.full.get_full_name() in page
    assert "ALTRO" not in page
    assert reverse("costs:cost-centre-detail", args=[offices.pk]) in page


@pytest.mark.parametrize("profile", ["LIGHT", "USER"])
def test_list_is_refused_without_the_capability(world: World, profile: str) -> None:
    client = signed_in(world.by_profile(profile))
    assert client.get(reverse("costs:cost-centres")).status_code == 403


def test_list_runs_a_fixed_number_of_queries(
    world: World,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    for n in range(30):
        centre(world, code=f"C{n}", name=f"Centro {n}", manager=world.full)
    client = signed_in(world.lr)
    client.get(reverse("costs:cost-centres"))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("costs:cost-centres")).status_code == 200


# --- Create and edit (K2) -----------------------------------------------------------------


def test_create_normalises_the_code_and_sets_the_manager(world: World) -> None:
    client = signed_in(world.lr)
    response = client.post(
        reverse("costs:cost-centre-create"),
        {"code": " cant-nord ", "name": "Cantieri Nord", "manager": world.full.pk},
    )
    created = CostCentre.objects.get(company=world.company)
    assert response.status_code == 302
    assert response["Location"] == reverse("costs:cost-centre-detail", args=[created.pk])
    assert (created.code, created.name, created.manager) == (
        "CANT-NORD",
        "Cantieri Nord",
        world.full,
    )


def test_a_code_in_use_is_a_clear_error_not_a_500(world: World) -> None:
    centre(world, code="UFF")
    client = signed_in(world.full)
    response = client.post(reverse("costs:cost-centre-create"), {"code": "uff", "name": "Doppio"})
    assert response.status_code == 200
    assert "Esiste già un centro di costo con questo codice" in response.content.decode()
    assert CostCentre.objects.filter(company=world.company).count() == 1
    # Another company may use the same code.
    CostCentre.objects.create(company=world.outsider_company, code="COMM", name="Loro")
    assert (
        client.post(
            reverse("costs:cost-centre-create"), {"code": "COMM", "name": "Nostro"}
        ).status_code
        == 302
    )


def test_the_service_refuses_a_duplicate_code_too(world: World) -> None:
    centre(world, code="UFF")
    with pytest.raises(ActionRefused):
        cost_centre_create(user=world.lr, code="uff", name="Altro", manager=None)


def test_manager_is_among_the_companys_active_people(world: World) -> None:
    gone = UserFactory(company=world.company, is_active=False)
    client = signed_in(world.lr)
    for person in (world.outsider_lr, gone):
        response = client.post(
            reverse("costs:cost-centre-create"),
            {"code": "X", "name": "X", "manager": person.pk},
        )
        assert response.status_code == 200
    assert not CostCentre.objects.exists()


def test_bad_characters_in_the_code_are_refused(world: World) -> None:
    response = signed_in(world.lr).post(
        reverse("costs:cost-centre-create"), {"code": "UFF 1/2", "name": "Uffici"}
    )
    assert response.status_code == 200
    assert "Il codice può contenere solo" in response.content.decode()


def test_edit_changes_code_and_name(world: World) -> None:
    offices = centre(world)
    centre(world, code="COMM", name="Commerciale")
    client = signed_in(world.full)
    url = reverse("costs:cost-centre-edit", args=[offices.pk])
    assert 'value="UFF"' in client.get(url).content.decode()
    response = client.post(url, {"code": "comm", "name": "Uffici"})
    assert "Esiste già un centro di costo con questo codice" in response.content.decode()
    assert client.post(url, {"code": "sede", "name": "Sede"}).status_code == 302
    offices.refresh_from_db()
    assert (offices.code, offices.name) == ("SEDE", "Sede")


@pytest.mark.parametrize(
    "name", ["costs:cost-centre-edit", "costs:cost-centre-delete", "costs:cost-centre-detail"]
)
def test_another_companys_centre_is_not_found(world: World, name: str) -> None:
    theirs = outsider_centre(world)
    client = signed_in(world.lr)
    assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
    assert (
        client.post(reverse(name, args=[theirs.pk]), {"code": "X", "name": "X"}).status_code == 404
    )
    assert CostCentre.objects.filter(pk=theirs.pk, code="ALTRO").exists()


@pytest.mark.parametrize(
    "name",
    [
        "costs:cost-centre-create",
        "costs:cost-centre-edit",
        "costs:cost-centre-delete",
        "costs:cost-centre-detail",
    ],
)
@pytest.mark.parametrize("profile", ["LIGHT", "USER"])
def test_changing_centres_needs_the_capability(world: World, name: str, profile: str) -> None:
    offices = centre(world)
    args = [] if name.endswith("create") else [offices.pk]
    client = signed_in(world.by_profile(profile))
    assert client.get(reverse(name, args=args)).status_code == 403
    assert client.post(reverse(name, args=args), {"code": "X", "name": "X"}).status_code == 403
    assert CostCentre.objects.get().code == "UFF"


# --- Delete -------------------------------------------------------------------------------


def test_delete_leaves_the_lines_unassigned_with_history(world: World) -> None:
    offices = centre(world)
    lines_assign(
        user=world.lr, cost_centre=offices, line_ids=[world.lr_line.pk, world.full_line.pk]
    )
    client = signed_in(world.lr)
    url = reverse("costs:cost-centre-delete", args=[offices.pk])
    assert "Le sue 2 linee resteranno senza centro di costo" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert "eliminato" in response.content.decode()
    assert not CostCentre.objects.exists()
    assert not Line.objects.filter(cost_centre__isnull=False).exists()
    last = LineCostCentreChange.objects.filter(line=world.lr_line).first()
    assert last is not None and last.cost_centre is None and last.changed_by == world.lr


def test_delete_is_refused_when_invoice_rows_name_the_centre(world: World) -> None:
    offices = centre(world)
    lines_assign(user=world.lr, cost_centre=offices, line_ids=[world.lr_line.pk])
    invoice_with_rows(world, world.invoice.issue_date, [(world.lr_line, offices, "10.00")])
    client = signed_in(world.lr)
    response = client.post(reverse("costs:cost-centre-delete", args=[offices.pk]), follow=True)
    page = response.content.decode()
    assert "compare nelle righe di fatture già emesse" in page
    # Nothing changed: the centre, its line, and no history row of the refused deletion.
    assert CostCentre.objects.filter(pk=offices.pk).exists()
    world.lr_line.refresh_from_db()
    assert world.lr_line.cost_centre == offices
    assert LineCostCentreChange.objects.filter(line=world.lr_line).count() == 1
    with pytest.raises(ActionRefused):
        cost_centre_delete(user=world.lr, cost_centre=offices)


# --- lines_assign ---------------------------------------------------------------------------


def test_assign_moves_lines_and_writes_history_only_for_real_moves(
    world: World,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    offices, sales = centre(world), centre(world, code="COMM", name="Commerciale")
    lines_assign(user=world.lr, cost_centre=offices, line_ids=[world.lr_line.pk])
    ids = [world.lr_line.pk, world.full_line.pk, world.user_line.pk]
    assert lines_assign(user=world.full, cost_centre=offices, line_ids=ids) == 2
    assert LineCostCentreChange.objects.filter(line=world.lr_line).count() == 1
    changes = LineCostCentreChange.objects.filter(line__in=ids, changed_by=world.full)
    assert {change.line_id for change in changes} == {world.full_line.pk, world.user_line.pk}
    assert all(change.cost_centre == offices for change in changes)
    with django_assert_max_num_queries(6):
        assert lines_assign(user=world.full, cost_centre=sales, line_ids=ids) == 3
    assert set(Line.objects.filter(cost_centre=sales).values_list("pk", flat=True)) == set(ids)
    assert lines_assign(user=world.full, cost_centre=None, line_ids=ids) == 3
    assert not Line.objects.filter(cost_centre__isnull=False).exists()


def test_assign_refuses_another_companys_line_and_changes_nothing(world: World) -> None:
    offices = centre(world)
    with pytest.raises(ActionRefused):
        lines_assign(
            user=world.lr, cost_centre=offices, line_ids=[world.lr_line.pk, world.outsider_line.pk]
        )
    assert not Line.objects.filter(cost_centre__isnull=False).exists()
    assert not LineCostCentreChange.objects.exists()


def test_assign_refuses_another_companys_centre(world: World) -> None:
    with pytest.raises(ActionRefused):
        lines_assign(user=world.lr, cost_centre=outsider_centre(world), line_ids=[world.lr_line.pk])
    assert not LineCostCentreChange.objects.exists()


@pytest.mark.parametrize("profile", ["LR", "FULL"])
def test_the_sections_page_links_the_cost_centres(world: World, profile: str) -> None:
    page = signed_in(world.by_profile(profile)).get(reverse("costs:index")).content.decode()
    for name in ("costs:cost-centres", "costs:cost-centre-create", "costs:cost-centre-rollup"):
        assert f'href="{reverse(name)}"' in page


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ß" * 20, "lettere senza accenti"),  # upper-cased it would be 40 characters
        ("straße", "lettere senza accenti"),
        ("città", "lettere senza accenti"),
        ("١٢٣", "lettere senza accenti"),  # digits, but not ASCII ones
    ],
)
def test_a_code_is_ascii_and_never_a_500(world: World, code: str, message: str) -> None:
    response = signed_in(world.lr).post(
        reverse("costs:cost-centre-create"), {"code": code, "name": "Uffici"}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CostCentre.objects.exists()
    with pytest.raises(ActionRefused):
        cost_centre_create(user=world.lr, code=code, name="Uffici", manager=None)
    assert not CostCentre.objects.exists()


def test_a_code_of_twenty_characters_is_kept(world: World) -> None:
    created = cost_centre_create(user=world.lr, code="a-b_c.d" + "x" * 13, name="X", manager=None)
    assert created.code == "A-B_C.D" + "X" * 13
    with pytest.raises(ActionRefused):
        cost_centre_create(user=world.lr, code="Y" * 21, name="X", manager=None)


def test_assign_locks_the_lines_not_their_contracts(world: World) -> None:
    offices = centre(world)
    with CaptureQueriesContext(connection) as queries:
        lines_assign(user=world.lr, cost_centre=offices, line_ids=[world.lr_line.pk])
    locking = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locking) == 1
    assert 'FOR UPDATE OF "accounts_line"' in locking[0]
