"""Ordina nuove SIM (L5): the two-step form and its checks, the company's orders, an
order's page, and its change by the requester while it waits for approval."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Sim
from lines.models import MAX_ORDER_QUANTITY, PortInState, SimOrder
from lines.orders import OrderedSimData
from tests.accounts.helpers import signed_in
from tests.conftest import World
from tests.factories import PlanFactory, _codice_fiscale, _iccid
from tests.lines.orders_helpers import place_order, port_in
from tracking.approvals import ApprovalRefused, fingerprint, request_decide
from tracking.models import ApprovalPolicy, Request, RequestKind, RequestState

pytestmark = pytest.mark.django_db

CREATE = reverse("lines:order-create")


def start(plan_pk: int, **fields: Any) -> dict[str, Any]:
    return {"step": "1", "plan": plan_pk, "quantity": 2, "sim_kind": "PHYSICAL", **fields}


def second(
    plan_pk: int, quantity: int = 2, kind: str = "PHYSICAL", **fields: Any
) -> dict[str, Any]:
    """A complete step 2: step 1's answers, `quantity` plain rows, the address or e-mail."""
    data: dict[str, Any] = {
        "step": "2",
        "plan": plan_pk,
        "quantity": quantity,
        "sim_kind": kind,
        "idempotency_key": "0" * 32,
        "sim-TOTAL_FORMS": quantity,
        "sim-INITIAL_FORMS": 0,
        "sim-MIN_NUM_FORMS": quantity,
        "sim-MAX_NUM_FORMS": quantity,
    }
    for index in range(quantity):
        data[f"sim-{index}-assignee"] = ""
    if kind == "PHYSICAL":
        data.update(
            recipient="Laura Conti",
            street="Via Appia Nuova 1024",
            postal_code="00178",
            city="Roma",
            province="RM",
            contact_phone="335 1000002",
        )
    else:
        data["esim_email"] = "it@acme.example.it"
    return {**data, **fields}


def porting(index: int, number: str = "340 1234567", **fields: Any) -> dict[str, Any]:
    return {
        f"sim-{index}-port": "on",
        f"sim-{index}-number": number,
        f"sim-{index}-donor": "TIM",
        f"sim-{index}-iccid": _iccid(900 + index),
        f"sim-{index}-holder_tax_code": _codice_fiscale(7),
        **{f"sim-{index}-{key}": value for key, value in fields.items()},
    }


def html(response: Any) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def plan(world: World) -> Any:
    return PlanFactory(name="Business 50 GB", data_gb=50)


def test_step_one_offers_the_plans_of_the_company_segment(world: World, plan: Any) -> None:
    others = [s for s in world.company.Segment.values if s != world.company.segment]
    PlanFactory(name="Piano di altri", segments=others)
    PlanFactory(name="Piano ritirato", is_active=False)
    page = html(signed_in(world.full).get(CREATE))
    assert "Business 50 GB" in page and "50 GB al mese" in page
    assert "Piano di altri" not in page and "Piano ritirato" not in page
    # One mobile contract: chosen for the person, hidden.
    assert f'type="hidden" name="contract" value="{world.mobile.pk}"' in page


def test_step_one_leads_to_a_row_per_sim(world: World, plan: Any) -> None:
    data = start(plan.pk, contract=world.mobile.pk, quantity=3)
    page = html(signed_in(world.full).post(CREATE, data))
    assert "Passo 2 di 2" in page
    assert page.count("Porta un numero esistente") == 3
    assert "Indirizzo di spedizione" in page and "Telefono per il corriere" in page


@pytest.mark.parametrize(
    ("quantity", "message"),
    [(0, "Ordina almeno una SIM."), (MAX_ORDER_QUANTITY + 1, "al massimo 100 SIM")],
)
def test_quantity_bounds(world: World, plan: Any, quantity: int, message: str) -> None:
    data = start(plan.pk, contract=world.mobile.pk, quantity=quantity)
    page = html(signed_in(world.full).post(CREATE, data))
    assert message in page and "Passo 1 di 2" in page


