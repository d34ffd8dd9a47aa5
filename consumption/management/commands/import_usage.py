"""Load usage records exported by the billing system (CSV), streaming."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from consumption.services import usage_import_csv


class Command(BaseCommand):
    help = "Import usage records from CSV; a record loaded twice counts once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        with path.open(encoding="utf-8", newline="") as stream:
            report = usage_import_csv(stream)
        for error in report.errors:
            self.stderr.write(error)
        if report.refused > len(report.errors):
            self.stderr.write(f"… and {report.refused - len(report.errors)} more refused rows")
        self.stdout.write(
            f"{report.read} read, {report.loaded} new, "
            f"{report.read - report.loaded - report.refused} already loaded, "
            f"{report.refused} refused"
        )
