"""Fixed-line diagnosis through the network's test systems.

`LineDiagnostics` is what the customer area needs; `SimulatedDiagnostics` is the default for
development and demos: results are realistic and the same for the same line and day, and
depend on the line's state and access technology. A real implementation (the operator's
line-test API) is chosen with the DIAGNOSTICS_BACKEND setting.

What a test can measure depends on the technology: on a fibre to the office (FTTH) the
light the office's terminal receives; on a copper pair (FTTC's last stretch, ADSL) its noise
margin and attenuation. A result never carries the other kind's figures.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts.models import Line

T = Line.Technology

# Below this a GPON terminal loses frames (class B+ optics: about -8 to -27 dBm received).
OPTICAL_POWER_ALARM_DBM = -27.0
# A copper pair with less margin than this drops its sync on the first disturbance.
NOISE_MARGIN_ALARM_DB = 6.0
# Attenuation beyond which the pair cannot carry its profile's speed.
ATTENUATION_ALARM_DB: dict[str, float] = {T.FTTC: 30.0, T.ADSL: 45.0}


@dataclass(frozen=True)
class Diagnosis:
    line_number: str
    technology: str  # a Line.Technology value; "" when the line's is not recorded
    checked_at: datetime
    line_active: bool
    in_sync: bool
    downstream_mbps: float
    upstream_mbps: float
    last_outage: datetime | None
    verdict: str  # "OK" | "DEGRADED" | "DOWN"
    findings: list[str] = field(default_factory=list)
    # Fibre only: the optical power the office's terminal receives.
    optical_power_dbm: float | None = None
    # Copper only (FTTC, ADSL): measured on the pair.
    noise_margin_db: float | None = None
    attenuation_db: float | None = None

    @property
    def fault_suspected(self) -> bool:
        """A line that is not active is down by decision, not by a fault."""
        return self.line_active and self.verdict != "OK"

    @property
    def technology_label(self) -> str:
        return str(T(self.technology).label) if self.technology in T.values else ""

    @property
    def optical_power_low(self) -> bool:
        return self.optical_power_dbm is not None and self.optical_power_dbm < (
            OPTICAL_POWER_ALARM_DBM
        )

    @property
    def noise_margin_low(self) -> bool:
        return self.noise_margin_db is not None and self.noise_margin_db < NOISE_MARGIN_ALARM_DB

    @property
    def attenuation_high(self) -> bool:
        limit = ATTENUATION_ALARM_DB.get(self.technology)
        return self.attenuation_db is not None and limit is not None and self.attenuation_db > limit

    def as_dict(self) -> dict[str, object]:
        """What goes with a fault report: only the figures this technology has."""
        result: dict[str, object] = {
            "checked_at": self.checked_at.isoformat(),
            "verdict": self.verdict,
            "technology": self.technology,
            "in_sync": self.in_sync,
            "downstream_mbps": self.downstream_mbps,
            "upstream_mbps": self.upstream_mbps,
        }
        measured = {
            "optical_power_dbm": self.optical_power_dbm,
            "noise_margin_db": self.noise_margin_db,
            "attenuation_db": self.attenuation_db,
        }
        result |= {key: value for key, value in measured.items() if value is not None}
        result["last_outage"] = self.last_outage.isoformat() if self.last_outage else None
        return result


class LineDiagnostics(Protocol):
    def diagnose(self, line: Line) -> Diagnosis: ...


# The sync rates (Mbit/s, down and up) of each technology's profile, healthy and degraded.
HEALTHY_RATES = {
    T.FTTH: ((940, 1000), (280, 300)),
    T.FTTC: ((180, 200), (18, 20)),
    T.ADSL: ((14, 20), (0.8, 1.0)),
    "": ((80, 100), (18, 20)),
}
DEGRADED_RATES = {
    T.FTTH: ((900, 990), (250, 300)),  # GPON keeps its rate; frames are lost, not speed
    T.FTTC: ((35, 60), (4, 8)),
    T.ADSL: ((2, 6), (0.3, 0.6)),
    "": ((10, 30), (2, 5)),
}


class SimulatedDiagnostics:
    """One line in four has a fault on its last stretch (weak light on a fibre, a noisy pair on
    copper); a line that is not active has no service, whatever its physical state."""

    def diagnose(self, line: Line) -> Diagnosis:
        seed = int(hashlib.sha256(line.number.encode()).hexdigest()[:8], 16)
        today = timezone.localdate()
        rng = random.Random(f"{seed}-{today.isoformat()}")  # noqa: S311 - a simulation, not a secret
        now = timezone.now()
        technology = line.technology if line.technology in T.values else ""
        faulty = seed % 4 == 0 and line.state != Line.State.CEASED
        power, margin, attenuation = _physical(rng, technology, faulty=faulty)
        if not line.is_active:
            return self._not_active(line, technology, now, power, attenuation)
        down, up = (DEGRADED_RATES if faulty else HEALTHY_RATES)[technology]
        # A line with a fault dropped yesterday; a healthy one weeks ago.
        outage_day = today - timedelta(days=1 if faulty else rng.randint(2, 45))
        last_outage = timezone.make_aware(
            datetime.combine(outage_day, time(rng.randint(0, 23), rng.randint(0, 59)))
        )
        diagnosis = Diagnosis(
            line_number=line.number,
            technology=technology,
            checked_at=now,
            line_active=True,
            in_sync=True,
            downstream_mbps=round(rng.uniform(*down), 1),
            upstream_mbps=round(rng.uniform(*up), 1),
            last_outage=last_outage,
            verdict="OK",
            optical_power_dbm=power,
            noise_margin_db=margin,
            attenuation_db=attenuation,
        )
        findings = _findings(diagnosis, slow=faulty)
        verdict = "DEGRADED" if findings else "OK"
        if faulty:
            findings.append(_("Interruzioni recenti della linea."))
        if not findings:
            findings.append(_("Nessun problema rilevato sulla linea."))
        return replace(diagnosis, verdict=verdict, findings=findings)

    def _not_active(
        self,
        line: Line,
        technology: str,
        now: datetime,
        power: float | None,
        attenuation: float | None,
    ) -> Diagnosis:
        """Suspended or blocked: the network stops the service, the fibre or the pair is still
        there and measurable (a copper pair out of sync has no noise margin to read).
        Ceased: nothing left to measure."""
        ceased = line.state == Line.State.CEASED
        if ceased:
            findings = [_("La linea è cessata: non c'è più un collegamento da provare.")]
        else:
            findings = [
                _(
                    "La linea è %(state)s: il servizio è fermo per una scelta amministrativa, "
                    "non per un guasto, e riprende quando la linea torna attiva."
                )
                % {"state": line.state_label.lower()}
            ]
            if power is not None or attenuation is not None:
                findings.append(_("Il collegamento fisico fino all'ufficio risulta integro."))
        return Diagnosis(
            line_number=line.number,
            technology=technology,
            checked_at=now,
            line_active=False,
            in_sync=False,
            downstream_mbps=0.0,
            upstream_mbps=0.0,
            last_outage=None,
            verdict="DOWN",
            findings=findings,
            optical_power_dbm=None if ceased else power,
            attenuation_db=None if ceased else attenuation,
        )


def _physical(
    rng: random.Random, technology: str, *, faulty: bool
) -> tuple[float | None, float | None, float | None]:
    """(optical power dBm, noise margin dB, attenuation dB) as this technology measures them."""
    if technology == T.FTTH:
        power = rng.uniform(-29.5, -27.5) if faulty else rng.uniform(-22.0, -14.0)
        return round(power, 1), None, None
    if technology == T.FTTC:
        margin = rng.uniform(1.5, 4.5) if faulty else rng.uniform(8, 14)
        attenuation = rng.uniform(32, 42) if faulty else rng.uniform(8, 22)
        return None, round(margin, 1), round(attenuation, 1)
    if technology == T.ADSL:
        margin = rng.uniform(1.5, 4.5) if faulty else rng.uniform(8, 14)
        attenuation = rng.uniform(48, 60) if faulty else rng.uniform(20, 40)
        return None, round(margin, 1), round(attenuation, 1)
    return None, None, None


def _findings(diagnosis: Diagnosis, *, slow: bool) -> list[str]:
    findings: list[str] = []
    if diagnosis.optical_power_low and diagnosis.optical_power_dbm is not None:
        findings.append(
            _(
                "Potenza ottica ricevuta bassa (%(value)s dBm, sotto la soglia di %(limit)s dBm): "
                "la fibra nell'ufficio o un suo connettore perde segnale."
            )
            % {
                "value": number_format(diagnosis.optical_power_dbm, 1),
                "limit": number_format(OPTICAL_POWER_ALARM_DBM, 0),
            }
        )
    if diagnosis.noise_margin_low:
        findings.append(_("Margine di rumore basso: la linea è disturbata."))
    if diagnosis.attenuation_high:
        findings.append(_("Attenuazione alta: velocità ridotta rispetto al profilo."))
    if slow and not findings:  # a line whose technology is not recorded shows only its speed
        findings.append(_("Velocità ridotta rispetto al profilo della linea."))
    return findings


@cache
def _backend(path: str) -> LineDiagnostics:
    backend: LineDiagnostics = import_string(path)()
    return backend


def diagnostics() -> LineDiagnostics:
    return _backend(settings.DIAGNOSTICS_BACKEND)
