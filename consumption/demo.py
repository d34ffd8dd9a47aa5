"""Realistic usage for the demo SIMs, loaded through the CSV importer, priced as the invoices
bill it: what a plan does not include (beyond its allowances; roaming outside the EU
without the Roaming Europa Plus option) has a cost on each record, and the invoices' traffic
is the sum of those costs (`usage_cost_by_month`)."""

from __future__ import annotations

import io
import math
import random
from collections import defaultdict
from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from accounts.models import Line, User
from billing.models import Payment
from consumption.models import (
    LinePlan,
    Plan,
    SimCredit,
    Threshold,
    ThresholdMetric,
    TopUp,
    UsageMonthly,
    UsageRecord,
)
from consumption.services import usage_import_csv
from consumption.thresholds import thresholds_evaluate

PLANS = [
    ("Business Unlimited 100 GB", None, None, 100 * 1024),
    ("Business Smart 20 GB", 1000, 200, 20 * 1024),
]
CENT = Decimal("0.01")
# Beyond a plan's allowance, in Italy.
EXTRA_PER_MINUTE = Decimal("0.10")
EXTRA_PER_SMS = Decimal("0.10")
EXTRA_PER_GB = Decimal("2.00")
# Roaming days are spent in Switzerland: outside the EU, so outside "roam like at home".
ROAMING_PER_MINUTE = Decimal("0.50")
ROAMING_PER_SMS = Decimal("0.30")
ROAMING_PER_GB = Decimal("10.00")
KB_PER_GB = 1024 * 1024


def seed_plans(lines: list[Line]) -> dict[int, str]:
    """Give each SIM its plan (one in three the Smart one); returns the plan's name by line."""
    plans = [
        Plan.objects.update_or_create(
            name=name, defaults={"voice_minutes": voice, "sms": sms, "data_mb": data}
        )[0]
        for name, voice, sms, data in PLANS
    ]
    chosen: dict[int, str] = {}
    for index, line in enumerate(lines):
        plan = plans[index % 3 == 2]
        LinePlan.objects.update_or_create(line=line, defaults={"plan": plan})
        chosen[line.pk] = plan.name
    return chosen


