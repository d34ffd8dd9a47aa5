"""Block / unblock a SIM after theft or loss (L3): confirmation, immediate effect, history,
e-mail, and a blocked SIM cannot be topped up."""

from decimal import Decimal
from html import unescape

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Line
from consumption.models import TopUp
from lines.models import LineEvent, TheftCase
from tests.accounts.helpers import signed_in
from tests.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)


def block(client, line: Line, **data):  # type: ignore[no-untyped-def]
    return client.post(reverse("lines:sim-block", args=[line.pk]), data)


def test_first_post_asks_for_confirmation_and_changes_nothing(world: World) -> None:
    response = block(signed_in(world.full), world.user_line, reason="THEFT")
    assert response.status_code == 200
    assert "Conferma il blocco" in unescape(response.content.decode())
    world.user_line.refresh_from_db()
    assert world.user_line.state == Line.State.ACTIVE
    assert not LineEvent.objects.exists()


def test_confirmed_block_takes_effect_at_once_with_history_and_email(world: World) -> None:
    response = block(signed_in(world.full), world.user_line, reason="THEFT", confirmed="1")
    assert response.status_code == 302
    world.user_line.refresh_from_db()
    assert world.user_line.state == Line.State.BLOCKED
    event = LineEvent.objects.get(line=world.user_line)
    assert event.kind == LineEvent.Kind.BLOCKED and event.actor == world.full
    assert event.report_due == timezone.localdate() + timezone.timedelta(days=10)
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {world.full.email, world.user.email}
    assert "bloccata" in mail.outbox[0].subject
    page = signed_in(world.full).get(reverse("lines:detail", args=[world.user_line.pk]))
    assert "Ricorda di caricare la copia della denuncia" in unescape(page.content.decode())


def test_blocked_sim_shows_as_blocked_in_consumption(world: World) -> None:
    block(signed_in(world.lr), world.user_line, reason="LOSS", confirmed="1")
    usage = signed_in(world.user).get(reverse("consumption:sim-usage", args=[world.user_line.pk]))
    assert "Bloccata" in unescape(usage.content.decode())
    assert reverse("consumption:top-up", args=[world.user_line.pk]) not in unescape(
        usage.content.decode()
    )


def test_blocked_sim_refuses_top_up(world: World) -> None:
    block(signed_in(world.lr), world.user_line, reason="LOSS", confirmed="1")
    response = signed_in(world.user).post(
        reverse("consumption:top-up", args=[world.user_line.pk]),
        {"amount": "10", "idempotency_key": "a" * 32},
    )
    assert response.status_code == 200
    assert "La SIM è bloccata" in unescape(response.content.decode())
    assert not TopUp.objects.exists()


def test_other_reason_needs_a_note(world: World) -> None:
    response = block(signed_in(world.lr), world.user_line, reason="OTHER", confirmed="1")
    assert "Spiega il motivo del blocco." in unescape(response.content.decode())
    world.user_line.refresh_from_db()
    assert world.user_line.state == Line.State.ACTIVE


def test_report_date_cannot_be_in_the_future(world: World) -> None:
    tomorrow = timezone.localdate() + timezone.timedelta(days=1)
    response = block(
        signed_in(world.lr),
        world.user_line,
        reason="THEFT",
        report_date=tomorrow.isoformat(),
        report_authority="Questura di Roma",
        confirmed="1",
    )
    assert "non può essere futura" in unescape(response.content.decode())
    assert not LineEvent.objects.exists()


def test_a_reported_theft_still_needs_the_reports_copy(world: World) -> None:
    today = timezone.localdate().isoformat()
    block(
        signed_in(world.lr),
        world.user_line,
        reason="THEFT",
        report_date=today,
        report_authority="Questura di Roma",
        confirmed="1",
    )
    # The case asks for the file by the same date (lines.services.police_report_due).
    due = timezone.localdate() + timezone.timedelta(days=10)
    assert LineEvent.objects.get().report_due == due == TheftCase.objects.get().report_due


def test_blocking_twice_is_refused_and_recorded_once(world: World) -> None:
    client = signed_in(world.lr)
    block(client, world.user_line, reason="LOSS", confirmed="1")
    response = block(client, world.user_line, reason="LOSS", confirmed="1")
    assert response.status_code == 302
    assert LineEvent.objects.filter(kind=LineEvent.Kind.BLOCKED).count() == 1
    followed = unescape(client.get(response["Location"]).content.decode())
    assert "La SIM è già bloccata." in followed


def test_unblock_restores_the_line(world: World) -> None:
    client = signed_in(world.full)
    block(client, world.user_line, reason="LOSS", confirmed="1")
    mail.outbox.clear()
    assert client.get(reverse("lines:sim-unblock", args=[world.user_line.pk])).status_code == 200
    response = client.post(reverse("lines:sim-unblock", args=[world.user_line.pk]))
    assert response.status_code == 302
    world.user_line.refresh_from_db()
    assert world.user_line.state == Line.State.ACTIVE
    kinds = list(LineEvent.objects.order_by("at", "id").values_list("kind", flat=True))
    assert kinds == [LineEvent.Kind.BLOCKED, LineEvent.Kind.UNBLOCKED]
    assert "sbloccata" in mail.outbox[0].subject
    # Topping up works again.
    response = signed_in(world.user).post(
        reverse("consumption:top-up", args=[world.user_line.pk]),
        {"amount": "10", "idempotency_key": "b" * 32},
    )
    assert response.status_code == 302
    assert TopUp.objects.get().amount == Decimal("10")


def test_unblocking_an_active_sim_is_refused(world: World) -> None:
    client = signed_in(world.lr)
    response = client.post(reverse("lines:sim-unblock", args=[world.user_line.pk]))
    assert "La SIM non è bloccata." in unescape(client.get(response["Location"]).content.decode())
    assert not LineEvent.objects.exists()


@pytest.mark.parametrize("profile", ["light", "user"])
def test_light_and_user_cannot_block_even_their_own_sim(world: World, profile: str) -> None:
    user = getattr(world, profile)
    own = world.light_line if profile == "light" else world.user_line
    response = block(signed_in(user), own, reason="THEFT", confirmed="1")
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.state == Line.State.ACTIVE


def test_fixed_lines_and_other_companies_lines_are_404(world: World) -> None:
    client = signed_in(world.lr)
    assert block(client, world.fixed_line, reason="THEFT", confirmed="1").status_code == 404
    assert block(client, world.outsider_line, reason="THEFT", confirmed="1").status_code == 404
    world.outsider_line.refresh_from_db()
    assert world.outsider_line.state == Line.State.ACTIVE
