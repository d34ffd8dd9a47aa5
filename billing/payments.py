"""Paying invoices online (B3). Never twice: one attempt per idempotency key, each
callback once (by event id), at most one successful payment per invoice, and the invoice
turns paid in the same transaction as its payment."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.exceptions import ActionRefused
from accounts.models import User
from area_clienti.mail import send_templated_email
from billing.gateway import REFERENCE_PLACEHOLDER, GatewayUnavailable, Outcome, get_gateway
from billing.models import GatewayEvent, Invoice, Payment

logger = logging.getLogger(__name__)

# A started attempt blocks a new one for this long (the customer may still be paying).
PENDING_WINDOW = timedelta(minutes=15)

FAILURE_MESSAGES = {
    "card_declined": gettext_lazy("La carta è stata rifiutata."),
    "insufficient_funds": gettext_lazy("Fondi insufficienti sulla carta."),
    "already_paid": gettext_lazy(
        "La fattura era già stata pagata con un altro pagamento: l'importo ti viene rimborsato."
    ),
}


class PaymentRefused(ActionRefused):
    """The payment cannot start; the message is for the customer."""


SettledHandler = Callable[[Payment], None]
# What a settled payment of another purpose does (credit a top-up...), registered by the
# section that owns the purpose; runs in the transaction that settles the payment.
SETTLED_HANDLERS: dict[str, SettledHandler] = {}


def on_payment_settled(purpose: str) -> Callable[[SettledHandler], SettledHandler]:
    def register(handler: SettledHandler) -> SettledHandler:
        SETTLED_HANDLERS[purpose] = handler
        return handler

    return register


@transaction.atomic
def payment_start(
    *, user: User, invoice: Invoice, idempotency_key: str, base_url: str
) -> tuple[Payment, str]:
    """Start paying `invoice` and return the attempt with where to send the customer.
    The same key again (a double click, a reload of the POST) returns the same attempt."""
    if (again := _attempt_again(invoice, idempotency_key)) is not None:
        return again
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    # The same submission twice at once (a double click, a retry while the first still
    # ran) queued on the lock above: the first one's attempt is there now, and is not
    # "another payment in progress".
    if (again := _attempt_again(invoice, idempotency_key)) is not None:
        return again
    if invoice.status == Invoice.Status.PAID:
        raise PaymentRefused(_("La fattura risulta già pagata."))
    recent = invoice.payments.filter(
        status=Payment.Status.PENDING, created_at__gte=timezone.now() - PENDING_WINDOW
    ).first()
    if recent is not None:
        raise PaymentRefused(
            _(
                "C'è già un pagamento in corso per questa fattura: completalo o riprova tra "
                "qualche minuto."
            )
        )
    return payment_open(
        user=user,
        purpose=Payment.Purpose.INVOICE,
        amount=invoice.total,
        description=_("Fattura %(number)s") % {"number": invoice.number},
        idempotency_key=idempotency_key,
        result_url_name="billing:payment-result",
        base_url=base_url,
        invoice=invoice,
    )


def _attempt_again(invoice: Invoice, idempotency_key: str) -> tuple[Payment, str] | None:
    existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
    if existing is None:
        return None
    if existing.invoice_id != invoice.pk:
        raise PaymentRefused(_("Richiesta di pagamento non valida: ricarica la pagina."))
    return existing, payment_continue_url(existing)


def payment_open(
    *,
    user: User,
    purpose: str,
    amount: Decimal,
    description: str,
    idempotency_key: str,
    result_url_name: str,
    base_url: str,
    invoice: Invoice | None = None,
) -> tuple[Payment, str]:
    """Open a checkout at the gateway and record the attempt (any purpose). The caller
    holds the locks its purpose needs; the key makes a concurrent double submit one."""
    existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, payment_continue_url(existing)
    gateway = get_gateway()
    result_path = reverse(result_url_name, args=[REFERENCE_PLACEHOLDER])
    try:
        checkout = gateway.start_checkout(
            amount=amount, description=description, return_url=base_url + result_path
        )
    except (GatewayUnavailable, TimeoutError, ConnectionError) as failure:
        # Nothing was charged and nothing is recorded: the customer simply tries again.
        logger.warning("payment gateway %s unavailable: %s", gateway.name, failure)
        raise PaymentRefused(
            _(
                "Il servizio di pagamento non risponde: non è stato addebitato nulla. Riprova "
                "tra qualche minuto."
            )
        ) from failure
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                purpose=purpose,
                invoice=invoice,
                amount=amount,
                description=description,
                return_path=result_path.replace(REFERENCE_PLACEHOLDER, checkout.provider_reference),
                provider=gateway.name,
                provider_reference=checkout.provider_reference,
                idempotency_key=idempotency_key,
                created_by=user,
            )
    except IntegrityError:  # the same key, submitted twice at the same moment
        payment = Payment.objects.get(idempotency_key=idempotency_key)
    return payment, checkout.redirect_url


def payment_continue_url(payment: Payment) -> str:
    """Where an attempt takes the customer now: the provider's page, or the result."""
    if payment.status == Payment.Status.PENDING and payment.provider == "sandbox":
        return reverse("billing:sandbox-checkout", args=[payment.provider_reference])
    return payment.return_path


