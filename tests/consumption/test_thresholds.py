"""Thresholds evaluated by the usage import: crossed once a month whatever re-imports,
retries and imports at once do; one notification and one e-mail per recipient. Every test
runs on both load paths: COPY + SQL (PostgreSQL) and the ORM (`make run`'s SQLite)."""

from __future__ import annotations

import io
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.db import connection

from accounts.models import CostCentre, Line, LineCostCentreChange, Notification
from consumption import services
from consumption.models import LinePlan, Plan, Threshold, ThresholdAlert, UsageMonthly
from consumption.services import usage_import_csv
from consumption.tasks import email_threshold_alerts
from tests.concurrency import twice_while_locked
from tests.conftest import World

HEADER = "record_id,number,started_at,kind,roaming,quantity,cost\n"
ROAMING = Threshold.Metric.ROAMING_SPEND
DATA = Threshold.Metric.DATA_PERCENT
EXTRA = Threshold.Metric.EXTRA_SPEND


@pytest.fixture(autouse=True, params=["copy", "orm"])
def load_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The ORM path is forced on PostgreSQL by taking it off the COPY databases."""
    if request.param == "copy" and connection.vendor not in services.COPY_VENDORS:
        pytest.skip("the COPY path needs PostgreSQL")
    if request.param == "orm":
        monkeypatch.setattr(services, "COPY_VENDORS", frozenset())
    return str(request.param)


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings: Any) -> None:
    # The worker's part done in the test: a task enqueued after commit runs there and then.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def csv_of(rows: list[str]) -> io.StringIO:
    return io.StringIO(HEADER + "".join(row + "\n" for row in rows))


def roaming_rows(number: str, costs: list[str], prefix: str = "r") -> list[str]:
    return [
        f"{prefix}{n},{number},2026-10-{5 + n:02d}T08:30:00+02:00,voice,1,60,{cost}"
        for n, cost in enumerate(costs)
    ]


# The files below are of October 2026: the thresholds were made before (a month before a
# threshold's own never alerts).
MADE = datetime(2026, 9, 15, 10, 0, tzinfo=UTC)


def threshold(world: World, metric: str, limit: str, **target: Any) -> Threshold:
    created_at = target.pop("created_at", MADE)
    made = Threshold.objects.create(
        company=world.company, metric=metric, limit=Decimal(limit), created_by=world.lr, **target
    )
    # created_at is set on insert (auto_now_add): the past is written after.
    Threshold.objects.filter(pk=made.pk).update(created_at=created_at)
    made.created_at = created_at
    made.recipients.set([world.lr, world.full])
    return made


def imported(rows: list[str], capture: Any) -> None:
    with capture(execute=True):
        report = usage_import_csv(csv_of(rows))
    assert report.refused == 0, report.errors


def test_a_crossed_threshold_alerts_once_under_re_imports(
    world: World,
    django_capture_on_commit_callbacks: Any,
) -> None:
    limit = threshold(world, ROAMING, "50.00", line=world.user_line)
    number = world.user_line.number
    imported(roaming_rows(number, ["30.00", "22.30"]), django_capture_on_commit_callbacks)
    imported(roaming_rows(number, ["30.00", "22.30"]), django_capture_on_commit_callbacks)
    imported(
        roaming_rows(number, ["30.00", "22.30", "10.00", "5.00"]),
        django_capture_on_commit_callbacks,
    )

    alert = ThresholdAlert.objects.get()
    assert (alert.threshold, alert.month.isoformat()) == (limit, "2026-10-01")
    assert alert.value == Decimal("52.30")  # the month's figure when it was crossed
    notes = Notification.objects.filter(kind="threshold").order_by("recipient_id")
    assert [n.recipient for n in notes] == sorted([world.lr, world.full], key=lambda u: u.pk)
    title = notes[0].title
    assert title.startswith(f"Soglia superata: roaming della SIM {number} a 52,30")
    assert "(soglia 50,00" in title
    assert notes[0].url == f"/consumi/sim/{world.user_line.pk}/?month=2026-10"
    assert notes[0].key == f"threshold:{alert.pk}"
    assert sorted(m.to[0] for m in mail.outbox) == sorted([world.lr.email, world.full.email])
    assert mail.outbox[0].subject.startswith("Soglia superata: roaming della SIM")
    assert "52,30" in mail.outbox[0].body and mail.outbox[0].alternatives

    # The e-mail task run again (its worker lost after sending, the job retried elsewhere)
    # sends nothing more.
    email_threshold_alerts.call([alert.pk])
    assert len(mail.outbox) == 2


def test_under_the_limit_nothing_happens(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    threshold(world, ROAMING, "50.00", line=world.user_line)
    threshold(world, EXTRA, "50.00", line=world.lr_line)  # another SIM's, untouched
    rows = roaming_rows(world.user_line.number, ["30.00", "19.99"])
    rows.append(f"n1,{world.user_line.number},2026-10-05T08:30:00+02:00,voice,0,60,40.00")
    imported(rows, django_capture_on_commit_callbacks)
    assert not ThresholdAlert.objects.exists()
    assert not Notification.objects.exists() and not mail.outbox


def test_each_month_and_metric_alerts_on_its_own(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    threshold(world, ROAMING, "10.00", line=world.user_line)
    threshold(world, EXTRA, "25.00", line=world.user_line)
    number = world.user_line.number
    rows = [
        f"a,{number},2026-10-05T08:30:00+02:00,voice,1,60,12.00",  # roaming: crosses 10
        f"b,{number},2026-10-06T08:30:00+02:00,voice,0,60,12.00",  # extra 24: under 25
        f"c,{number},2026-11-02T08:30:00+01:00,voice,0,60,30.00",  # November: extra only
    ]
    imported(rows, django_capture_on_commit_callbacks)
    crossed = {
        (a.threshold.metric, a.month.isoformat(), a.value) for a in ThresholdAlert.objects.all()
    }
    assert crossed == {
        (ROAMING, "2026-10-01", Decimal("12.00")),
        (EXTRA, "2026-11-01", Decimal("30.00")),
    }
    assert Notification.objects.count() == 4 and len(mail.outbox) == 4


def test_a_cost_centre_threshold_sums_its_lines(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    centre = CostCentre.objects.create(company=world.company, code="VEND", name="Vendite")
    # Set as the history-writing service would; only the current centre counts here.
    type(world.user_line).objects.filter(pk__in=[world.user_line.pk, world.full_line.pk]).update(
        cost_centre=centre
    )
    limit = threshold(world, ROAMING, "50.00", cost_centre=centre)
    imported(roaming_rows(world.user_line.number, ["30.00"]), django_capture_on_commit_callbacks)
    imported(roaming_rows(world.lr_line.number, ["40.00"], "o"), django_capture_on_commit_callbacks)
    assert not ThresholdAlert.objects.exists()  # 30 €: the LR's SIM is not in the centre
    imported(
        roaming_rows(world.full_line.number, ["25.00"], "f"), django_capture_on_commit_callbacks
    )
    alert = ThresholdAlert.objects.get()
    assert (alert.threshold, alert.value) == (limit, Decimal("55.00"))
    note = Notification.objects.filter(recipient=world.lr).get()
    assert "del centro di costo VEND · Vendite a 55,00" in note.title
    assert note.url == "/costi/centri/riepilogo/?month=2026-10"


def test_data_percent_reads_the_plan_allowance(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    plan = Plan.objects.create(name="Test 1 GB", data_mb=1024)
    LinePlan.objects.create(line=world.user_line, plan=plan)
    unlimited = Plan.objects.create(name="Test illimitato", data_mb=None)
    LinePlan.objects.create(line=world.lr_line, plan=unlimited)
    threshold(world, DATA, "80", line=world.user_line)
    threshold(world, DATA, "1", line=world.lr_line)  # no allowance: never applies
    threshold(world, DATA, "1", line=world.full_line)  # no plan at all: never applies
    rows = [
        f"d1,{world.user_line.number},2026-10-05T08:30:00+02:00,data,0,{700 * 1024},0",
        f"x1,{world.lr_line.number},2026-10-05T08:30:00+02:00,data,0,{5000 * 1024},0",
        f"x2,{world.full_line.number},2026-10-05T08:30:00+02:00,data,0,{5000 * 1024},0",
    ]
    imported(rows, django_capture_on_commit_callbacks)
    assert not ThresholdAlert.objects.exists()  # 700 MB of 1 GB: 68.36%
    imported(
        [f"d2,{world.user_line.number},2026-10-06T08:30:00+02:00,data,0,{140 * 1024},0"],
        django_capture_on_commit_callbacks,
    )
    alert = ThresholdAlert.objects.get()
    assert alert.value == Decimal("82.03")  # 840 MB of 1,024
    assert alert.threshold.line == world.user_line
    assert "dati della SIM" in Notification.objects.first().title  # type: ignore[union-attr]
    assert "82,03%" in Notification.objects.first().title  # type: ignore[union-attr]


def test_a_cost_centre_data_percent_sums_the_allowances(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    centre = CostCentre.objects.create(company=world.company, code="DATI", name="Dati")
    type(world.user_line).objects.filter(pk__in=[world.user_line.pk, world.full_line.pk]).update(
        cost_centre=centre
    )
    plan = Plan.objects.create(name="Test 1 GB", data_mb=1024)
    LinePlan.objects.create(line=world.user_line, plan=plan)
    LinePlan.objects.create(line=world.full_line, plan=plan)
    threshold(world, DATA, "50", cost_centre=centre)
    imported(
        [f"d1,{world.user_line.number},2026-10-05T08:30:00+02:00,data,0,{1000 * 1024},0"],
        django_capture_on_commit_callbacks,
    )
    assert not ThresholdAlert.objects.exists()  # 1,000 MB of 2,048: 48.83%
    imported(
        [f"d2,{world.full_line.number},2026-10-05T08:30:00+02:00,data,0,{100 * 1024},0"],
        django_capture_on_commit_callbacks,
    )
    assert ThresholdAlert.objects.get().value == Decimal("53.71")


def test_a_threshold_added_later_alerts_on_the_next_import(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    rows = roaming_rows(world.user_line.number, ["60.00"])
    imported(rows, django_capture_on_commit_callbacks)
    threshold(world, ROAMING, "50.00", line=world.user_line)
    imported(rows, django_capture_on_commit_callbacks)  # the same file again
    assert ThresholdAlert.objects.get().value == Decimal("60.00")


@pytest.mark.django_db(transaction=True)
def test_two_imports_at_once_alert_once(settings: Any, load_path: str) -> None:
    """Two imports of different records of the same SIM and month, each crossing the limit
    alone, queue on the month's aggregate (locked here) and then both evaluate it: one
    alert, one notification and one e-mail per recipient."""
    from tests.conftest import build_world

    if load_path == "orm":
        # The ORM path is SQLite's (one writer at a time): its aggregates are recomputed
        # by delete and insert, which two imports at once on PostgreSQL would trip over.
        pytest.skip("imports at once run on the COPY path")

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    world = build_world()
    number = world.user_line.number
    usage_import_csv(csv_of(roaming_rows(number, ["1.00"], "seed")))
    threshold(world, ROAMING, "50.00", line=world.user_line)
    answers: list[object] = []

    def run(prefix: str) -> None:
        try:
            answers.append(usage_import_csv(csv_of(roaming_rows(number, ["60.00"], prefix))))
        except Exception as error:  # the test reports it
            answers.append(error)
        finally:
            connection.close()

    from django.db import transaction

    with transaction.atomic():
        UsageMonthly.objects.select_for_update().get(line=world.user_line, roaming=True)
        threads = [threading.Thread(target=run, args=(p,)) for p in ("one", "two")]
        for thread in threads:
            thread.start()
        threading.Event().wait(0.5)
    for thread in threads:
        thread.join()
    assert not [a for a in answers if isinstance(a, Exception)], answers
    assert ThresholdAlert.objects.count() == 1
    assert Notification.objects.count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([world.lr.email, world.full.email])


@pytest.mark.django_db(transaction=True)
def test_the_alert_e_mails_go_out_once_when_the_task_runs_twice_at_once(load_path: str) -> None:
    """A job run again while its first run is still going (its worker thought lost): both
    runs reach the alert's lock, the second finds it sent."""

    from tests.conftest import build_world

    if load_path == "orm":
        pytest.skip("one run is enough: the task does not depend on the load path")
    world = build_world()
    limit = threshold(world, ROAMING, "50.00", line=world.user_line)
    alert = ThresholdAlert.objects.create(threshold=limit, month=date(2026, 10, 1), value=60)
    answers = twice_while_locked(
        lambda: email_threshold_alerts.call([alert.pk]), ThresholdAlert.objects.filter(pk=alert.pk)
    )
    assert answers == [None, None]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([world.lr.email, world.full.email])
    alert.refresh_from_db()
    assert alert.emailed_at is not None


