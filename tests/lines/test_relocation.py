"""Relocation of a fixed line (L2, LR only): Italian address, a working day far enough ahead,
a contact phone; completing it moves the line."""

from datetime import date, timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Line
from core.workdays import first_working_day_from, is_working_day
from lines.forms import earliest_relocation_date
from lines.models import LineEvent
from tests.accounts.helpers import signed_in
from tests.conftest import World
from tracking.models import Request, RequestKind, RequestState
from tracking.services import request_transition

pytestmark = pytest.mark.django_db


def valid_day() -> date:
    return earliest_relocation_date(timezone.localdate())


def relocate(client, line: Line, **changes: str):  # type: ignore[no-untyped-def]
    data = {
        "street": "Via Nazionale 200",
        "postal_code": "00184",
        "city": "Roma",
        "province": "RM",
        "preferred_date": valid_day().isoformat(),
        "contact_phone": "+39 06 1234 5678",
        **changes,
    }
    return client.post(reverse("lines:relocation", args=[line.pk]), data)


def test_lr_asks_for_a_relocation(world: World) -> None:
    response = relocate(signed_in(world.lr), world.fixed_line)
    assert response.status_code == 302
    tracked = Request.objects.get(kind=RequestKind.RELOCATION)
    assert tracked.line == world.fixed_line
    assert tracked.details["preferred_date"] == valid_day().isoformat()
    assert tracked.details["contact_phone"] == "+390612345678"


@pytest.mark.parametrize("profile", ["full", "light", "user"])
def test_only_the_lr_may_ask(world: World, profile: str) -> None:
    response = relocate(signed_in(getattr(world, profile)), world.fixed_line)
    assert response.status_code == 403
    assert not Request.objects.exists()


def test_mobile_lines_and_other_companies_lines_are_404(world: World) -> None:
    assert relocate(signed_in(world.lr), world.lr_line).status_code == 404


def test_too_early_a_date_is_refused(world: World) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = relocate(signed_in(world.lr), world.fixed_line, preferred_date=tomorrow.isoformat())
    assert "serve il tempo per organizzare" in unescape(response.content.decode())
    assert not Request.objects.exists()


def test_weekends_and_holidays_are_refused(world: World) -> None:
    start = valid_day() + timedelta(days=1)
    saturday = start + timedelta(days=(5 - start.weekday()) % 7)
    response = relocate(signed_in(world.lr), world.fixed_line, preferred_date=saturday.isoformat())
    assert "non è un giorno lavorativo" in unescape(response.content.decode())
    year = timezone.localdate().year + 1
    christmas = date(year, 12, 25)
    assert not is_working_day(christmas)
    assert not is_working_day(date(year, 8, 15))  # Ferragosto
    assert first_working_day_from(date(2026, 12, 25)) == date(2026, 12, 28)
    assert not Request.objects.exists()


def test_far_future_and_malformed_dates_are_refused(world: World) -> None:
    far = first_working_day_from(timezone.localdate() + timedelta(days=400))
    html = relocate(signed_in(world.lr), world.fixed_line, preferred_date=far.isoformat())
    assert "entro sei mesi" in unescape(html.content.decode())
    html = relocate(signed_in(world.lr), world.fixed_line, preferred_date="31/02/2027")
    assert html.status_code == 200
    assert not Request.objects.exists()


def test_bad_address_and_phone_are_refused(world: World) -> None:
    response = relocate(
        signed_in(world.lr), world.fixed_line, postal_code="ABCDE", contact_phone="chiamami"
    )
    html = unescape(response.content.decode())
    assert "Il CAP è formato da 5 cifre." in html
    assert "Numero di telefono non valido: scrivilo ad esempio come 333 1234567" in html
    assert not Request.objects.exists()


def test_a_second_relocation_while_one_is_open_is_refused(world: World) -> None:
    client = signed_in(world.lr)
    relocate(client, world.fixed_line)
    response = relocate(client, world.fixed_line, street="Via Tuscolana 5")
    assert "già una richiesta di questo tipo in lavorazione" in unescape(response.content.decode())
    assert Request.objects.count() == 1


def test_completion_moves_the_line(world: World) -> None:
    relocate(signed_in(world.lr), world.fixed_line)
    tracked = Request.objects.get()
    request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=world.staff)
    request_transition(request=tracked, to_state=RequestState.COMPLETED, actor=world.staff)
    world.fixed_line.refresh_from_db()
    assert world.fixed_line.site_address == "Via Nazionale 200, 00184 Roma (RM)"
    assert LineEvent.objects.get(line=world.fixed_line).kind == LineEvent.Kind.RELOCATED
