"""The activation's line chooser: search, pages of 50, a choice kept across pages and
searches, "all the lines found", the summary of a large choice, bad input, and who may."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Company, Line
from tests.accounts.helpers import signed_in
from tests.conftest import World
from tests.factories import LineFactory, LineServiceFactory, OfferFactory, UserFactory
from tests.offers.helpers import (
    activate,
    bulk_lines,
    choose,
    chosen_ids,
    confirm,
    confirmation,
    html,
    summary,
)
from tracking.models import Request

pytestmark = pytest.mark.django_db

# The world's mobile lines the LR may choose: every active one of the company.
WORLD_MOBILE_LINES = 6


def detail(client, offer, **params):  # type: ignore[no-untyped-def]
    return client.get(reverse("offers:detail", args=[offer.code]), params)


def checked(page: str, line: Line) -> bool:
    return f'value="{line.pk}" id="linea-{line.pk}" checked' in page


def test_search_by_number_label_and_assignee(world: World) -> None:
    offer = OfferFactory()
    warehouse = LineFactory(contract=world.mobile, label="Magazzino Verona")
    person = UserFactory(company=world.company, first_name="Ottavia", last_name="Zanetti")
    hers = LineFactory(contract=world.mobile, assignee=person)
    client = signed_in(world.lr)

    page = html(detail(client, offer, q="magazzino"))
    assert warehouse.number in page and world.lr_line.number not in page
    assert "1 linea trovata" in page
    page = html(detail(client, offer, q="ottavia zanetti"))
    assert hers.number in page and warehouse.number not in page
    page = html(detail(client, offer, q=world.lr_line.number[-7:]))
    assert world.lr_line.number in page and hers.number not in page
    # The same words find the same lines as the line list does (one search, reused).
    lines_page = html(client.get(reverse("lines:index"), {"q": "magazzino"}))
    assert warehouse.number in lines_page and world.lr_line.number not in lines_page


def test_search_never_offers_ineligible_lines(world: World) -> None:
    offer = OfferFactory()
    for line in (world.outsider_line, world.fixed_line):
        page = html(detail(signed_in(world.lr), offer, q=line.number))
        assert f'id="linea-{line.pk}"' not in page and "0 linee trovate" in page


def test_lines_come_fifty_a_page(world: World) -> None:
    offer = OfferFactory()
    bulk_lines(world.mobile, 114)
    client = signed_in(world.lr)
    first = html(detail(client, offer))
    total = 114 + WORLD_MOBILE_LINES
    assert f"{total} linee possono ricevere l'offerta" in first
    assert first.count('name="lines"') == 50 and "Pagina 1 di 3" in first
    last = html(detail(client, offer, pagina=3))
    assert last.count('name="lines"') == total - 100 and "Pagina 3 di 3" in last


def test_choice_survives_pages_and_searches(world: World) -> None:
    offer = OfferFactory(monthly_fee=Decimal("2.00"), activation_fee=Decimal("0"))
    lines = bulk_lines(world.mobile, 60, label="Cantiere")
    bulk_lines(world.mobile, 5, label="Ufficio", start=100)
    client = signed_in(world.lr)
    first_page = lines[:50]

    # Tick two on page 1 and go to page 2: the ticks are saved on the way.
    response = choose(client, offer, lines[:2], shown=first_page, go_to=2, searched="cantiere")
    assert response.status_code == 302
    assert response["Location"].endswith("?q=cantiere&pagina=2#scelta-linee")
    page_two = html(client.get(response["Location"]))
    assert "2 linee scelte" in page_two and not checked(page_two, lines[55])

    # On page 2 tick one more, then search something else: still three chosen.
    response = choose(
        client, offer, [lines[55]], shown=lines[50:], action="search", searched="cantiere",
        pagina=2, q="ufficio",
    )  # fmt: skip
    assert response["Location"].endswith("?q=ufficio#scelta-linee")
    other_search = html(client.get(response["Location"]))
    assert "3 linee scelte" in other_search and "5 linee trovate" in other_search

    # Back on page 1 the ticks are there; unticking one removes only that one.
    back = html(detail(client, offer, q="cantiere"))
    assert checked(back, lines[0]) and checked(back, lines[1]) and not checked(back, lines[2])
    choose(client, offer, [lines[1]], shown=first_page, searched="cantiere")
    assert chosen_ids(client, offer) == {lines[1].pk, lines[55].pk}

    page = html(summary(client, offer))
    assert "su 2 linee" in page and "4,00\xa0€" in page


def test_select_all_lines_found(world: World) -> None:
    offer = OfferFactory(monthly_fee=Decimal("5.00"), activation_fee=Decimal("1.00"))
    bulk_lines(world.mobile, 120, label="Flotta auto")
    bulk_lines(world.mobile, 30, label="Ufficio", start=500)
    client = signed_in(world.lr)
    page = html(detail(client, offer, q="flotta"))
    assert "Scegli tutte le 120 linee trovate" in page

    response = choose(client, offer, [], action="select_found", searched="flotta")
    assert response.status_code == 302
    after = html(client.get(response["Location"]))
    assert "Scelte tutte le 120 linee trovate." in after and "120 linee scelte" in after

    page = html(summary(client, offer))
    assert "su 120 linee" in page
    assert "600,00\xa0€" in page and "120,00\xa0€" in page
    # A bounded summary: twenty lines by number, the others counted.
    assert page.count("<li>+39340") == 20 and "… e altre 100 linee." in page

    # Without a search, "all" is every eligible line.
    choose(client, offer, [], action="select_found")
    assert len(chosen_ids(client, offer)) == 150 + WORLD_MOBILE_LINES


def test_deselect_found_and_clear(world: World) -> None:
    offer = OfferFactory()
    fleet = bulk_lines(world.mobile, 10, label="Flotta")
    client = signed_in(world.lr)
    choose(client, offer, [], action="select_found")
    choose(client, offer, [], action="deselect_found", searched="flotta")
    assert chosen_ids(client, offer) == {
        line.pk for line in Line.objects.filter(contract=world.mobile, state="ACTIVE")
    } - {line.pk for line in fleet}
    choose(client, offer, [], action="clear")
    assert chosen_ids(client, offer) == set()


def test_pending_lines_stay_out_of_the_chooser_and_of_select_all(world: World) -> None:
    offer = OfferFactory()
    client = signed_in(world.lr)
    assert activate(client, offer, [world.lr_line]).status_code == 302
    assert chosen_ids(client, offer) == set()  # sent: the choice starts again
    page = html(detail(client, offer))
    assert world.lr_line.number in page  # named in the open request's notice...
    assert f'id="linea-{world.lr_line.pk}"' not in page  # ...but not a choice
    choose(client, offer, [], action="select_found")
    assert world.lr_line.pk not in chosen_ids(client, offer)
    assert len(chosen_ids(client, offer)) == WORLD_MOBILE_LINES - 1


def test_summary_drops_lines_that_stopped_being_eligible(world: World) -> None:
    offer = OfferFactory()
    client = signed_in(world.lr)
    choose(client, offer, [world.lr_line, world.full_line, world.spare_line])
    Line.objects.filter(pk=world.spare_line.pk).update(state=Line.State.BLOCKED)
    LineServiceFactory(line=world.full_line, code=offer.code)
    page = html(summary(client, offer))
    assert "2 linee scelte non possono più ricevere l'offerta" in page
    assert "su 1 linea" in page
    assert chosen_ids(client, offer) == {world.lr_line.pk}
    assert confirm(client, offer).status_code == 302
    assert {row.line_id for row in Request.objects.get().offer_lines.all()} == {world.lr_line.pk}


def test_confirmation_applies_only_the_choice_the_summary_showed(world: World) -> None:
    offer = OfferFactory()
    client = signed_in(world.lr)
    choose(client, offer, [world.lr_line])
    fingerprint = summary(client, offer).context["fingerprint"]
    # Another tab adds a line after the summary was shown.
    choose(client, offer, [world.full_line])
    url = reverse("offers:activate", args=[offer.code])
    response = client.post(url, {"fingerprint": fingerprint})
    assert response["Location"] == reverse("offers:summary", args=[offer.code])
    assert "La scelta delle linee è cambiata" in html(client.get(response["Location"]))
    assert not Request.objects.exists()
    assert confirm(client, offer).status_code == 302
    assert Request.objects.get().details["line_count"] == 2


def test_empty_summary_and_confirmation(world: World) -> None:
    offer = OfferFactory()
    client = signed_in(world.lr)
    page = summary(client, offer)
    assert page.status_code == 200 and "Non hai scelto nessuna linea." in html(page)
    response = client.post(reverse("offers:activate", args=[offer.code]), {"fingerprint": "x"})
    assert response.status_code == 302
    assert "Scegli almeno una linea." in html(client.get(response["Location"]))
    assert not Request.objects.exists()


@pytest.mark.parametrize(
    ("shown", "ticked"),
    [
        (["outsider"], ["outsider"]),  # another company's line
        (["lr", "outsider"], ["lr"]),  # one of the page's lines is not ours
        (["fixed"], ["fixed"]),  # ours, but not of the offer's kind
        (["lr"], ["full"]),  # ticked without being on the page
        ([987654321], [987654321]),  # no such line
        (["abc"], []),
        (["99999999999999999999"], ["99999999999999999999"]),  # beyond any id
        (["-3"], []),
        ([str(n) for n in range(1, 60)], []),  # more than a page
    ],
)
def test_bad_line_ids_are_refused_and_change_nothing(
    world: World, shown: list[object], ticked: list[object]
) -> None:
    offer = OfferFactory()
    named = {"lr": world.lr_line, "full": world.full_line, "outsider": world.outsider_line,
             "fixed": world.fixed_line}  # fmt: skip

    def ids(values: list[object]) -> list[object]:
        return [named[v].pk if isinstance(v, str) and v in named else v for v in values]

    client = signed_in(world.lr)
    choose(client, offer, [world.spare_line])
    url = reverse("offers:choose", args=[offer.code])
    for action in ("save", "select_found", "summary"):
        response = client.post(url, {"shown": ids(shown), "lines": ids(ticked), "action": action})
        assert response.status_code == 400, action
        page = html(response)
        assert "alert-danger" in page and "Attiva l'offerta" in page
        assert chosen_ids(client, offer) == {world.spare_line.pk}
    assert not Request.objects.exists()


def test_nonsense_in_the_other_fields_is_refused(world: World) -> None:
    offer = OfferFactory()
    client = signed_in(world.lr)
    url = reverse("offers:choose", args=[offer.code])
    for data in (
        {"action": "explode"},
        {"go_to": "0"},
        {"go_to": "99999999999999999999"},
        {"pagina": "-1"},
        {"action": "search", "q": "x" * 101},
    ):
        assert client.post(url, data).status_code == 400, data
    # A page past the last shows the last one.
    response = client.post(url, {"go_to": "4000", "action": "save"})
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200


def test_service_refuses_foreign_or_unknown_ids_and_writes_nothing(world: World) -> None:
    from core.exceptions import ActionRefused
    from offers.models import ActivationLine
    from offers.services import offer_activation_request

    offer = OfferFactory()
    for ids in ([world.lr_line.pk, world.outsider_line.pk], [world.lr_line.pk, 10**12]):
        with pytest.raises(ActionRefused):
            offer_activation_request(actor=world.lr, offer=offer, line_ids=ids)
    assert not Request.objects.exists() and not ActivationLine.objects.exists()


# Who may: the trio on each step of the activation.

STEPS = [("offers:choose", "post"), ("offers:summary", "get"), ("offers:activate", "post")]


@pytest.mark.parametrize(("name", "method"), STEPS)
def test_the_lr_may_choose_see_the_summary_and_confirm(
    world: World, name: str, method: str
) -> None:
    offer = OfferFactory()
    client = signed_in(world.lr)
    choose(client, offer, [world.lr_line])
    data = confirmation(summary(client, offer))
    response = getattr(client, method)(reverse(name, args=[offer.code]), data)
    assert response.status_code in {200, 302}


@pytest.mark.parametrize(("name", "method"), STEPS)
def test_another_segments_offer_is_404(world: World, name: str, method: str) -> None:
    others = [code for code in Company.Segment.values if code != world.company.segment]
    offer = OfferFactory(segments=others)
    client = signed_in(world.lr)
    data = {"shown": [world.lr_line.pk], "lines": [world.lr_line.pk], "action": "summary"}
    assert getattr(client, method)(reverse(name, args=[offer.code]), data).status_code == 404
    assert not Request.objects.exists()


def test_another_companys_lr_sees_none_of_our_lines(world: World) -> None:
    offer = OfferFactory(segments=[world.company.segment, world.outsider_company.segment])
    client = signed_in(world.outsider_lr)
    page = html(detail(client, offer))
    assert world.lr_line.number not in page
    response = choose(client, offer, [world.lr_line])
    assert response.status_code == 400
    assert chosen_ids(client, offer) == set()


@pytest.mark.parametrize("profile", ["full", "light", "user"])
@pytest.mark.parametrize(("name", "method"), STEPS)
def test_without_the_capability_every_step_is_403(
    world: World, profile: str, name: str, method: str
) -> None:
    offer = OfferFactory()
    client = signed_in(getattr(world, profile))
    data = {"shown": [world.lr_line.pk], "lines": [world.lr_line.pk], "action": "summary"}
    response = getattr(client, method)(reverse(name, args=[offer.code]), data)
    assert response.status_code == 403
    assert chosen_ids(client, offer) == set() and not Request.objects.exists()
