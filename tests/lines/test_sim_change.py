"""SIM change (L4): a tracked request; completing it in the back office gives the line its
new SIM, and a line blocked after a theft works again."""

from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Line, Sim
from lines.models import LineEvent
from tests.accounts.helpers import signed_in
from tests.conftest import World
from tests.factories import _iccid
from tracking.models import Request, RequestKind, RequestState
from tracking.services import CompletionRefused, request_transition

pytestmark = pytest.mark.django_db

PHYSICAL = {
    "reason": "BROKEN",
    "sim_kind": "PHYSICAL",
    "recipient": "Mario Rossi",
    "street": "Via Roma 10",
    "postal_code": "00184",
    "city": "Roma",
    "province": "RM",
}
# The back office completes an eSIM change by hand; a physical SIM's change completes with
# its delivery (tests/tracking/test_shipments.py).
ESIM = {"reason": "BROKEN", "sim_kind": "ESIM", "esim_email": "nuova.esim@example.it"}


def change(client, line: Line, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(reverse("lines:sim-change", args=[line.pk]), data)


def test_physical_sim_change_opens_a_request_with_the_delivery_address(world: World) -> None:
    response = change(signed_in(world.full), world.user_line, PHYSICAL)
    assert response.status_code == 302
    tracked = Request.objects.get(kind=RequestKind.SIM_CHANGE)
    assert tracked.line == world.user_line and tracked.requester == world.full
    assert tracked.details["delivery"]["postal_code"] == "00184"
    assert tracked.details["reason"] == "BROKEN"


def test_physical_sim_needs_the_delivery_address(world: World) -> None:
    data = {**PHYSICAL, "street": "", "postal_code": ""}
    response = change(signed_in(world.lr), world.user_line, data)
    assert response.status_code == 200
    assert "Serve per spedire la nuova SIM." in unescape(response.content.decode())
    assert not Request.objects.exists()


def test_bad_postal_code_and_province_are_refused(world: World) -> None:
    data = {**PHYSICAL, "postal_code": "0018", "province": "XX"}
    response = change(signed_in(world.lr), world.user_line, data)
    html = unescape(response.content.decode())
    assert "Il CAP è formato da 5 cifre." in html
    assert not Request.objects.exists()


def test_esim_needs_an_email_not_an_address(world: World) -> None:
    data = {"reason": "FORMAT", "sim_kind": "ESIM", "esim_email": ""}
    response = change(signed_in(world.lr), world.user_line, data)
    assert "Indica l'e-mail a cui inviare l'eSIM." in unescape(response.content.decode())
    data["esim_email"] = "mario@example.it"
    assert change(signed_in(world.lr), world.user_line, data).status_code == 302
    tracked = Request.objects.get()
    assert tracked.details["esim_email"] == "mario@example.it"
    assert "delivery" not in tracked.details


def test_theft_or_loss_needs_the_police_report(world: World) -> None:
    data = {**PHYSICAL, "reason": "THEFT_LOSS"}
    html = unescape(change(signed_in(world.lr), world.user_line, data).content.decode())
    assert "Indica la data della denuncia." in html
    assert "Indica dove hai sporto denuncia." in html
    data |= {
        "report_date": timezone.localdate().isoformat(),
        "report_authority": "Carabinieri di Roma",
    }
    assert change(signed_in(world.lr), world.user_line, data).status_code == 302


def test_a_second_change_while_one_is_open_is_refused_clearly(world: World) -> None:
    client = signed_in(world.lr)
    change(client, world.user_line, PHYSICAL)
    response = change(client, world.user_line, PHYSICAL)
    assert response.status_code == 200
    assert "già una richiesta di questo tipo in lavorazione" in unescape(response.content.decode())
    assert Request.objects.count() == 1
    # Another line is another matter.
    assert change(client, world.full_line, PHYSICAL).status_code == 302


def test_light_cannot_ask_and_other_companies_lines_are_404(world: World) -> None:
    assert change(signed_in(world.light), world.light_line, PHYSICAL).status_code == 403
    assert change(signed_in(world.lr), world.outsider_line, PHYSICAL).status_code == 404
    assert change(signed_in(world.lr), world.fixed_line, PHYSICAL).status_code == 404
    assert not Request.objects.exists()


def test_back_office_completion_gives_the_line_its_new_sim(world: World) -> None:
    Line.objects.filter(pk=world.user_line.pk).update(state=Line.State.BLOCKED)
    old = world.user_line.sims.get()
    change(signed_in(world.lr), world.user_line, {**ESIM, "reason": "FAULTY"})
    tracked = Request.objects.get()
    operator = signed_in(world.staff)
    url = reverse("backoffice:request-detail", args=[tracked.pk])
    operator.post(url, {"to_state": RequestState.IN_PROGRESS})
    new_iccid = _iccid(9000)
    # Completing without the new SIM's data is refused.
    response = operator.post(url, {"to_state": RequestState.COMPLETED})
    assert response.status_code == 200
    tracked.refresh_from_db()
    assert tracked.state == RequestState.IN_PROGRESS
    # An ICCID already in use is refused.
    response = operator.post(
        url,
        {
            "to_state": RequestState.COMPLETED,
            "completion-new_iccid": old.iccid,
            "completion-new_puk": "12345678",
        },
    )
    assert "appartiene già a un'altra SIM" in unescape(response.content.decode())
    response = operator.post(
        url,
        {
            "to_state": RequestState.COMPLETED,
            "completion-new_iccid": new_iccid,
            "completion-new_puk": "12345678",
        },
    )
    assert response.status_code == 302
    tracked.refresh_from_db()
    assert tracked.state == RequestState.COMPLETED
    active = Sim.objects.get(line=world.user_line, is_active=True)
    assert active.iccid == new_iccid and active.puk == "12345678"
    old.refresh_from_db()
    assert not old.is_active
    world.user_line.refresh_from_db()
    assert world.user_line.state == Line.State.ACTIVE
    event = LineEvent.objects.get(line=world.user_line, kind=LineEvent.Kind.SIM_CHANGED)
    assert event.details["old_iccid"] == old.iccid
    page = signed_in(world.lr).get(reverse("lines:detail", args=[world.user_line.pk]))
    assert new_iccid in unescape(page.content.decode())


def test_completing_without_the_new_sim_is_refused_and_changes_nothing(world: World) -> None:
    change(signed_in(world.lr), world.user_line, ESIM)
    tracked = Request.objects.get()
    request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=world.staff)
    with pytest.raises(CompletionRefused):
        request_transition(request=tracked, to_state=RequestState.COMPLETED, actor=world.staff)
    tracked.refresh_from_db()
    assert tracked.state == RequestState.IN_PROGRESS
    assert world.user_line.sims.filter(is_active=True).count() == 1