def test_the_import_sees_a_thousand_thresholds_in_a_few_queries(
    world: World,
    django_assert_max_num_queries: Any,
    load_path: str,
) -> None:
    """No query per line or per threshold on the COPY path: the batch's evaluation is one
    statement whatever the number of thresholds (none crossed here)."""
    from tests.factories import LineFactory

    lines = [LineFactory(contract=world.mobile) for _ in range(30)]
    for line in lines:
        threshold(world, EXTRA, "1000.00", line=line)
    rows = [
        f"m{n},{line.number},2026-10-05T08:30:00+02:00,voice,0,60,1.00"
        for n, line in enumerate(lines)
    ]
    most = 12 if load_path == "copy" else 40
    with django_assert_max_num_queries(most):
        usage_import_csv(csv_of(rows))
    assert not ThresholdAlert.objects.exists()


# --- review fixes: each on both load paths ---------------------------------------------------


def test_a_sim_moved_to_another_company_is_read_by_its_company_only(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    """Staff move the SIM to another company's contract: the old company's thresholds on
    it, and on the centre it was in, read nothing of it any more."""
    from consumption.thresholds import (
        threshold_values,
        thresholds_of_company,
        thresholds_of_line,
    )

    centre = CostCentre.objects.create(company=world.company, code="VEND", name="Vendite")
    Line.objects.filter(pk=world.user_line.pk).update(cost_centre=centre)
    on_line = threshold(world, ROAMING, "10.00", line=world.user_line)
    on_centre = threshold(world, ROAMING, "10.00", cost_centre=centre)
    Line.objects.filter(pk=world.user_line.pk).update(contract=world.outsider_line.contract)
    imported(roaming_rows(world.user_line.number, ["60.00"]), django_capture_on_commit_callbacks)
    assert not ThresholdAlert.objects.exists()
    assert not Notification.objects.exists() and not mail.outbox
    october = date(2026, 10, 1)
    values = threshold_values([(on_line, october), (on_centre, october)])
    assert values == {(on_line.pk, october): Decimal(0), (on_centre.pk, october): Decimal(0)}
    assert list(thresholds_of_company(company_id=world.company.pk)) == [on_centre]
    moved = Line.objects.select_related("contract").get(pk=world.user_line.pk)
    assert not thresholds_of_line(line=moved).exists()


def test_recipients_who_lost_access_are_not_warned(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    """At the import: the FULL admin deactivated, the USER no longer the SIM's assignee."""
    made = threshold(world, ROAMING, "10.00", line=world.user_line)
    made.recipients.add(world.user)
    type(world.full).objects.filter(pk=world.full.pk).update(is_active=False)
    Line.objects.filter(pk=world.user_line.pk).update(assignee=None)
    imported(roaming_rows(world.user_line.number, ["60.00"]), django_capture_on_commit_callbacks)
    assert ThresholdAlert.objects.count() == 1
    assert [n.recipient for n in Notification.objects.all()] == [world.lr]
    assert [m.to[0] for m in mail.outbox] == [world.lr.email]


def test_the_e_mail_task_checks_access_again(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    """Between the import and the worker: the USER lost the SIM, the FULL admin became a
    USER (own lines only)."""
    made = threshold(world, ROAMING, "10.00", line=world.user_line)
    made.recipients.add(world.user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        usage_import_csv(csv_of(roaming_rows(world.user_line.number, ["60.00"])))
    assert Notification.objects.count() == 3
    Line.objects.filter(pk=world.user_line.pk).update(assignee=None)
    type(world.full).objects.filter(pk=world.full.pk).update(profile="USER")
    with django_capture_on_commit_callbacks(execute=True):  # the worker's enqueue
        for callback in callbacks:
            callback()
    assert [m.to[0] for m in mail.outbox] == [world.lr.email]


def test_a_cost_centre_warns_only_who_sees_every_sim(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    centre = CostCentre.objects.create(company=world.company, code="VEND", name="Vendite")
    Line.objects.filter(pk=world.user_line.pk).update(cost_centre=centre)
    threshold(world, ROAMING, "10.00", cost_centre=centre)
    type(world.full).objects.filter(pk=world.full.pk).update(profile="USER")
    imported(roaming_rows(world.user_line.number, ["60.00"]), django_capture_on_commit_callbacks)
    assert [n.recipient for n in Notification.objects.all()] == [world.lr]
    assert [m.to[0] for m in mail.outbox] == [world.lr.email]


def test_the_figure_is_compared_as_shown_rounded_to_the_cent(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    threshold(world, ROAMING, "50.00", line=world.user_line)
    imported(
        roaming_rows(world.user_line.number, ["30.0000", "19.9950"]),
        django_capture_on_commit_callbacks,
    )
    assert ThresholdAlert.objects.get().value == Decimal("50.00")  # 49.995 shows as 50,00


def test_a_plan_of_0_mb_caps_nothing(world: World, django_capture_on_commit_callbacks: Any) -> None:
    """A centre with a 1 GB SIM and a 0 MB one: only the 1 GB one's traffic counts."""
    centre = CostCentre.objects.create(company=world.company, code="DATI", name="Dati")
    Line.objects.filter(pk__in=[world.user_line.pk, world.full_line.pk]).update(cost_centre=centre)
    LinePlan.objects.create(line=world.user_line, plan=Plan.objects.create(name="1", data_mb=1024))
    LinePlan.objects.create(line=world.full_line, plan=Plan.objects.create(name="0", data_mb=0))
    threshold(world, DATA, "50", cost_centre=centre)
    threshold(world, DATA, "1", line=world.full_line)
    imported(
        [
            f"d1,{world.user_line.number},2026-10-05T08:30:00+02:00,data,0,{100 * 1024},0",
            f"d2,{world.full_line.number},2026-10-05T08:30:00+02:00,data,0,{2000 * 1024},0",
        ],
        django_capture_on_commit_callbacks,
    )
    assert not ThresholdAlert.objects.exists()  # 100 MB of 1,024: 9.77%


def test_months_before_the_threshold_do_not_alert(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    """Last year's files re-imported: a threshold made in November (Italian time: 1
    November 00:30 is 31 October 23:30 UTC) reads November on, not October."""
    threshold(
        world,
        ROAMING,
        "10.00",
        line=world.user_line,
        created_at=datetime(2026, 10, 31, 23, 30, tzinfo=UTC),
    )
    number = world.user_line.number
    rows = [
        f"o,{number},2026-10-31T22:00:00+01:00,voice,1,60,20.00",
        f"n,{number},2026-11-02T08:30:00+01:00,voice,1,60,20.00",
    ]
    imported(rows, django_capture_on_commit_callbacks)
    assert [a.month for a in ThresholdAlert.objects.all()] == [date(2026, 11, 1)]


def test_a_cost_centre_counts_the_lines_it_had_at_the_months_end(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    """The USER's SIM was in VEND through October and left it on 10 November; the FULL
    admin's joined it on 5 November; the LR's never changed (its current centre counts)."""
    vend = CostCentre.objects.create(company=world.company, code="VEND", name="Vendite")
    other = CostCentre.objects.create(company=world.company, code="ALTRO", name="Altro")
    Line.objects.filter(pk=world.user_line.pk).update(cost_centre=other)
    Line.objects.filter(pk__in=[world.full_line.pk, world.lr_line.pk]).update(cost_centre=vend)
    for line, centre, since in [
        (world.user_line, vend, datetime(2026, 9, 1, tzinfo=UTC)),
        (world.user_line, other, datetime(2026, 11, 10, tzinfo=UTC)),
        (world.full_line, vend, datetime(2026, 11, 5, tzinfo=UTC)),
    ]:
        LineCostCentreChange.objects.create(line=line, cost_centre=centre, since=since)
    limit = threshold(world, ROAMING, "50.00", cost_centre=vend)
    imported(roaming_rows(world.user_line.number, ["30.00"]), django_capture_on_commit_callbacks)
    imported(
        roaming_rows(world.full_line.number, ["40.00"], "f"), django_capture_on_commit_callbacks
    )
    assert not ThresholdAlert.objects.exists()  # October: 30 €, the FULL admin's not yet in
    imported(roaming_rows(world.lr_line.number, ["25.00"], "l"), django_capture_on_commit_callbacks)
    alert = ThresholdAlert.objects.get()
    assert (alert.threshold, alert.value) == (limit, Decimal("55.00"))


def test_the_notifications_of_an_import_are_one_insert(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    from django.test.utils import CaptureQueriesContext

    from tests.factories import LineFactory

    lines = [LineFactory(contract=world.mobile) for _ in range(5)]
    for line in lines:
        threshold(world, EXTRA, "1.00", line=line)
    rows = [
        f"m{n},{line.number},2026-10-05T08:30:00+02:00,voice,0,60,2.00"
        for n, line in enumerate(lines)
    ]
    with CaptureQueriesContext(connection) as queries:
        imported(rows, django_capture_on_commit_callbacks)
    assert ThresholdAlert.objects.count() == 5
    assert Notification.objects.count() == 10
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "accounts_notification"')]
    assert len(inserts) == 1
