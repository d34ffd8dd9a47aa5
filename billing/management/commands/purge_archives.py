from typing import Any

from django.core.management.base import BaseCommand

from billing.archives import archives_purge_expired


class Command(BaseCommand):
    help = (
        "Deletes the invoice archives (ZIP) past their 7 days, files and records; run it "
        "daily (e.g. from cron)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{archives_purge_expired()} archive(s) deleted.")
