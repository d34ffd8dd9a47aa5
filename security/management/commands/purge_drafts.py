from typing import Any

from django.core.management.base import BaseCommand

from security.drafts import drafts_purge


class Command(BaseCommand):
    help = "Deletes the form drafts older than a day (saving a draft deletes them too)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{drafts_purge()} draft(s) deleted.")
