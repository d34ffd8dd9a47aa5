from typing import Any

from django.core.management.base import BaseCommand

from lines.theft import police_report_reminders_send


class Command(BaseCommand):
    help = (
        "E-mail a reminder, once per case, when the copy of a police report after a theft or "
        "loss is still missing three days before it is due. Run it daily (cron); running it "
        "twice, or twice at once, sends each reminder once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = police_report_reminders_send()
        self.stdout.write(f"Police report reminders sent: {sent}")
