"""The police report reminder: once, on day 7 of 10, to whoever blocked and the LR, only
while the copy is missing, and once even when two runs overlap."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from lines import services, theft
from lines.models import TheftCase
from tests.conftest import World

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def blocked(world: World) -> TheftCase:
    event = services.sim_block(actor=world.full, line=world.user_line, reason="THEFT")
    mail.outbox.clear()  # the block's own e-mail
    return TheftCase.objects.get(block_event=event)


def day(n: int):  # type: ignore[no-untyped-def]
    """Day `n` after the block (which is day 0)."""
    return timezone.localdate() + timedelta(days=n)


@pytest.mark.django_db(transaction=True)
def test_the_reminder_goes_out_on_day_7_once_to_who_blocked_and_the_lr(world: World) -> None:
    case = blocked(world)
    assert theft.police_report_reminders_send(today=day(6)) == 0
    assert mail.outbox == []
    assert theft.police_report_reminders_send(today=day(7)) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert set(message.to) == {world.full.email, world.lr.email}
    assert world.user_line.number in message.subject and "denuncia" in message.subject
    assert f"/linee/{world.user_line.pk}/furto/{case.pk}/" in message.body
    assert message.body.count("http") == 1
    case.refresh_from_db()
    assert case.reminder_sent_at is not None
    assert theft.police_report_reminders_send(today=day(8)) == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_case_found_late_is_still_reminded_once(world: World) -> None:
    blocked(world)
    assert theft.police_report_reminders_send(today=day(12)) == 1
    assert theft.police_report_reminders_send(today=day(13)) == 0


@pytest.mark.django_db(transaction=True)
def test_no_reminder_once_the_report_is_in(world: World) -> None:
    case = blocked(world)
    theft.police_report_attach(
        case=case,
        actor=world.lr,
        upload=SimpleUploadedFile("denuncia.pdf", PDF),
        content_type="application/pdf",
    )
    assert theft.police_report_reminders_send(today=day(7)) == 0
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_the_command_sends_them(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    case = blocked(world)
    TheftCase.objects.filter(pk=case.pk).update(report_due=day(3))  # today is day 7
    call_command("send_police_report_reminders")
    call_command("send_police_report_reminders")
    assert len(mail.outbox) == 1
    assert "Police report reminders sent: 1" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_one_reminder(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first run holds the case's lock while it e-mails; the second, meanwhile, skips
    it; when the first commits the case is marked and nothing is left for anyone."""
    blocked(world)
    inside, release = threading.Event(), threading.Event()
    remind = theft._remind

    def slow_remind(case: TheftCase) -> None:
        inside.set()
        assert release.wait(10)
        remind(case)

    monkeypatch.setattr(theft, "_remind", slow_remind)
    counts: list[int] = []

    def first_run() -> None:
        try:
            counts.append(theft.police_report_reminders_send(today=day(7)))
        finally:
            connection.close()

    runner = threading.Thread(target=first_run)
    runner.start()
    assert inside.wait(10)
    monkeypatch.setattr(theft, "_remind", remind)
    second = theft.police_report_reminders_send(today=day(7))
    release.set()
    runner.join(10)
    assert (counts, second) == ([1], 0)
    assert len(mail.outbox) == 1
    assert theft.police_report_reminders_send(today=day(7)) == 0


@pytest.mark.django_db(transaction=True)
def test_no_reminder_for_a_lost_sim_found_again(world: World) -> None:
    event = services.sim_block(actor=world.full, line=world.user_line, reason="LOSS")
    services.sim_unblock(actor=world.full, line=world.user_line)
    mail.outbox.clear()
    assert TheftCase.objects.filter(block_event=event).exists()
    assert theft.police_report_reminders_send(today=day(7)) == 0
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_a_report_dated_at_the_block_is_reminded_for_its_copy(world: World) -> None:
    services.sim_block(
        actor=world.full,
        line=world.user_line,
        reason="THEFT",
        report_date=timezone.localdate(),
        report_authority="Polizia",
    )
    mail.outbox.clear()
    assert theft.police_report_reminders_send(today=day(7)) == 1
    assert "serve anche la copia del documento" in mail.outbox[0].body
