"""The invoice payments a person made, for the activity list (tracking.activity). Top-ups
pay through billing too: consumption lists those, as top-ups."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Capability, can
from accounts.selectors import company_id_of
from billing.models import Payment, PaymentInvoice
from tracking.activity import ActivityRow, activity_source

TONES = {
    Payment.Status.SUCCEEDED: "success",
    Payment.Status.PENDING: "warning",
    Payment.Status.REFUND_DUE: "warning",
}


def _rows(user: User, ids: Sequence[int]) -> dict[int, ActivityRow]:
    may_open = can(user, Capability.PAY_INVOICE)
    payments = Payment.objects.filter(pk__in=ids).select_related("invoice")
    return {
        payment.pk: ActivityRow(
            at=payment.created_at,
            what=_("Pagamento di più fatture")
            if payment.purpose == Payment.Purpose.INVOICES
            else _("Pagamento della fattura"),
            description=payment.description,
            reference=payment.invoice.number if payment.invoice else "",
            state=payment.get_status_display(),
            tone=TONES.get(Payment.Status(payment.status), "secondary"),
            amount=payment.amount,
            url=reverse("billing:payment-result", args=[payment.provider_reference])
            if may_open
            else "",
        )
        for payment in payments
    }


@activity_source(key="payments", label=_("Pagamenti"), position=40, moment="created_at", rows=_rows)
def payments_made(user: User) -> QuerySet[Payment]:
    company_id = company_id_of(user)
    grouped = PaymentInvoice.objects.filter(invoice__company_id=company_id).values("payment_id")
    return Payment.objects.filter(
        Q(purpose=Payment.Purpose.INVOICE, invoice__company_id=company_id)
        | Q(purpose=Payment.Purpose.INVOICES, pk__in=grouped),
        created_by=user,
    )
