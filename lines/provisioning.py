"""The operator's numbering and SIM inventory, asked when an order of new SIMs completes:
which number a new line gets and which SIM card (ICCID and PUK) goes with it. The real
system is reached through SIM_PROVISIONING; the default is a deterministic simulator for
development, the demo and the tests, which a deployment must replace (a deploy check)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.db import connection
from django.utils.module_loading import import_string
from stdnum import luhn

from accounts.models import Line, Sim

SIMULATOR = "lines.provisioning.SimulatedProvisioning"
# The simulator's transaction lock: any constant the project's other advisory locks do not use.
_ALLOCATION_LOCK = 0x5157_0001


@dataclass(frozen=True)
class SimCard:
    iccid: str
    puk: str


class SimProvisioning(Protocol):
    def numbers(self, count: int) -> list[str]:
        """`count` new numbers, E.164, none of them a line's already."""
        ...

    def sim_cards(self, count: int, *, kind: str) -> list[SimCard]:
        """`count` SIM cards (or eSIM profiles) of `kind`, none of them in use."""
        ...


class SimulatedProvisioning:
    """Numbers +39 351 9xx xxxx and ICCIDs 893988… (a Luhn digit last), after the highest
    one already given: ranges that no demo line or test factory uses, so the same state of
    the database always gets the same answer. PUKs follow from the ICCID."""

    NUMBER_PREFIX = "+393519"
    ICCID_PREFIX = "893988"

    def _serialise(self) -> None:
        """Two completions at once would read the same highest number and ICCID and hand
        out the same next ones: each waits for the other's transaction to end, then reads
        what it created. SQLite has one writer at a time already."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ALLOCATION_LOCK])

    def numbers(self, count: int) -> list[str]:
        self._serialise()
        last = (
            Line.objects.filter(number__startswith=self.NUMBER_PREFIX)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        start = int(last[len(self.NUMBER_PREFIX) :]) + 1 if last else 1
        return [f"{self.NUMBER_PREFIX}{serial:06d}" for serial in range(start, start + count)]

    def sim_cards(self, count: int, *, kind: str) -> list[SimCard]:
        self._serialise()
        last = (
            Sim.objects.filter(iccid__startswith=self.ICCID_PREFIX)
            .order_by("-iccid")
            .values_list("iccid", flat=True)
            .first()
        )
        # The serial is what sits between the prefix and the check digit.
        start = int(last[len(self.ICCID_PREFIX) : -1]) + 1 if last else 1
        cards = []
        for serial in range(start, start + count):
            body = f"{self.ICCID_PREFIX}{serial:012d}"
            iccid = body + luhn.calc_check_digit(body)
            puk = f"{random.Random(iccid).randrange(10**8):08d}"  # noqa: S311 - not a secret here
            cards.append(SimCard(iccid=iccid, puk=puk))
        return cards


def provisioning() -> SimProvisioning:
    backend: SimProvisioning = import_string(settings.SIM_PROVISIONING)()
    return backend


@register(Tags.security, deploy=True)
def check_real_provisioning(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The simulator invents numbers and SIMs: a customer's new line must get real ones."""
    if settings.DEMO or settings.SIM_PROVISIONING != SIMULATOR:
        return []
    return [
        Error(
            "SIM_PROVISIONING is the simulator: completed orders would get invented numbers.",
            hint="Set SIM_PROVISIONING to the operator's provisioning client.",
            id="lines.E001",
        )
    ]