class _Allowance:
    """What is left of a plan's monthly allowances; a record beyond them costs extra."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.month: date | None = None
        self.used: dict[str, int] = {}

    def cost_beyond(self, day: date, kind: str, quantity: int) -> Decimal:
        month = day.replace(day=1)
        if month != self.month:
            self.month, self.used = month, defaultdict(int)
        limit = {
            "VOICE": self.plan.voice_minutes,
            "SMS": self.plan.sms,
            "DATA": None if self.plan.data_mb is None else self.plan.data_mb * 1024,
        }[kind]
        units = math.ceil(quantity / 60) if kind == "VOICE" else quantity  # minutes started
        before = self.used[kind]
        self.used[kind] = before + units
        if limit is None:
            return Decimal("0")
        beyond = max(0, before + units - limit) - max(0, before - limit)
        if kind == "DATA":
            return (Decimal(beyond) / KB_PER_GB * EXTRA_PER_GB).quantize(CENT)
        return beyond * (EXTRA_PER_MINUTE if kind == "VOICE" else EXTRA_PER_SMS)


def _roaming_cost(kind: str, quantity: int) -> Decimal:
    if kind == "VOICE":
        return math.ceil(quantity / 60) * ROAMING_PER_MINUTE
    if kind == "SMS":
        return quantity * ROAMING_PER_SMS
    return (Decimal(quantity) / KB_PER_GB * ROAMING_PER_GB).quantize(CENT)


def seed_usage(lines: list[Line], *, since: date, roaming_included: Collection[int] = ()) -> None:
    """From `since` to yesterday, each SIM makes a few calls, some texts and browses every
    working day; a few days are spent abroad. `roaming_included`: the lines (ids) whose
    option makes roaming free. Every cost is in whole cents, so any sum of them is what an
    invoice bills to the cent."""
    if UsageRecord.objects.filter(line__in=lines).exists():
        return
    plans = dict(LinePlan.objects.filter(line__in=lines).values_list("line_id", "plan"))
    by_id = Plan.objects.in_bulk(set(plans.values()))
    today = timezone.localdate()
    buffer = io.StringIO()
    buffer.write("record_id,number,started_at,kind,roaming,quantity,cost\n")

    for line in lines:
        rng = random.Random(line.number)
        heavy = rng.random()
        allowance = _Allowance(by_id[plans[line.pk]])
        for back in range((today - since).days, 0, -1):
            day = today - timedelta(days=back)
            key = f"{line.number}-{day:%Y%m%d}"
            weekend = day.weekday() >= 5
            roaming = rng.random() < 0.02
            records: list[tuple[str, time, str, int]] = []
            for n in range(rng.randint(0, 2 if weekend else 6)):
                at = time(8 + rng.randint(0, 11), rng.randint(0, 59))
                records.append((f"v{n}", at, "VOICE", rng.randint(20, 900)))
            if rng.random() < 0.3:
                records.append(("s", time(12), "SMS", rng.randint(1, 4)))
            megabytes = rng.randint(20, 200) * (1 + 4 * heavy) * (0.3 if weekend else 1)
            records.append(("d", time(18), "DATA", int(megabytes * 1024)))
            for suffix, at, kind, quantity in records:
                if not roaming:
                    cost = allowance.cost_beyond(day, kind, quantity)
                elif line.pk in roaming_included:
                    cost = Decimal("0")
                else:
                    cost = _roaming_cost(kind, quantity)
                moment = timezone.make_aware(datetime.combine(day, at))
                buffer.write(
                    f"{key}-{suffix},{line.number},{moment.isoformat()},{kind},"
                    f"{int(roaming)},{quantity},{cost}\n"
                )
    buffer.seek(0)
    usage_import_csv(buffer)


def usage_cost_by_month(lines: list[Line]) -> dict[tuple[int, date], Decimal]:
    """The cost of each line's usage by month, as the usage pages add it up: what the
    invoices bill as traffic."""
    rows = (
        UsageMonthly.objects.filter(line__in=lines)
        .values("line_id", "month")
        .annotate(cost=Sum("cost"))
        .order_by()
    )
    return {(row["line_id"], row["month"]): row["cost"] for row in rows if row["cost"]}


def seed_credit(lines: list[Line], requester: User) -> None:
    """A remaining credit on every SIM and a few past top-ups, paid in the sandbox."""
    for index, line in enumerate(lines):
        SimCredit.objects.get_or_create(
            line=line, defaults={"balance": Decimal(5 + (index * 7) % 40)}
        )
    if TopUp.objects.filter(line__in=lines).exists():
        return
    now = timezone.now()
    for days_ago, line, amount in [(40, lines[0], 25), (20, lines[3], 10), (5, lines[0], 50)]:
        reference = f"sbx_demo_{line.number[-4:]}_{days_ago}"
        payment = Payment.objects.create(
            purpose=Payment.Purpose.TOP_UP,
            subject=f"line:{line.pk}",
            amount=amount,
            description=f"Ricarica della SIM {line.number}",
            return_path=reverse("consumption:top-up-result", args=[reference]),
            provider="sandbox",
            provider_reference=reference,
            idempotency_key=reference,
            status=Payment.Status.SUCCEEDED,
            created_by=requester,
            completed_at=now - timedelta(days=days_ago),
        )
        top_up = TopUp.objects.create(
            line=line,
            amount=amount,
            payment=payment,
            requested_by=requester,
            status=TopUp.Status.CREDITED,
            credited_at=now - timedelta(days=days_ago),
        )
        TopUp.objects.filter(pk=top_up.pk).update(created_at=now - timedelta(days=days_ago))


def seed_thresholds(lines: list[Line], *, recipients: list[User], today: date) -> None:
    """A few thresholds on the demo SIMs, warning `recipients` (the first sets them): 50 € of
    roaming on two SIMs, 80% of the data allowance on a third, and a cap on extra spend on
    the SIM that spent most last month, set under what it spent: evaluated like an import
    does, it is crossed, so the bell in the header has something to count."""
    company = lines[0].contract.company
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    spenders = (
        UsageMonthly.objects.filter(line__in=lines, month=last_month)
        .values("line_id")
        .annotate(spent=Sum("cost"))
        .order_by("-spent", "line_id")
    )
    top = spenders.first()
    wanted = [
        (lines[0], ThresholdMetric.ROAMING_SPEND, Decimal("50.00")),
        (lines[1], ThresholdMetric.ROAMING_SPEND, Decimal("50.00")),
        (lines[3], ThresholdMetric.DATA_PERCENT, Decimal("80.00")),
    ]
    if top and top["spent"] >= 2:
        spender = next(line for line in lines if line.pk == top["line_id"])
        wanted.append(
            (spender, ThresholdMetric.EXTRA_SPEND, (top["spent"] * 8 / 10).quantize(Decimal(1)))
        )
    for line, metric, limit in wanted:
        threshold, made = Threshold.objects.get_or_create(
            line=line,
            metric=metric,
            defaults={"company": company, "limit": limit, "created_by": recipients[0]},
        )
        if made:
            threshold.recipients.set(recipients)
            # Set since last month: a threshold reads the months from its own on.
            Threshold.objects.filter(pk=threshold.pk).update(
                created_at=timezone.make_aware(datetime.combine(last_month, time.min))
            )
    thresholds_evaluate(
        {
            (line.pk, month)
            for line, _metric, _limit in wanted
            for month in (last_month, today.replace(day=1))
        }
    )
