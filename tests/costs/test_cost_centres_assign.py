"""Assigning lines to a cost centre from its page: the line chooser shared with the offers
(search, pages, "all the lines found") and a CSV of numbers with its report row by row."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import CostCentre, Line, LineCostCentreChange
from costs.forms import MAX_UPLOAD_BYTES
from costs.services import lines_assign
from tests.accounts.helpers import signed_in
from tests.conftest import World
from tests.costs.helpers import centre, outsider_centre
from tests.factories import LineFactory

pytestmark = pytest.mark.django_db


def choose(client: Client, centre: CostCentre, **data: Any) -> Any:
    return client.post(reverse("costs:cost-centre-choose", args=[centre.pk]), data)


def chosen(client: Client, centre: CostCentre) -> set[int]:
    return set(client.session.get(f"costs.selection.{centre.pk}", []))


def test_page_shows_the_chooser_and_the_upload(world: World) -> None:
    offices = centre(world)
    page = signed_in(world.lr).get(reverse("costs:cost-centre-detail", args=[offices.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Assegna le linee scelte a UFF" in html
    assert world.lr_line.number in html and world.outsider_line.number not in html
    assert 'enctype="multipart/form-data"' in html
    assert "Ogni riga del file viene trattata da sola" in html


def test_select_all_found_then_assign(world: World) -> None:
    offices = centre(world)
    warehouses = [LineFactory(contract=world.mobile, label=f"Magazzino {n}") for n in range(60)]
    client = signed_in(world.lr)
    response = choose(client, offices, searched="magazzino", action="select_found")
    assert response.status_code == 302
    assert chosen(client, offices) == {line.pk for line in warehouses}
    # A page's ticks: one of the warehouses is unticked on the first page.
    page = client.get(reverse("costs:cost-centre-detail", args=[offices.pk]), {"q": "magazzino"})
    assert "60 linee trovate" in page.content.decode()
    shown = [line.pk for line in sorted(warehouses, key=lambda line: line.number)[:50]]
    choose(client, offices, searched="magazzino", shown=shown, lines=shown[1:], action="save")
    assert len(chosen(client, offices)) == 59
    response = choose(client, offices, action="summary")
    assert response.status_code == 302
    assert Line.objects.filter(cost_centre=offices).count() == 59
    assert (
        LineCostCentreChange.objects.filter(cost_centre=offices, changed_by=world.lr).count() == 59
    )
    assert chosen(client, offices) == set()
    follow = client.get(response["Location"]).content.decode()
    assert "59 linee assegnate a UFF · Uffici." in follow


def test_assign_with_nothing_chosen_says_so(world: World) -> None:
    offices = centre(world)
    response = choose(signed_in(world.lr), offices, action="summary")
    assert response.status_code == 400
    assert "Scegli almeno una linea." in response.content.decode()


def test_another_companys_line_cannot_be_chosen(world: World) -> None:
    offices = centre(world)
    client = signed_in(world.lr)
    ids = [world.outsider_line.pk]
    response = choose(client, offices, shown=ids, lines=ids, action="summary")
    assert response.status_code == 400
    assert world.outsider_line.pk not in chosen(client, offices)
    assert not Line.objects.filter(cost_centre__isnull=False).exists()


def test_chooser_of_another_companys_centre_is_not_found(world: World) -> None:
    client = signed_in(world.lr)
    theirs = outsider_centre(world)
    assert choose(client, theirs, action="select_found").status_code == 404
    upload = SimpleUploadedFile("n.csv", b"3331234567\n")
    url = reverse("costs:cost-centre-upload", args=[theirs.pk])
    assert client.post(url, {"file": upload}).status_code == 404


@pytest.mark.parametrize("profile", ["LIGHT", "USER"])
def test_assigning_needs_the_capability(world: World, profile: str) -> None:
    offices = centre(world)
    client = signed_in(world.by_profile(profile))
    ids = [world.lr_line.pk]
    assert choose(client, offices, shown=ids, lines=ids, action="summary").status_code == 403
    upload = SimpleUploadedFile("n.csv", world.lr_line.number.encode())
    url = reverse("costs:cost-centre-upload", args=[offices.pk])
    assert client.post(url, {"file": upload}).status_code == 403
    assert not Line.objects.filter(cost_centre__isnull=False).exists()


def test_detail_page_queries_do_not_grow_with_lines(
    world: World,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    offices = centre(world)
    lines = [LineFactory(contract=world.mobile) for _ in range(80)]
    client = signed_in(world.lr)
    choose(client, offices, action="select_found")
    choose(client, offices, action="summary")
    assert Line.objects.filter(cost_centre=offices).count() == len(lines) + 7
    url = reverse("costs:cost-centre-detail", args=[offices.pk])
    with django_assert_max_num_queries(16):
        assert client.get(url).status_code == 200


# --- The CSV of numbers ----------------------------------------------------------------------


def upload(client: Client, centre: CostCentre, content: bytes, name: str = "numeri.csv") -> Any:
    url = reverse("costs:cost-centre-upload", args=[centre.pk])
    return client.post(url, {"file": SimpleUploadedFile(name, content, "text/csv")})


def test_csv_report_row_by_row(world: World) -> None:
    offices = centre(world)
    sales = centre(world, code="COMM", name="Commerciale")
    Line.objects.filter(pk=world.full_line.pk).update(cost_centre=offices)
    Line.objects.filter(pk=world.user_line.pk).update(cost_centre=sales)
    lr, full, user = world.lr_line.number, world.full_line.number, world.user_line.number
    national = lr.removeprefix("+39")
    content = (
        "Numero;Nota\n"
        f"{national[:3]} {national[3:]};ufficio\n"  # as people type it: assigned
        f"{full}\n"  # already there
        f"{user},moved\n"  # from another centre: assigned
        f"{world.outsider_line.number}\n"  # another company's
        "ciao\n"  # not a number
        "\n"
    ).encode()
    response = upload(signed_in(world.lr), offices, content)
    page = response.content.decode()
    assert response.status_code == 200
    assert "2 linee assegnate" in page and "1 c'era già" in page
    assert "1 numero senza linea dell'azienda" in page and "1 numero non valido" in page
    for row, outcome in (
        (2, "assigned"),
        (3, "already"),
        (4, "assigned"),
        (5, "unknown"),
        (6, "invalid"),
    ):
        assert f'<tr class="outcome-{outcome}">\n      <th scope="row">{row}</th>' in page
    assert set(Line.objects.filter(cost_centre=offices).values_list("pk", flat=True)) == {
        world.lr_line.pk,
        world.full_line.pk,
        world.user_line.pk,
    }
    assert LineCostCentreChange.objects.filter(cost_centre=offices).count() == 2
    world.outsider_line.refresh_from_db()
    assert world.outsider_line.cost_centre is None


def test_csv_in_windows_encoding_and_commas(world: World) -> None:
    offices = centre(world)
    content = f"numéro,città\n{world.lr_line.number},Città\n".encode("cp1252")
    response = upload(signed_in(world.lr), offices, content)
    assert response.status_code == 200
    assert Line.objects.get(pk=world.lr_line.pk).cost_centre == offices


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "non è un CSV di testo"),
        (b"numero\n\n", "non contiene numeri"),
        (b"", "Il file inviato è vuoto"),
        (b"3" * (MAX_UPLOAD_BYTES + 1), "troppo grande"),
    ],
)
def test_a_bad_file_is_refused_never_a_500(world: World, content: bytes, message: str) -> None:
    offices = centre(world)
    response = upload(signed_in(world.lr), offices, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not LineCostCentreChange.objects.exists()


# --- Taking a line out of the centre ---------------------------------------------------------


def remove(client: Client, centre: CostCentre, line: Line | int | str) -> Any:
    line_id = line.pk if isinstance(line, Line) else line
    url = reverse("costs:cost-centre-remove-line", args=[centre.pk])
    return client.post(url, {"line": line_id})


def test_a_line_is_taken_out_of_the_centre_with_history(world: World) -> None:
    offices = centre(world)
    lines_assign(
        user=world.lr, cost_centre=offices, line_ids=[world.lr_line.pk, world.full_line.pk]
    )
    client = signed_in(world.full)
    page = client.get(reverse("costs:cost-centre-detail", args=[offices.pk])).content.decode()
    assert page.count("Togli dal centro") == 2
    response = remove(client, offices, world.lr_line)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("costs:cost-centre-detail", args=[offices.pk]))
    assert list(Line.objects.filter(cost_centre=offices)) == [world.full_line]
    last = LineCostCentreChange.objects.filter(line=world.lr_line).first()
    assert last is not None and last.cost_centre is None and last.changed_by == world.full
    page = client.get(response["Location"]).content.decode()
    assert f"Linea {world.lr_line.number} tolta dal centro UFF · Uffici" in page
    assert "1 linea nel centro" in page
    # Sent twice (a double click): nothing more changes, and the page says why.
    page = client.post(
        reverse("costs:cost-centre-remove-line", args=[offices.pk]),
        {"line": world.lr_line.pk},
        follow=True,
    ).content.decode()
    assert "non è più nel centro" in page
    assert LineCostCentreChange.objects.filter(line=world.lr_line).count() == 2


@pytest.mark.parametrize("line_id", ["", "abc", "0", str(2**63)])
def test_removing_a_line_that_is_not_one_is_not_found(world: World, line_id: str) -> None:
    offices = centre(world)
    assert remove(signed_in(world.lr), offices, line_id).status_code == 404


def test_another_companys_line_or_centre_is_not_found(world: World) -> None:
    offices, theirs = centre(world), outsider_centre(world)
    lines_assign(user=world.outsider_lr, cost_centre=theirs, line_ids=[world.outsider_line.pk])
    lines_assign(user=world.lr, cost_centre=offices, line_ids=[world.lr_line.pk])
    client = signed_in(world.lr)
    assert remove(client, offices, world.outsider_line).status_code == 404
    assert remove(client, theirs, world.outsider_line).status_code == 404
    assert remove(client, theirs, world.lr_line).status_code == 404
    world.outsider_line.refresh_from_db()
    assert world.outsider_line.cost_centre == theirs
    assert Line.objects.get(pk=world.lr_line.pk).cost_centre == offices


@pytest.mark.parametrize("profile", ["LIGHT", "USER"])
def test_removing_a_line_needs_the_capability(world: World, profile: str) -> None:
    offices = centre(world)
    lines_assign(user=world.lr, cost_centre=offices, line_ids=[world.lr_line.pk])
    assert remove(signed_in(world.by_profile(profile)), offices, world.lr_line).status_code == 403
    assert Line.objects.get(pk=world.lr_line.pk).cost_centre == offices
