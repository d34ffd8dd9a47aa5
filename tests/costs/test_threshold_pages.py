"""Soglie (K3): the list with this month's state, create, change, remove; who may be
warned; another company's threshold answers 404, a profile without K3 403."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import CostCentre
from consumption.models import LinePlan, Plan, Threshold, ThresholdAlert, UsageMonthly
from core.italy import date_with_article
from costs.threshold_forms import parse_amount
from tests.conftest import World, client_for
from tests.factories import LineFactory

ROAMING = Threshold.Metric.ROAMING_SPEND
DATA = Threshold.Metric.DATA_PERCENT


def made(world: World, **fields: Any) -> Threshold:
    fields.setdefault("line", world.user_line)
    fields.setdefault("metric", ROAMING)
    fields.setdefault("limit", Decimal("50.00"))
    threshold = Threshold.objects.create(company=world.company, **fields)
    threshold.recipients.set([world.lr])
    return threshold


def form_data(world: World, **changes: Any) -> dict[str, Any]:
    data = {
        "target": "sim",
        "number": world.user_line.number,
        "metric": ROAMING,
        "limit": "50,30",
        "recipients": [world.lr.pk, world.user.pk],
    }
    data.update(changes)
    return data


# --- the trio ---------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["LR", "FULL"])
def test_administrators_manage_thresholds(profile: str, world: World) -> None:
    client = client_for(world.by_profile(profile))
    assert client.get(reverse("costs:thresholds")).status_code == 200
    response = client.post(reverse("costs:threshold-create"), form_data(world))
    assert response.status_code == 302, response.content.decode()
    threshold = Threshold.objects.get()
    assert (threshold.line, threshold.metric, threshold.limit) == (
        world.user_line,
        ROAMING,
        Decimal("50.30"),
    )
    assert set(threshold.recipients.all()) == {world.lr, world.user}
    edit = reverse("costs:threshold-edit", args=[threshold.pk])
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"metric": ROAMING, "limit": "75", "recipients": [world.full.pk]})
    assert response.status_code == 302
    threshold.refresh_from_db()
    assert threshold.limit == Decimal("75.00")
    assert list(threshold.recipients.all()) == [world.full]
    delete = reverse("costs:threshold-delete", args=[threshold.pk])
    assert client.get(delete).status_code == 200
    assert client.post(delete).status_code == 302
    assert not Threshold.objects.exists()


def test_another_companys_threshold_answers_404(world: World) -> None:
    theirs = Threshold.objects.create(
        company=world.outsider_company, line=world.outsider_line, metric=ROAMING, limit=10
    )
    client = client_for(world.lr)
    assert client.get(reverse("costs:threshold-edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("costs:threshold-delete", args=[theirs.pk])).status_code == 404
    assert Threshold.objects.filter(pk=theirs.pk).exists()
    # Nor may one be set on their SIM: it is not one of the company's.
    response = client.post(
        reverse("costs:threshold-create"),
        form_data(world, number=world.outsider_line.number, recipients=[world.lr.pk]),
    )
    assert response.status_code == 200
    assert "Nessuna SIM della tua azienda ha questo numero." in response.content.decode()
    assert Threshold.objects.count() == 1


@pytest.mark.parametrize("profile", ["LIGHT", "USER"])
def test_without_k3_the_pages_answer_403(profile: str, world: World) -> None:
    threshold = made(world)
    client = client_for(world.by_profile(profile))
    for url in [
        reverse("costs:thresholds"),
        reverse("costs:threshold-create"),
        reverse("costs:threshold-edit", args=[threshold.pk]),
        reverse("costs:threshold-delete", args=[threshold.pk]),
    ]:
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("costs:threshold-delete", args=[threshold.pk])).status_code == 403
    assert Threshold.objects.filter(pk=threshold.pk).exists()


# --- the form ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [("50,30", "50.30"), ("1.234,56", "1234.56"), ("50.3", "50.3"), ("80 %", "80"), ("12 €", "12")],
)
def test_amounts_are_read_as_people_type_them(typed: str, value: str) -> None:
    assert parse_amount(typed) == Decimal(value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"limit": "tanto"}, "Scrivi un numero"),
        ({"limit": "1e30"}, "Scrivi un numero"),
        ({"limit": "1E3"}, "Scrivi un numero"),
        ({"limit": "NaN"}, "Scrivi un numero"),
        ({"limit": "12345678901234567890"}, "Scrivi un numero"),
        ({"limit": "99999999999"}, "maggiore di zero"),
        ({"limit": "0"}, "maggiore di zero"),
        ({"limit": "-5"}, "maggiore di zero"),
        ({"limit": "1,234"}, "Al massimo due cifre decimali"),
        ({"metric": DATA, "limit": "0,5"}, "tra 1 e 1000"),
        ({"metric": DATA, "limit": "1001"}, "tra 1 e 1000"),
        ({"number": ""}, "Indica il numero della SIM"),
        ({"number": "+393999999999"}, "Nessuna SIM della tua azienda"),
        ({"target": "centre"}, "Scegli il centro di costo"),
        ({"recipients": []}, "obbligatorio"),
        ({"metric": "NOPE"}, "Scegli un&#x27;opzione valida"),
    ],
)
def test_mistakes_are_explained(changes: dict[str, Any], message: str, world: World) -> None:
    response = client_for(world.lr).post(
        reverse("costs:threshold-create"), form_data(world, **changes)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Threshold.objects.exists()


def test_a_second_threshold_on_the_same_sim_and_metric_is_refused(world: World) -> None:
    made(world)
    client = client_for(world.lr)
    response = client.post(reverse("costs:threshold-create"), form_data(world))
    assert response.status_code == 200
    assert "Questa SIM ha già una soglia su questo indicatore" in response.content.decode()
    # Another metric on the same SIM is another threshold.
    response = client.post(reverse("costs:threshold-create"), form_data(world, metric=DATA))
    assert response.status_code == 302
    assert Threshold.objects.count() == 2


def test_recipients_must_see_the_sims_usage(world: World) -> None:
    """C1 scope: LR and FULL see every SIM; LIGHT and USER only their own (the LIGHT admin
    also the lines delegated as Referente)."""
    client = client_for(world.lr)
    response = client.post(
        reverse("costs:threshold-create"), form_data(world, recipients=[world.light.pk])
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Non vede i consumi di questa SIM" in page and world.light.get_full_name() in page
    # The LIGHT admin is Referente of the delegated line: allowed there.
    response = client.post(
        reverse("costs:threshold-create"),
        form_data(
            world, number=world.delegated_line.number, recipients=[world.light.pk, world.full.pk]
        ),
    )
    assert response.status_code == 302


def test_a_cost_centre_threshold_warns_only_people_who_see_every_sim(world: World) -> None:
    centre = CostCentre.objects.create(company=world.company, code="VEND", name="Vendite")
    client = client_for(world.full)
    data = form_data(world, target="centre", number="", cost_centre=centre.pk, metric=DATA)
    data["limit"] = "80"
    response = client.post(reverse("costs:threshold-create"), data)
    assert "Non vede i consumi di tutte le SIM" in response.content.decode()
    data["recipients"] = [world.lr.pk, world.full.pk]
    assert client.post(reverse("costs:threshold-create"), data).status_code == 302
    threshold = Threshold.objects.get()
    assert (threshold.cost_centre, threshold.line, threshold.limit) == (centre, None, 80)
    # Another company's centre is not among the choices.
    theirs = CostCentre.objects.create(company=world.outsider_company, code="X", name="Loro")
    data["cost_centre"] = theirs.pk
    response = client.post(reverse("costs:threshold-create"), data)
    assert response.status_code == 200 and Threshold.objects.count() == 1


# --- the list ---------------------------------------------------------------------------


def test_the_list_shows_this_months_figure_and_state(world: World) -> None:
    month = timezone.localdate().replace(day=1)
    roaming = made(world)
    plan = Plan.objects.create(name="Test 1 GB", data_mb=1024)
    LinePlan.objects.create(line=world.user_line, plan=plan)
    made(world, metric=DATA, limit=Decimal("80"))
    UsageMonthly.objects.create(
        line=world.user_line, month=month, kind="VOICE", roaming=True, quantity=60,
        cost=Decimal("52.3"), records=1,
    )  # fmt: skip
    UsageMonthly.objects.create(
        line=world.user_line, month=month, kind="DATA", roaming=False, quantity=512 * 1024,
        cost=0, records=1,
    )  # fmt: skip
    ThresholdAlert.objects.create(threshold=roaming, month=month, value=Decimal("52.30"))
    page = client_for(world.lr).get(reverse("costs:thresholds")).content.decode()
    assert f"Roaming della SIM {world.user_line.number}" in page
    assert "52,30\xa0€" in page and "50,00\xa0€" in page
    assert (
        'Superata</strong> <span class="text-body-secondary">avviso inviato '
        f"{date_with_article(timezone.localdate())}" in page
    )
    assert "50%" in page and "80%" in page and "Sotto la soglia" in page


def test_the_list_runs_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    client = client_for(world.lr)
    client.get(reverse("costs:thresholds"))
    for n in range(20):
        line = LineFactory(contract=world.mobile)
        threshold = made(world, line=line, limit=Decimal(10 + n))
        threshold.recipients.add(world.full)
    centre = CostCentre.objects.create(company=world.company, code="VEND", name="Vendite")
    made(world, line=None, cost_centre=centre)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("costs:thresholds")).status_code == 200


# --- the SIM's usage page (LIGHT and USER see their own lines' figures) ----------------------


@pytest.mark.parametrize("profile", ["LR", "USER"])
def test_the_sim_usage_page_shows_its_thresholds(profile: str, world: World) -> None:
    made(world)
    page = client_for(world.by_profile(profile)).get(
        reverse("consumption:sim-usage", args=[world.user_line.pk])
    )
    text = page.content.decode()
    assert 'id="thresholds-heading"' in text and "sotto la soglia" in text
    assert ("Gestisci le soglie" in text) == (profile == "LR")
    other = client_for(world.by_profile(profile)).get(
        reverse("consumption:sim-usage", args=[world.lr_line.pk])
    )
    assert 'id="thresholds-heading"' not in other.content.decode()


def test_the_service_refuses_another_companys_sim_or_centre(world: World) -> None:
    from consumption.thresholds import threshold_save
    from core.exceptions import ActionRefused

    theirs = CostCentre.objects.create(company=world.outsider_company, code="X", name="Loro")
    for target in ({"line": world.outsider_line}, {"cost_centre": theirs}, {}):
        with pytest.raises(ActionRefused):
            threshold_save(
                actor=world.lr, metric=ROAMING, limit=Decimal(10), recipients=[world.lr], **target
            )
    assert not Threshold.objects.exists()


# --- review fixes -----------------------------------------------------------------------------


def test_changing_the_limit_lets_the_month_alert_again(world: World) -> None:
    """The month's alert goes with a new metric or limit (the next import may alert against
    it); the recipients alone keep it. The state shown is the figure against the limit."""
    month = timezone.localdate().replace(day=1)
    threshold = made(world)
    UsageMonthly.objects.create(
        line=world.user_line, month=month, kind="VOICE", roaming=True, quantity=60,
        cost=Decimal("52.3"), records=1,
    )  # fmt: skip
    ThresholdAlert.objects.create(threshold=threshold, month=month, value=Decimal("52.30"))
    last_month = (month - timedelta(days=1)).replace(day=1)
    ThresholdAlert.objects.create(threshold=threshold, month=last_month, value=Decimal("60"))
    client = client_for(world.lr)
    edit = reverse("costs:threshold-edit", args=[threshold.pk])
    client.post(edit, {"metric": ROAMING, "limit": "50", "recipients": [world.full.pk]})
    assert ThresholdAlert.objects.count() == 2  # recipients only: the alert stays
    client.post(edit, {"metric": ROAMING, "limit": "60", "recipients": [world.full.pk]})
    assert list(ThresholdAlert.objects.values_list("month", flat=True)) == [last_month]
    page = client.get(reverse("costs:thresholds")).content.decode()
    assert "Sotto la soglia" in page and "Superata" not in page
    # An alert of the month under a limit since raised says nothing of the state either.
    ThresholdAlert.objects.create(threshold=threshold, month=month, value=Decimal("52.30"))
    page = client.get(reverse("costs:thresholds")).content.decode()
    assert "Sotto la soglia" in page and "Superata" not in page


def test_the_list_is_paginated(world: World, django_assert_max_num_queries: Any) -> None:
    for n in range(30):
        made(world, line=LineFactory(contract=world.mobile), limit=Decimal(10 + n))
    client = client_for(world.lr)
    # 15: the LR, who may approve, also counts the requests waiting for them (the header).
    with django_assert_max_num_queries(15):
        first = client.get(reverse("costs:thresholds")).content.decode()
    assert first.count("/elimina/") == 25 and "Pagina 1 di 2" in first
    second = client.get(reverse("costs:thresholds") + "?pagina=2").content.decode()
    assert second.count("/elimina/") == 5


def test_the_sim_page_shows_the_thresholds_of_the_month_it_shows(world: World) -> None:
    """A notification links to ?month=: the block reads that month, not this one."""
    made(world)
    UsageMonthly.objects.create(
        line=world.user_line, month=date(2026, 10, 1), kind="VOICE", roaming=True, quantity=60,
        cost=Decimal("52.3"), records=1,
    )  # fmt: skip
    url = reverse("consumption:sim-usage", args=[world.user_line.pk])
    page = client_for(world.lr).get(url + "?month=2026-10").content.decode()
    assert "Soglie di ottobre 2026" in page
    assert "52,30\xa0€ su una soglia di 50,00\xa0€" in page and "superata" in page


def test_several_refused_recipients_are_named_in_the_plural(world: World) -> None:
    response = client_for(world.lr).post(
        reverse("costs:threshold-create"),
        form_data(
            world, number=world.spare_line.number, recipients=[world.light.pk, world.user.pk]
        ),
    )
    page = response.content.decode()
    assert "Non vedono i consumi di questa SIM" in page
    assert world.light.get_full_name() in page and world.user.get_full_name() in page
