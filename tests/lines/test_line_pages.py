"""Linee e servizi (L1): the lines in the user's scope with their services and SIM data."""

from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from accounts.models import Line
from tests.accounts.helpers import signed_in
from tests.conftest import World
from tests.factories import LineServiceFactory

pytestmark = pytest.mark.django_db


def numbers_listed(world: World, user) -> set[str]:  # type: ignore[no-untyped-def]
    response = signed_in(user).get(reverse("lines:index"))
    assert response.status_code == 200
    lines = Line.objects.filter(contract__company=world.company)
    return {line.number for line in lines if line.number in unescape(response.content.decode())}


def test_lr_and_full_see_every_line_of_the_company(world: World) -> None:
    every = set(
        Line.objects.filter(contract__company=world.company).values_list("number", flat=True)
    )
    assert numbers_listed(world, world.lr) == every
    assert numbers_listed(world, world.full) == every


def test_light_sees_own_and_delegated_lines_only(world: World) -> None:
    assert numbers_listed(world, world.light) == {
        world.light_line.number,
        world.delegated_line.number,
    }


def test_user_has_no_lines_section(world: World) -> None:
    assert signed_in(world.user).get(reverse("lines:index")).status_code == 403
    own = reverse("lines:detail", args=[world.user_line.pk])
    assert signed_in(world.user).get(own).status_code == 403


def test_detail_shows_services_with_fees_and_total(world: World) -> None:
    LineServiceFactory(line=world.lr_line, name="Giga Extra", monthly_fee=Decimal("6.00"))
    LineServiceFactory(line=world.lr_line, name="Segreteria", monthly_fee=Decimal("1.50"))
    LineServiceFactory(line=world.lr_line, name="Vecchia opzione", until="2025-06-30")
    page = signed_in(world.lr).get(reverse("lines:detail", args=[world.lr_line.pk]))
    html = unescape(page.content.decode())
    assert "Giga Extra" in html and "Segreteria" in html
    assert "Vecchia opzione" not in html  # ended: no longer active
    assert "7,50\xa0€" in html


def test_detail_shows_iccid_and_puk_to_admins_of_the_line(world: World) -> None:
    sim = world.light_line.sims.get()
    html = signed_in(world.light).get(reverse("lines:detail", args=[world.light_line.pk]))
    assert sim.iccid in unescape(html.content.decode()) and sim.puk in unescape(
        html.content.decode()
    )


def test_out_of_scope_line_is_404_for_light(world: World) -> None:
    response = signed_in(world.light).get(reverse("lines:detail", args=[world.lr_line.pk]))
    assert response.status_code == 404


def test_another_companys_line_is_404(world: World) -> None:
    response = signed_in(world.lr).get(reverse("lines:detail", args=[world.outsider_line.pk]))
    assert response.status_code == 404


def test_list_search_and_filters(world: World) -> None:
    client = signed_in(world.lr)
    fixed = unescape(client.get(reverse("lines:index"), {"kind": "FIXED"}).content.decode())
    assert world.fixed_line.number in fixed and world.lr_line.number not in fixed
    search = {"q": world.full.last_name}
    found = unescape(client.get(reverse("lines:index"), search).content.decode())
    assert world.full_line.number in found and world.lr_line.number not in found
    Line.objects.filter(pk=world.spare_line.pk).update(state=Line.State.BLOCKED)
    blocked = unescape(client.get(reverse("lines:index"), {"state": "BLOCKED"}).content.decode())
    assert world.spare_line.number in blocked and world.lr_line.number not in blocked


def test_action_buttons_follow_the_matrix(world: World) -> None:
    url = reverse("lines:detail", args=[world.lr_line.pk])
    block = reverse("lines:sim-block", args=[world.lr_line.pk])
    change = reverse("lines:sim-change", args=[world.lr_line.pk])
    for user, shown in [(world.lr, True), (world.full, True)]:
        html = unescape(signed_in(user).get(url).content.decode())
        assert (block in html) is shown and (change in html) is shown
    own = signed_in(world.light).get(reverse("lines:detail", args=[world.light_line.pk]))
    own_html = own.content.decode()
    assert "/blocco/" not in own_html and "/cambio-sim/" not in own_html
    fixed = reverse("lines:detail", args=[world.fixed_line.pk])
    relocation = reverse("lines:relocation", args=[world.fixed_line.pk])
    assert relocation in unescape(signed_in(world.lr).get(fixed).content.decode())
    assert relocation not in unescape(signed_in(world.full).get(fixed).content.decode())


def test_the_filter_shows_a_search_escaped(world: World) -> None:
    """The filter's widgets are rendered by Jinja2 (lines.forms): what was searched comes
    back in the field as text, never as markup, and its labels stay translated."""
    html = (
        signed_in(world.lr)
        .get(reverse("lines:index"), {"q": '"><b>x</b>', "kind": "MOBILE"})
        .content.decode()
    )
    assert 'name="q" value="&#34;&gt;&lt;b&gt;x&lt;/b&gt;"' in html
    assert "<b>x</b>" not in html
    assert '<option value="MOBILE" selected>Linee mobili</option>' in html
