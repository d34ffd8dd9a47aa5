"""Twelve months of realistic usage for the demo SIMs, loaded through the CSV importer."""

from __future__ import annotations

import io
import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from accounts.models import Line, User
from billing.models import Payment
from consumption.models import LinePlan, Plan, SimCredit, TopUp, UsageRecord
from consumption.services import usage_import_csv

PLANS = [
    ("Business Unlimited 100 GB", None, None, 100 * 1024),
    ("Business Smart 20 GB", 1000, 200, 20 * 1024),
]


def seed_usage(lines: list[Line], *, days: int = 365) -> None:
    """Each SIM makes a few calls, some texts and browses every working day; a few roam."""
    plans = [
        Plan.objects.update_or_create(
            name=name, defaults={"voice_minutes": voice, "sms": sms, "data_mb": data}
        )[0]
        for name, voice, sms, data in PLANS
    ]
    for index, line in enumerate(lines):
        LinePlan.objects.update_or_create(line=line, defaults={"plan": plans[index % 3 == 2]})
    if UsageRecord.objects.filter(line__in=lines).exists():
        return
    today = timezone.localdate()
    buffer = io.StringIO()
    buffer.write("record_id,number,started_at,kind,roaming,quantity,cost\n")

    def row(
        record_id: str,
        line: Line,
        at: datetime,
        kind: str,
        roaming: bool,
        quantity: int,
        cost: str = "0",
    ) -> None:
        at = timezone.make_aware(at)
        buffer.write(
            f"{record_id},{line.number},{at.isoformat()},{kind},{int(roaming)},{quantity},{cost}\n"
        )

    for line in lines:
        rng = random.Random(line.number)
        heavy = rng.random()
        for back in range(days, 0, -1):
            day = today - timedelta(days=back)
            key = f"{line.number}-{day:%Y%m%d}"
            weekend = day.weekday() >= 5
            roaming = rng.random() < 0.02
            for n in range(rng.randint(0, 2 if weekend else 6)):
                at = datetime.combine(day, time(8 + rng.randint(0, 11), rng.randint(0, 59)))
                row(f"{key}-v{n}", line, at, "VOICE", roaming, rng.randint(20, 900))
            if rng.random() < 0.3:
                cost = "0.30" if roaming else "0"
                row(
                    f"{key}-s",
                    line,
                    datetime.combine(day, time(12)),
                    "SMS",
                    roaming,
                    rng.randint(1, 4),
                    cost,
                )
            megabytes = rng.randint(20, 200) * (1 + 4 * heavy) * (0.3 if weekend else 1)
            row(
                f"{key}-d",
                line,
                datetime.combine(day, time(18)),
                "DATA",
                roaming,
                int(megabytes * 1024),
            )
    buffer.seek(0)
    usage_import_csv(buffer)


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