def test_a_complete_order_is_sent_once(world: World, plan: Any) -> None:
    client = signed_in(world.full)
    data = second(plan.pk, contract=world.mobile.pk, **{"sim-0-assignee": world.user.pk})
    data.update(porting(1))
    response = client.post(CREATE, data)
    tracked = Request.objects.get(kind=RequestKind.EXPANSION)
    assert response["Location"] == reverse("lines:order-detail", args=[tracked.reference])
    order = tracked.sim_order
    first, other = order.sims.all()
    assert first.assignee == world.user and not first.ports_in
    assert other.port_number == "+393401234567" and other.port_state == PortInState.REQUESTED
    assert order.contact_phone == "+393351000002"
    client.post(CREATE, data)  # the same page sent again (a double click)
    assert Request.objects.filter(kind=RequestKind.EXPANSION).count() == 1


def test_esim_order_needs_the_email(world: World, plan: Any) -> None:
    data = second(plan.pk, kind="ESIM", contract=world.mobile.pk, esim_email="")
    page = html(signed_in(world.full).post(CREATE, data))
    assert "Indica l'e-mail a cui inviare le eSIM." in page
    assert not SimOrder.objects.exists()
    data["esim_email"] = "it@acme.example.it"
    signed_in(world.full).post(CREATE, data)
    assert SimOrder.objects.get().sim_kind == Sim.Kind.ESIM


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"iccid": _iccid(5)[:-1] + str((int(_iccid(5)[-1]) + 1) % 10)}, "ICCID non valido."),
        ({"holder_tax_code": "RSSMRA80A01H501X"}, "Codice fiscale non valido."),
        ({"number": "06 5550101"}, "Indica un numero di cellulare italiano."),
        ({"number": "12"}, "Numero di telefono non valido"),
        ({"donor": ""}, "Scegli l'operatore di provenienza."),
    ],
)
def test_portability_fields_are_checked(
    world: World, plan: Any, fields: dict[str, str], message: str
) -> None:
    data = {**second(plan.pk, contract=world.mobile.pk), **porting(0, **fields)}
    page = html(signed_in(world.full).post(CREATE, data))
    assert message in page
    assert not SimOrder.objects.exists()


def test_a_company_tax_code_may_hold_the_number(world: World, plan: Any) -> None:
    data = {
        **second(plan.pk, contract=world.mobile.pk),
        **porting(0, holder_tax_code=world.company.vat_number),
    }
    assert signed_in(world.full).post(CREATE, data).status_code == 302


def test_a_number_already_ours_or_twice_is_refused(world: World, plan: Any) -> None:
    ours = {
        **second(plan.pk, contract=world.mobile.pk),
        **porting(0, number=world.spare_line.number),
    }
    assert "già una nostra linea" in html(signed_in(world.full).post(CREATE, ours))
    twice = {**second(plan.pk, contract=world.mobile.pk), **porting(0), **porting(1)}
    assert "Lo stesso numero è già nella SIM 1." in html(signed_in(world.full).post(CREATE, twice))
    assert not SimOrder.objects.exists()


def test_an_unticked_row_ignores_leftover_portability_fields(world: World, plan: Any) -> None:
    leftovers = porting(0, iccid="123")
    del leftovers["sim-0-port"]
    data = {**second(plan.pk, contract=world.mobile.pk), **leftovers}
    assert signed_in(world.full).post(CREATE, data).status_code == 302
    assert not SimOrder.objects.get().sims.exclude(port_number="").exists()


def test_the_address_is_checked(world: World, plan: Any) -> None:
    data = second(plan.pk, contract=world.mobile.pk, postal_code="0017", province="XX")
    page = html(signed_in(world.full).post(CREATE, data))
    assert "Il CAP è formato da 5 cifre." in page
    assert not SimOrder.objects.exists()


def test_rows_cannot_be_fewer_than_the_quantity(world: World, plan: Any) -> None:
    data = second(plan.pk, quantity=3, contract=world.mobile.pk)
    data["sim-TOTAL_FORMS"] = 1
    response = signed_in(world.full).post(CREATE, data)
    assert response.status_code == 200 and not SimOrder.objects.exists()


