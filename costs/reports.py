"""The monthly reports for the accounts (K4): the invoices of the month, the usage of every
SIM and the cost-centre summary, e-mailed to each subscriber as XLSX attachments or as links
to the same downloads in the customer area.

`manage.py send_monthly_reports` sends them (cron, see the README). Each subscriber gets a
month's reports once: the subscription's row is locked while its delivery is recorded and
the e-mail sent, in one transaction, so a sender run twice, or two at once, sends once; a
failed send leaves no record, and the next run tries again."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Capability, can
from billing.exports import invoice_list_header, invoice_list_rows
from billing.selectors import company_invoices, filter_invoices
from consumption.exports import all_sims_header, all_sims_rows
from consumption.selectors import all_sims_usage
from core.exports import XLSX_CONTENT_TYPE, Cell, xlsx_write
from core.mail import templated_email
from costs.models import ReportDelivery, ReportSubscription
from costs.selectors import (
    cost_centre_rollup,
    next_month,
    previous_month,
    rollup_header,
    rollup_rows,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Report:
    """One report of the monthly e-mail: its file, and the page that offers the same."""

    key: str  # the subscription's field that chooses it
    title: Callable[[], str]
    filename: str  # with the month, e.g. "fatture-2026-10.xlsx"
    sheet: Callable[[], str]
    table: Callable[[User, date], tuple[Sequence[str], Iterable[Sequence[Cell]]]]
    link: Callable[[date], str]  # a path in the customer area


def _month_bounds(month: date) -> tuple[date, date]:
    return month, next_month(month) - timedelta(days=1)


def _invoices_table(person: User, month: date) -> tuple[Sequence[str], Iterable[Sequence[Cell]]]:
    start, end = _month_bounds(month)
    invoices = filter_invoices(company_invoices(user=person), since=start, until=end)
    return invoice_list_header(), invoice_list_rows(
        invoices.select_related("contract").order_by("issue_date", "id")
    )


def _usage_table(person: User, month: date) -> tuple[Sequence[str], Iterable[Sequence[Cell]]]:
    start, end = _month_bounds(month)
    return all_sims_header(), all_sims_rows(
        all_sims_usage(user=person, start=start, end=end, search="", sort="number")
    )


def _cost_centres_table(
    person: User, month: date
) -> tuple[Sequence[str], Iterable[Sequence[Cell]]]:
    return rollup_header(), rollup_rows(cost_centre_rollup(user=person, month=month))


def _path(name: str, query: dict[str, str]) -> str:
    return f"{reverse(name)}?{urlencode(query)}"


REPORTS = (
    Report(
        "invoices",
        lambda: _("Fatture del mese"),
        "fatture-{month:%Y-%m}.xlsx",
        lambda: _("Fatture"),
        _invoices_table,
        lambda month: _path(
            "billing:invoice-export",
            {
                "formato": "xlsx",
                "since": f"{_month_bounds(month)[0]:%Y-%m-%d}",
                "until": f"{_month_bounds(month)[1]:%Y-%m-%d}",
            },
        ),
    ),
    Report(
        "usage",
        lambda: _("Consumi di ogni SIM"),
        "consumi-sim-{month:%Y-%m}.xlsx",
        lambda: _("Consumi"),
        _usage_table,
        lambda month: _path("consumption:all-sims", {"month": f"{month:%Y-%m}", "formato": "xlsx"}),
    ),
    Report(
        "cost_centres",
        lambda: _("Riepilogo per centro di costo"),
        "centri-di-costo-{month:%Y-%m}.xlsx",
        lambda: _("Centri di costo"),
        _cost_centres_table,
        lambda month: _path("costs:cost-centre-rollup", {"month": f"{month:%Y-%m}"}),
    ),
)


def reports_of(subscription: ReportSubscription) -> list[Report]:
    return [report for report in REPORTS if getattr(subscription, report.key)]


def report_period(today: date) -> date:
    """The month the reports sent on `today` cover: the one before."""
    return previous_month(today.replace(day=1))


@transaction.atomic
def subscription_save(
    *, person: User, invoices: bool, usage: bool, cost_centres: bool, delivery: str
) -> ReportSubscription:
    subscription, _created = ReportSubscription.objects.update_or_create(
        person=person,
        defaults={
            "invoices": invoices,
            "usage": usage,
            "cost_centres": cost_centres,
            "delivery": delivery,
        },
    )
    return subscription


def subscription_end(*, person: User) -> None:
    ReportSubscription.objects.filter(person=person).delete()


@dataclass
class SendOutcome:
    sent: int = 0
    skipped: int = 0  # already sent this month, or the person may no longer receive them
    failed: int = 0


def reports_send(*, period: date) -> SendOutcome:
    """Send `period`'s reports to every subscriber who has not had them yet."""
    outcome = SendOutcome()
    for subscription_id in ReportSubscription.objects.order_by("pk").values_list("pk", flat=True):
        try:
            sent = report_send(subscription_id=subscription_id, period=period)
        except Exception:  # one subscriber's failure must not stop the others'
            logger.exception("monthly reports of subscription %s failed", subscription_id)
            outcome.failed += 1
            continue
        if sent:
            outcome.sent += 1
        else:
            outcome.skipped += 1
    return outcome


def report_send(*, subscription_id: int, period: date) -> bool:
    """Send one subscriber `period`'s reports, unless they had them already or may no
    longer have them (K4 lost, the person deactivated, no e-mail). True when sent."""
    with transaction.atomic():
        subscription = (
            ReportSubscription.objects.select_for_update(of=("self",))
            .select_related("person__company")
            .filter(pk=subscription_id)
            .first()
        )
        if subscription is None:
            return False
        person = subscription.person
        if not can(person, Capability.SCHEDULE_REPORTS) or not person.email:
            return False
        if ReportDelivery.objects.filter(person=person, period=period).exists():
            return False
        ReportDelivery.objects.create(person=person, period=period)
        with translation.override(settings.LANGUAGE_CODE):
            message = _message(subscription, period)
        message.send()  # raises: the delivery is not recorded, the next run sends again
    return True


def _message(subscription: ReportSubscription, period: date) -> EmailMultiAlternatives:
    person = subscription.person
    reports = reports_of(subscription)
    links = subscription.delivery == ReportSubscription.Delivery.LINKS
    base = settings.SITE_URL  # without its trailing slash (settings)
    message = templated_email(
        "costs/email/monthly_reports",
        {
            "person": person,
            "company": person.company,
            "period": period,
            "links": links,
            "reports": [
                {"title": report.title(), "url": base + report.link(period)} for report in reports
            ],
            "settings_url": base + reverse("costs:reports"),
        },
        [person.email],
    )
    if not links:
        for report in reports:
            header, rows = report.table(person, period)
            with tempfile.TemporaryFile() as spool:
                xlsx_write(spool, sheet=report.sheet(), header=header, rows=rows)
                spool.seek(0)
                message.attach(
                    report.filename.format(month=period), spool.read(), XLSX_CONTENT_TYPE
                )
    return message


def deliveries_of(*, person: User, limit: int = 12) -> list[ReportDelivery]:
    return list(ReportDelivery.objects.filter(person=person).order_by("-period")[:limit])


def next_period(*, person: User) -> date:
    """The month the person's next reports will cover: the one before this, until they
    have had it."""
    period = report_period(timezone.localdate())
    if ReportDelivery.objects.filter(person=person, period=period).exists():
        return next_month(period)
    return period
