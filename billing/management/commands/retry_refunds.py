"""Ask the provider again for every refund it has not confirmed yet (REFUND_DUE)."""

from typing import Any

from django.core.management.base import BaseCommand

from billing.models import Payment
from billing.payments import payment_refund
from billing.selectors import payments_refund_due


class Command(BaseCommand):
    help = (
        "Retry the refunds the payment provider has not confirmed yet; run it periodically "
        "(e.g. every 15 minutes from cron) beside the task worker's own retries."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = due = 0
        for payment_id in payments_refund_due().values_list("pk", flat=True):
            payment = payment_refund(payment_id=payment_id)
            if payment.status == Payment.Status.REFUNDED:
                done += 1
            elif payment.status == Payment.Status.REFUND_DUE:
                due += 1
                self.stderr.write(
                    f"payment {payment.pk} ({payment.provider_reference}): still due, "
                    f"{payment.refund_error}"
                )
        self.stdout.write(f"refunded: {done}, still due: {due}")