def test_back_returns_to_step_one_with_the_answers(world: World, plan: Any) -> None:
    data = second(plan.pk, quantity=4, contract=world.mobile.pk, back="1")
    page = html(signed_in(world.full).post(CREATE, data))
    assert "Passo 1 di 2" in page and 'value="4"' in page


def test_the_pages_need_l5(world: World) -> None:
    tracked = place_order(world)
    for url in (
        CREATE,
        reverse("lines:order-list"),
        reverse("lines:order-detail", args=[tracked.reference]),
    ):
        assert signed_in(world.user).get(url).status_code == 403
        assert signed_in(world.light).get(url).status_code == 403
        assert signed_in(world.lr).get(url).status_code == 200


def test_another_companys_order_is_not_found(world: World) -> None:
    from tests.authz.test_url_sweep import order_of

    theirs = order_of(world.outsider_company, world.outsider_lr, awaiting=True)
    client = signed_in(world.lr)
    assert client.get(reverse("lines:order-detail", args=[theirs.reference])).status_code == 404
    assert client.get(reverse("lines:order-edit", args=[theirs.reference])).status_code == 404


def test_the_list_shows_the_company_orders_in_few_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    for _index in range(6):
        place_order(world)
    client = signed_in(world.lr)
    client.get(reverse("lines:order-list"))  # the session's first queries
    with django_assert_max_num_queries(12):
        page = html(client.get(reverse("lines:order-list")))
    assert "6 ordini" in page


def test_the_detail_shows_sims_portability_and_timeline(world: World) -> None:
    sims = [OrderedSimData(assignee=world.user, port_in=port_in())]
    tracked = place_order(world, sims=sims)
    page = html(signed_in(world.lr).get(reverse("lines:order-detail", args=[tracked.reference])))
    assert world.user.get_full_name() in page
    assert "+393401234567" in page and "Richiesta" in page  # the portability's state
    assert "Cronologia" in page


def test_only_the_requester_may_edit(world: World) -> None:
    tracked = place_order(world, awaiting_approval=True)
    url = reverse("lines:order-edit", args=[tracked.reference])
    assert signed_in(world.lr).get(url).status_code == 403
    assert signed_in(world.full).get(url).status_code == 200


def test_an_order_no_longer_awaiting_is_not_edited(world: World) -> None:
    tracked = place_order(world)
    client = signed_in(world.full)
    response = client.get(reverse("lines:order-edit", args=[tracked.reference]), follow=True)
    assert "non è più in approvazione" in html(response)


def test_an_edit_needs_a_new_approval(world: World, plan: Any) -> None:
    policy = ApprovalPolicy.objects.create(company=world.company, kinds=[RequestKind.EXPANSION])
    assert policy.legal_rep_approves
    client: Client = signed_in(world.full)
    client.post(CREATE, second(plan.pk, contract=world.mobile.pk))
    tracked = Request.objects.get(kind=RequestKind.EXPANSION)
    assert tracked.state == RequestState.AWAITING_APPROVAL
    seen = fingerprint(tracked)  # the LR opens the approval page
    data = second(plan.pk, quantity=3, contract=world.mobile.pk, idempotency_key="1" * 32)
    response = client.post(reverse("lines:order-edit", args=[tracked.reference]), data)
    assert response.status_code == 302
    tracked.refresh_from_db()
    assert tracked.sim_order.quantity == 3
    assert tracked.events.filter(note="Ordine modificato").exists()
    with pytest.raises(ApprovalRefused, match="è cambiata"):
        request_decide(request=tracked, approver=world.lr, approve=True, note="", seen=seen)
    decided = request_decide(
        request=tracked, approver=world.lr, approve=True, note="", seen=fingerprint(tracked)
    )
    assert decided.state == RequestState.SUBMITTED


def test_the_lines_page_links_to_orders_for_l5_only(world: World) -> None:
    assert "Ordina nuove SIM" in html(signed_in(world.full).get(reverse("lines:index")))
    assert "Ordina nuove SIM" not in html(signed_in(world.user).get(reverse("lines:index")))
