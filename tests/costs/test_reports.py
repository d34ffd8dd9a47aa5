"""The monthly reports for the accounts (K4): subscribing, and a month's reports sent once
per person, however often and however concurrently the sender runs."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.roles import Profile
from costs.models import ReportDelivery, ReportSubscription
from costs.reports import report_period, report_send, reports_send
from tests.concurrency import twice_while_locked
from tests.conftest import World, client_for
from tests.factories import InvoiceFactory

OCTOBER = date(2026, 10, 1)


def subscribe(person: object, **choices: object) -> ReportSubscription:
    return ReportSubscription.objects.create(person=person, **choices)


def test_the_lr_subscribes_and_chooses_the_reports(world: World) -> None:
    client = client_for(world.lr)
    page = client.get(reverse("costs:reports"))
    assert page.status_code == 200
    response = client.post(
        reverse("costs:reports"), {"invoices": "on", "cost_centres": "on", "delivery": "LINKS"}
    )
    assert response.status_code == 302
    subscription = ReportSubscription.objects.get(person=world.lr)
    assert (subscription.invoices, subscription.usage, subscription.cost_centres) == (
        True,
        False,
        True,
    )
    assert subscription.delivery == ReportSubscription.Delivery.LINKS


def test_choosing_no_report_is_refused_with_a_message(world: World) -> None:
    response = client_for(world.full).post(reverse("costs:reports"), {"delivery": "LINKS"})
    assert response.status_code == 200
    assert "Scegli almeno un report da ricevere." in response.content.decode()
    assert not ReportSubscription.objects.exists()


def test_unsubscribing_stops_the_reports(world: World) -> None:
    subscribe(world.full)
    response = client_for(world.full).post(reverse("costs:reports-unsubscribe"))
    assert response.status_code == 302
    assert not ReportSubscription.objects.exists()


@pytest.mark.parametrize("profile", [Profile.LIGHT, Profile.USER])
def test_light_and_user_may_not_subscribe(world: World, profile: Profile) -> None:
    client = client_for(world.by_profile(profile))
    assert client.get(reverse("costs:reports")).status_code == 403
    assert client.post(reverse("costs:reports-unsubscribe")).status_code == 403


def test_reports_arrive_as_xlsx_attachments_once_a_month(world: World) -> None:
    subscribe(world.lr)
    assert reports_send(period=OCTOBER).sent == 1
    assert reports_send(period=OCTOBER).sent == 0  # the sender run again: nothing more
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.lr.email]
    names = [name for name, _content, _type in message.attachments]
    assert names == [
        "fatture-2026-10.xlsx",
        "consumi-sim-2026-10.xlsx",
        "centri-di-costo-2026-10.xlsx",
    ]
    with zipfile.ZipFile(io.BytesIO(message.attachments[0][1])) as workbook:
        sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
    assert world.invoice.number in sheet  # issued in October
    assert world.outsider_invoice.number not in sheet
    assert ReportDelivery.objects.get().period == OCTOBER


def test_links_point_to_the_same_downloads_in_the_customer_area(
    world: World, settings: object
) -> None:
    september = InvoiceFactory(
        company=world.company, contract=world.mobile, issue_date=date(2026, 9, 5)
    )
    subscribe(world.full, usage=False, delivery=ReportSubscription.Delivery.LINKS)
    reports_send(period=OCTOBER)
    body = mail.outbox[0].body
    assert not mail.outbox[0].attachments
    assert f"{settings.SITE_URL}/fatture/" in body  # type: ignore[attr-defined]
    assert "since=2026-10-01" in body and "until=2026-10-31" in body
    assert "/consumi/tutte-le-sim/" not in body  # usage not chosen
    invoices_link = next(word for word in body.split() if "/fatture/" in word)
    download = client_for(world.full).get(invoices_link.removeprefix(settings.SITE_URL))  # type: ignore[attr-defined]
    content = b"".join(download.streaming_content) if download.streaming else download.content
    with zipfile.ZipFile(io.BytesIO(content)) as workbook:
        sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
    assert world.invoice.number in sheet
    assert september.number not in sheet  # the link's period is the month's


def test_subscribing_again_does_not_send_a_month_again(world: World) -> None:
    subscribe(world.lr, usage=False)
    reports_send(period=OCTOBER)
    client = client_for(world.lr)
    client.post(reverse("costs:reports-unsubscribe"))
    client.post(reverse("costs:reports"), {"invoices": "on", "delivery": "ATTACHMENTS"})
    assert reports_send(period=OCTOBER).sent == 0
    assert len(mail.outbox) == 1


def test_the_e_mail_writes_the_month_in_lower_case(world: World) -> None:
    subscribe(world.lr, usage=False, cost_centres=False)
    reports_send(period=OCTOBER)
    assert mail.outbox[0].subject == "Report di ottobre 2026 per la contabilità"
    assert "ecco i report di ottobre 2026 di" in mail.outbox[0].body


def test_someone_who_lost_the_capability_gets_nothing(world: World) -> None:
    subscribe(world.full)
    world.full.profile = Profile.LIGHT
    world.full.save()
    outcome = reports_send(period=OCTOBER)
    assert (outcome.sent, outcome.skipped) == (0, 1)
    assert not mail.outbox


def test_a_failed_send_is_not_recorded_and_the_next_run_sends(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscription = subscribe(world.lr, usage=False)
    original = EmailMultiAlternatives.send

    def down(self: EmailMultiAlternatives, fail_silently: bool = False) -> int:
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", down)
    assert reports_send(period=OCTOBER).failed == 1
    assert not ReportDelivery.objects.exists()
    monkeypatch.setattr(EmailMultiAlternatives, "send", original)
    assert report_send(subscription_id=subscription.pk, period=OCTOBER)
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_once(world: World) -> None:
    subscription = subscribe(world.lr, usage=False, cost_centres=False)
    answers = twice_while_locked(
        lambda: report_send(subscription_id=subscription.pk, period=OCTOBER),
        ReportSubscription.objects.filter(pk=subscription.pk),
    )
    assert sorted(answers, key=str) == [False, True]
    assert len(mail.outbox) == 1
    assert ReportDelivery.objects.count() == 1


def test_the_command_reports_the_month_before_by_default(world: World) -> None:
    subscribe(world.lr, usage=False)
    out = io.StringIO()
    call_command("send_monthly_reports", stdout=out)
    assert out.getvalue().startswith(f"{report_period(date.today()):%Y-%m}: 1 sent")
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("send_monthly_reports", month="ottobre")


def test_report_period_is_the_month_before() -> None:
    assert report_period(date(2026, 11, 1)) == OCTOBER
    assert report_period(date(2027, 1, 31)) == date(2026, 12, 1)


def test_production_needs_the_site_url_for_links_in_e_mails() -> None:
    from tests.area_clienti.test_deploy import PRODUCTION, STRIPE, check_deploy

    result = check_deploy(**{**PRODUCTION, **STRIPE, "SITE_URL": "http://localhost:8000"})
    assert result.returncode != 0
    assert "costs.E001" in result.stdout + result.stderr
