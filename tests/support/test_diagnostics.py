"""The simulated diagnosis (S5) measures what the line's access technology has: light on a
fibre (FTTH), noise margin and attenuation on copper (FTTC, ADSL); never the other's."""

import hashlib
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Line
from support.diagnostics import OPTICAL_POWER_ALARM_DBM, Diagnosis, SimulatedDiagnostics
from tests.accounts.helpers import signed_in
from tests.conftest import World
from tests.factories import LineFactory
from tracking.models import Request, RequestKind

pytestmark = pytest.mark.django_db

T = Line.Technology


def text(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(response.content.decode())


def number(*, faulty: bool) -> str:
    """A fixed number the simulator gives a fault on its last stretch (or none)."""
    for n in range(10_000):
        candidate = f"+3906{n:07d}"
        seed = int(hashlib.sha256(candidate.encode()).hexdigest()[:8], 16)
        if (seed % 4 == 0) == faulty:
            return candidate
    raise AssertionError


def fixed_line(world: World, technology: str, *, faulty: bool = False, **fields: object) -> Line:
    line: Line = LineFactory(
        contract=world.fixed,
        assignee=world.user,
        number=number(faulty=faulty),
        technology=technology,
        **fields,
    )
    return line


def diagnose(line: Line) -> Diagnosis:
    return SimulatedDiagnostics().diagnose(line)


def page(world: World, line: Line) -> str:
    return text(signed_in(world.user).get(reverse("support:diagnosis"), {"line": line.pk}))


def test_a_fibre_line_reports_optical_power_and_no_copper_figures(world: World) -> None:
    line = fixed_line(world, T.FTTH)
    result = diagnose(line)
    assert result.verdict == "OK" and result.in_sync
    assert result.optical_power_dbm is not None
    assert OPTICAL_POWER_ALARM_DBM <= result.optical_power_dbm <= -8
    assert result.noise_margin_db is None and result.attenuation_db is None
    assert result.downstream_mbps >= 900  # a 1 Gbit/s fibre profile
    shown = page(world, line)
    assert "Potenza ottica ricevuta" in shown and " dBm" in shown
    assert "Margine di rumore" not in shown and "Attenuazione" not in shown
    assert "Fibra ottica fino all'ufficio (FTTH)" in shown
    assert "La linea funziona correttamente." in shown


def test_weak_light_on_a_fibre_is_an_alarm_and_suggests_a_fault(world: World) -> None:
    line = fixed_line(world, T.FTTH, faulty=True)
    result = diagnose(line)
    assert result.optical_power_dbm is not None
    assert result.optical_power_dbm < OPTICAL_POWER_ALARM_DBM
    assert result.verdict == "DEGRADED" and result.fault_suspected
    shown = page(world, line)
    assert "Potenza ottica ricevuta bassa" in shown and "sotto la soglia di -27 dBm" in shown
    assert "Margine di rumore" not in shown
    assert f"{reverse('support:fault')}?linea={line.pk}&problema=SLOW" in shown


@pytest.mark.parametrize(("technology", "top_speed"), [(T.FTTC, 200), (T.ADSL, 20)])
def test_a_copper_line_reports_noise_margin_and_attenuation(
    world: World, technology: str, top_speed: int
) -> None:
    line = fixed_line(world, technology)
    result = diagnose(line)
    assert result.optical_power_dbm is None
    assert result.noise_margin_db is not None and result.noise_margin_db >= 6
    assert result.attenuation_db is not None
    assert 0 < result.downstream_mbps <= top_speed
    shown = page(world, line)
    assert "Margine di rumore" in shown and "Attenuazione" in shown and " dB<" in shown
    assert "Potenza ottica" not in shown and "dBm" not in shown


def test_a_noisy_copper_pair_is_degraded_and_slow(world: World) -> None:
    line = fixed_line(world, T.FTTC, faulty=True)
    result = diagnose(line)
    assert result.verdict == "DEGRADED"
    assert result.noise_margin_db is not None and result.noise_margin_db < 6
    assert result.downstream_mbps < 100
    assert "Margine di rumore basso: la linea è disturbata." in result.findings
    assert "Margine di rumore basso" in page(world, line)


@pytest.mark.parametrize("technology", [T.FTTH, T.FTTC, T.ADSL])
def test_the_same_line_gives_the_same_result(world: World, technology: str) -> None:
    line = fixed_line(world, technology, faulty=technology == T.FTTC)
    first, again = diagnose(line).as_dict(), diagnose(line).as_dict()
    first.pop("checked_at"), again.pop("checked_at")
    assert first == again


def test_a_suspended_fibre_is_down_by_decision_not_by_a_fault(world: World) -> None:
    line = fixed_line(world, T.FTTH, state=Line.State.SUSPENDED)
    result = diagnose(line)
    assert result.verdict == "DOWN" and not result.in_sync and not result.line_active
    assert (result.downstream_mbps, result.upstream_mbps) == (0, 0)
    # The fibre is still there and lit: its light is measured, within the normal range.
    assert result.optical_power_dbm is not None
    assert result.optical_power_dbm >= OPTICAL_POWER_ALARM_DBM
    assert not result.fault_suspected
    shown = page(world, line)
    assert "La linea non è attiva" in shown and "sospesa" in shown
    assert "Apri una segnalazione di guasto" not in shown


def test_a_blocked_copper_line_has_attenuation_but_no_noise_margin(world: World) -> None:
    line = fixed_line(world, T.ADSL, state=Line.State.BLOCKED)
    result = diagnose(line)
    assert result.verdict == "DOWN" and not result.in_sync
    # Out of sync a pair has no noise margin to read; its attenuation is still measured.
    assert result.noise_margin_db is None and result.attenuation_db is not None
    assert any("bloccata" in finding for finding in result.findings)


def test_a_ceased_line_has_nothing_to_measure(world: World) -> None:
    result = diagnose(fixed_line(world, T.FTTH, faulty=True, state=Line.State.CEASED))
    assert result.verdict == "DOWN" and result.optical_power_dbm is None
    assert result.findings == ["La linea è cessata: non c'è più un collegamento da provare."]


def test_a_fault_carries_the_diagnosis_of_its_technology(world: World) -> None:
    line = fixed_line(world, T.FTTH)
    data = {
        "line": str(line.pk),
        "category": "SLOW",
        "description": "Internet lento",
        "availability": "Feriali 9-13",
        "phone": "+39 06 1234567",
    }
    client = signed_in(world.user)
    assert client.post(reverse("support:fault"), data).status_code == 302
    fault = Request.objects.get(kind=RequestKind.FAULT)
    stored = fault.details["diagnosis"]
    assert stored["technology"] == "FTTH" and "optical_power_dbm" in stored
    assert "noise_margin_db" not in stored and "attenuation_db" not in stored
    shown = text(client.get(reverse("support:request-detail", args=[fault.reference])))
    assert "Diagnosi: potenza ottica ricevuta (dBm)" in shown
    assert "Fibra ottica fino all'ufficio (FTTH)" in shown and "margine di rumore" not in shown


def test_the_line_page_shows_its_technology(world: World) -> None:
    line = fixed_line(world, T.FTTC)
    shown = text(signed_in(world.lr).get(reverse("lines:detail", args=[line.pk])))
    assert "Tecnologia di accesso" in shown and "Fibra misto rame (FTTC)" in shown
    mobile = text(signed_in(world.lr).get(reverse("lines:detail", args=[world.lr_line.pk])))
    assert "Tecnologia di accesso" not in mobile


def test_fixed_lines_need_a_technology_and_mobile_lines_have_none(world: World) -> None:
    with pytest.raises(ValidationError, match="tecnologia"):
        LineFactory.build(contract=world.fixed, technology="").full_clean()
    with pytest.raises(ValidationError, match="tecnologia"):
        LineFactory.build(contract=world.mobile, technology=T.FTTH).full_clean()
    LineFactory.build(contract=world.fixed, technology=T.ADSL).full_clean()
    # A fixed line from before the field can still be edited (reassigned, say) before an
    # operator records its technology.
    older = Line.objects.get(pk=world.fixed_line.pk)
    Line.objects.filter(pk=older.pk).update(technology="")
    older.refresh_from_db()
    older.label = "Centralino"
    older.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Line.objects.filter(pk=world.fixed_line.pk).update(technology="FWA")