@transaction.atomic
def payment_callback(*, provider: str, body: bytes, headers: Mapping[str, str]) -> str:
    """Handle a provider's callback. Returns what happened: "processed", "duplicate",
    "ignored". Raises gateway.InvalidCallback for anything untrustworthy."""
    outcome = get_gateway(provider).parse_callback(body=body, headers=headers)
    try:
        with transaction.atomic():
            GatewayEvent.objects.create(provider=provider, event_id=outcome.event_id)
    except IntegrityError:
        return "duplicate"
    payment = (
        Payment.objects.select_for_update()
        .filter(provider=provider, provider_reference=outcome.provider_reference)
        .first()
    )
    if payment is None or payment.status != Payment.Status.PENDING:
        # Unknown, or already settled: a late or out-of-order event changes nothing.
        return "ignored"
    _settle(payment, outcome)
    return "processed"


def _settle(payment: Payment, outcome: Outcome) -> None:
    now = timezone.now()
    payment.completed_at = now
    if not outcome.succeeded:
        payment.status = Payment.Status.FAILED
        payment.failure_reason = outcome.failure_reason
        payment.save(update_fields=["status", "failure_reason", "completed_at"])
        _after_settled(payment)
        return
    if payment.invoice_id is None:  # another section's purpose: its handler does the rest
        payment.status = Payment.Status.SUCCEEDED
        payment.save(update_fields=["status", "completed_at"])
        _after_settled(payment)
        return
    invoice = Invoice.objects.select_for_update().get(pk=payment.invoice_id)
    if invoice.status == Invoice.Status.PAID:
        payment.status = Payment.Status.REFUNDED
        payment.failure_reason = "already_paid"
        payment.save(update_fields=["status", "failure_reason", "completed_at"])
        return
    payment.status = Payment.Status.SUCCEEDED
    payment.save(update_fields=["status", "completed_at"])
    invoice.status = Invoice.Status.PAID
    invoice.paid_at = now
    invoice.save(update_fields=["status", "paid_at"])
    payer = payment.created_by
    if payer is not None and payer.email:
        send_templated_email(
            "billing/email/receipt",
            {"payment": payment, "invoice": invoice, "person": payer},
            [payer.email],
        )


def _after_settled(payment: Payment) -> None:
    handler = SETTLED_HANDLERS.get(payment.purpose)
    if handler is not None:
        handler(payment)


def failure_message(payment: Payment) -> str:
    return str(FAILURE_MESSAGES.get(payment.failure_reason, _("Il pagamento non è riuscito.")))
