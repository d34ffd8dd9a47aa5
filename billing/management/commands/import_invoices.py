"""Load invoices exported by the billing system: one JSON object per line (JSON Lines)."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from billing.services import InvoiceDataError, invoice_import


class Command(BaseCommand):
    help = "Import invoices from a JSON Lines file; idempotent on the invoice number."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        counts = {"created": 0, "updated": 0, "unchanged": 0, "refused": 0}
        with path.open(encoding="utf-8") as lines:
            for number, text in enumerate(lines, start=1):
                if not text.strip():
                    continue
                try:
                    record = json.loads(text)
                    if not isinstance(record, dict):
                        raise InvoiceDataError("expected a JSON object")
                    outcome = invoice_import(record)
                except (json.JSONDecodeError, InvoiceDataError) as error:
                    counts["refused"] += 1
                    self.stderr.write(f"line {number}: {error}")
                    continue
                key = (
                    "created" if outcome.created else "updated" if outcome.changed else "unchanged"
                )
                counts[key] += 1
        self.stdout.write(", ".join(f"{value} {key}" for key, value in counts.items()))
