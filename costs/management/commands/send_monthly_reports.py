"""Send the month's reports to every subscriber who has not had them (cron, daily: a day
missed is caught up the next, and nobody gets a month twice)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from costs.reports import report_period, reports_send


class Command(BaseCommand):
    help = "Send the monthly reports for the accounts (idempotent: once per person a month)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--month", help="the month to report, YYYY-MM (default: the one before this one)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["month"]:
            try:
                period = date.fromisoformat(f"{options['month']}-01")
            except ValueError as error:
                raise CommandError("--month: expected YYYY-MM, e.g. 2026-10") from error
        else:
            period = report_period(timezone.localdate())
        outcome = reports_send(period=period)
        self.stdout.write(
            f"{period:%Y-%m}: {outcome.sent} sent, {outcome.skipped} skipped, "
            f"{outcome.failed} failed"
        )
        if outcome.failed:
            raise CommandError(f"{outcome.failed} subscribers' reports failed: see the log")
