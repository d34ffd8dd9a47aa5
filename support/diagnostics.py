"""Fixed-line diagnosis through the network's test systems.

`LineDiagnostics` is what the customer area needs; `SimulatedDiagnostics` is the default for
development and demos: results are realistic and the same for the same line and day, and
depend on the line's state. A real implementation (the operator's line-test API) is chosen
with the DIAGNOSTICS_BACKEND setting.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts.models import Line


@dataclass(frozen=True)
class Diagnosis:
    line_number: str
    checked_at: datetime
    in_sync: bool
    downstream_mbps: float
    upstream_mbps: float
    noise_margin_db: float
    attenuation_db: float
    last_outage: datetime | None
    verdict: str  # "OK" | "DEGRADED" | "DOWN"
    findings: list[str] = field(default_factory=list)

    @property
    def fault_suspected(self) -> bool:
        return self.verdict != "OK"

    def as_dict(self) -> dict[str, object]:
        return {
            "checked_at": self.checked_at.isoformat(),
            "verdict": self.verdict,
            "in_sync": self.in_sync,
            "downstream_mbps": self.downstream_mbps,
            "upstream_mbps": self.upstream_mbps,
            "noise_margin_db": self.noise_margin_db,
            "attenuation_db": self.attenuation_db,
            "last_outage": self.last_outage.isoformat() if self.last_outage else None,
        }


class LineDiagnostics(Protocol):
    def diagnose(self, line: Line) -> Diagnosis: ...


class SimulatedDiagnostics:
    """One line in four has a noisy copper stretch; a line that is not active has no sync."""

    def diagnose(self, line: Line) -> Diagnosis:
        seed = int(hashlib.sha256(line.number.encode()).hexdigest()[:8], 16)
        today = timezone.localdate()
        rng = random.Random(f"{seed}-{today.isoformat()}")  # noqa: S311 - a simulation, not a secret
        now = timezone.now()
        outage_day = today - timedelta(days=rng.randint(2, 45))
        last_outage = timezone.make_aware(
            datetime.combine(outage_day, time(rng.randint(0, 23), rng.randint(0, 59)))
        )
        if line.state != Line.State.ACTIVE:
            return Diagnosis(
                line.number, now, False, 0.0, 0.0, 0.0, 0.0, now, "DOWN",
                [_("La linea non è attiva: nessun aggancio alla centrale.")],
            )  # fmt: skip
        if seed % 4 == 0:
            return Diagnosis(
                line_number=line.number,
                checked_at=now,
                in_sync=True,
                downstream_mbps=round(rng.uniform(18, 35), 1),
                upstream_mbps=round(rng.uniform(2, 5), 1),
                noise_margin_db=round(rng.uniform(1.5, 4.5), 1),
                attenuation_db=round(rng.uniform(48, 60), 1),
                last_outage=now - timedelta(hours=rng.randint(1, 20)),
                verdict="DEGRADED",
                findings=[
                    _("Margine di rumore basso: la linea è disturbata."),
                    _("Attenuazione alta: velocità ridotta rispetto al profilo."),
                    _("Interruzioni recenti della linea."),
                ],
            )
        return Diagnosis(
            line_number=line.number,
            checked_at=now,
            in_sync=True,
            downstream_mbps=round(rng.uniform(180, 200), 1),
            upstream_mbps=round(rng.uniform(18, 20), 1),
            noise_margin_db=round(rng.uniform(8, 14), 1),
            attenuation_db=round(rng.uniform(8, 22), 1),
            last_outage=last_outage,
            verdict="OK",
            findings=[_("Nessun problema rilevato sulla linea.")],
        )


@cache
def _backend(path: str) -> LineDiagnostics:
    backend: LineDiagnostics = import_string(path)()
    return backend


def diagnostics() -> LineDiagnostics:
    return _backend(settings.DIAGNOSTICS_BACKEND)
