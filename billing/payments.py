"""Paying online through the gateway: invoices (B3), one or several in one checkout, and
other sections' purposes (top-ups).

Never twice, never for something else: one attempt per idempotency key, and a key belongs
to one purpose and one object (an invoice, or one selection of invoices); each callback
once (by event id); at most one successful payment per invoice, single or grouped, and an
invoice turns paid in the same transaction as its payment. An invoice is in at most one
open attempt at a time, single or grouped. Settling checks what was paid against what is
owed now (the amount and currency charged, each invoice's revision and amount, the payer's
company, the checkout's expiry, and what the purpose's section checks): a grouped payment
pays all its invoices or none. Money that pays nothing is refunded through the gateway,
retried until the provider confirms.

Locks are taken in one order everywhere: invoices (several in id order), then their
payments (a callback and an import of the same invoice would otherwise wait on each other
for ever)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import User
from billing.gateway import (
    CURRENCY,
    REFERENCE_PLACEHOLDER,
    CheckoutCompleted,
    GatewayUnavailable,
    Outcome,
    callback_gateway,
    get_gateway,
)
from billing.models import GatewayEvent, Invoice, Payment, PaymentInvoice
from core.exceptions import ActionRefused
from core.mail import send_templated_email

logger = logging.getLogger(__name__)

# Why an attempt did not pay, when nothing was charged.
FAILURE_MESSAGES = {
    "card_declined": gettext_lazy("La carta è stata rifiutata."),
    "insufficient_funds": gettext_lazy("Fondi insufficienti sulla carta."),
    "expired": gettext_lazy("La sessione di pagamento è scaduta: non è stato addebitato nulla."),
    "cancelled": gettext_lazy("Il pagamento è stato annullato: non è stato addebitato nulla."),
    "invoice_changed": gettext_lazy(
        "La fattura è stata aggiornata dopo l'avvio del pagamento, che è stato annullato senza "
        "addebiti: controlla il nuovo importo e riprova."
    ),
    # A payment of several invoices, one of which changed.
    "one_changed": gettext_lazy(
        "Una delle fatture è stata aggiornata dopo l'avvio del pagamento, che è stato annullato "
        "senza addebiti: controlla i nuovi importi e riprova."
    ),
}
# Why a charge was not applied and is given back (REFUND_DUE, then REFUNDED).
REFUND_MESSAGES = {
    "already_paid": gettext_lazy(
        "La fattura era già stata pagata con un altro pagamento: l'importo ti viene rimborsato."
    ),
    "invoice_changed": gettext_lazy(
        "La fattura è stata aggiornata dopo l'avvio del pagamento e l'importo pagato non è "
        "quello dovuto: la fattura resta da pagare e l'importo ti viene rimborsato."
    ),
    "expired": gettext_lazy(
        "Il pagamento è arrivato dopo la scadenza della sessione di pagamento: non è stato "
        "applicato e l'importo ti viene rimborsato."
    ),
    "cancelled": gettext_lazy(
        "Il pagamento era stato annullato: non è stato applicato e l'importo ti viene rimborsato."
    ),
    "payer_changed": gettext_lazy(
        "Chi ha avviato il pagamento non può più pagare per questa azienda: l'importo viene "
        "rimborsato."
    ),
    "amount_mismatch": gettext_lazy(
        "L'importo addebitato dal circuito di pagamento non è quello richiesto: il pagamento "
        "non è stato applicato e l'importo ti viene rimborsato."
    ),
    # A payment of several invoices pays all of them or none.
    "one_already_paid": gettext_lazy(
        "Una delle fatture era già stata pagata nel frattempo: nessuna fattura è stata pagata "
        "con questo pagamento e l'importo ti viene rimborsato."
    ),
    "one_changed": gettext_lazy(
        "Una delle fatture è stata aggiornata dopo l'avvio del pagamento: nessuna fattura è "
        "stata pagata con questo pagamento, restano da pagare e l'importo ti viene rimborsato."
    ),
    # A top-up's SIM (consumption.top_ups).
    "line_unavailable": gettext_lazy(
        "La SIM non è più attiva o non è più tra quelle che puoi ricaricare: la ricarica non "
        "è stata applicata e l'importo ti viene rimborsato."
    ),
}

# Until the provider confirms a refund, it is asked again after these waits, then every 6 h.
REFUND_RETRY_DELAYS = (
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)


class PaymentRefused(ActionRefused):
    """The payment cannot start (or be cancelled); the message is for the customer."""


class InvoicesChanged(PaymentRefused):
    """Invoices confirmed together changed (a new revision) after the customer saw their
    total: nothing started; the confirmation is shown again with the new figures."""


SettledHandler = Callable[[Payment], None]
# What a settled payment of another purpose does (credit a top-up...), registered by the
# section that owns the purpose; runs in the transaction that settles the payment, also
# when it did not succeed (failed, cancelled, or charged but to be refunded).
SETTLED_HANDLERS: dict[str, SettledHandler] = {}


def on_payment_settled(purpose: str) -> Callable[[SettledHandler], SettledHandler]:
    def register(handler: SettledHandler) -> SettledHandler:
        SETTLED_HANDLERS[purpose] = handler
        return handler

    return register


SettlementCheck = Callable[[Payment], str]
# Why a charged payment of another purpose pays nothing now (a key of REFUND_MESSAGES; ""
# when it applies), asked in the settling transaction before it succeeds: such a payment is
# refunded, and its handler sees it not succeeded.
SETTLEMENT_CHECKS: dict[str, SettlementCheck] = {}


def settlement_check(purpose: str) -> Callable[[SettlementCheck], SettlementCheck]:
    def register(check: SettlementCheck) -> SettlementCheck:
        SETTLEMENT_CHECKS[purpose] = check
        return check

    return register


def payer_may_pay(user: User, invoice: Invoice) -> bool:
    """Who may pay `invoice`: a personal invoice of a Dual Billing line only the person it
    was issued to (Invoice.billed_to); a company invoice, someone of that company."""
    if invoice.personal_line_id is not None:
        return invoice.billed_to_id is not None and invoice.billed_to_id == user.pk
    return user.company_id == invoice.company_id


def invoice_subject(invoice: Invoice) -> str:
    return f"invoice:{invoice.pk}"


def payment_for_key(*, idempotency_key: str, purpose: str, subject: str) -> Payment | None:
    """The attempt made with this key for this purpose and object. A key already used for
    another purpose or object is refused: it never answers with that other attempt."""
    existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
    if existing is None:
        return None
    if existing.purpose != purpose or existing.subject != subject:
        raise PaymentRefused(
            _(
                "Questa richiesta di pagamento è già stata usata per un'altra operazione: "
                "ricarica la pagina e riprova."
            )
        )
    return existing


@transaction.atomic
def payment_start(
    *, user: User, invoice: Invoice, idempotency_key: str, base_url: str
) -> tuple[Payment, str]:
    """Start paying `invoice` and return the attempt with where to send the customer.
    The same key again (a double click, a reload of the POST) returns the same attempt."""
    subject = invoice_subject(invoice)
    if (again := _attempt_again(idempotency_key, subject)) is not None:
        return again
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    # The same submission twice at once (a double click, a retry while the first still
    # ran) queued on the lock above: the first one's attempt is there now, and is not
    # "another payment in progress".
    if (again := _attempt_again(idempotency_key, subject)) is not None:
        return again
    if not payer_may_pay(user, invoice):
        raise PaymentRefused(_("Questa fattura può pagarla solo la persona a cui è intestata."))
    if invoice.status == Invoice.Status.PAID:
        raise PaymentRefused(_("La fattura risulta già pagata."))
    current = open_payment_of(invoice)
    if current is not None:
        if current.created_by_id == user.pk:
            raise PaymentRefused(
                _(
                    "Hai già un pagamento in corso per questa fattura: riprendilo o annullalo "
                    "da questa pagina."
                )
            )
        raise PaymentRefused(
            _(
                "C'è già un pagamento in corso per questa fattura, avviato da %(name)s: "
                "potrai pagare se viene annullato o dopo la sua scadenza (%(expires)s)."
            )
            % {
                "name": _payer_name(current),
                "expires": timezone.localtime(current.expires_at).strftime("%H:%M"),
            }
        )
    return payment_open(
        user=user,
        purpose=Payment.Purpose.INVOICE,
        subject=subject,
        amount=invoice.total,
        description=_("Fattura %(number)s") % {"number": invoice.number},
        idempotency_key=idempotency_key,
        result_url_name="billing:payment-result",
        base_url=base_url,
        invoice=invoice,
    )


def _attempt_again(
    idempotency_key: str, subject: str, purpose: str = Payment.Purpose.INVOICE
) -> tuple[Payment, str] | None:
    existing = payment_for_key(idempotency_key=idempotency_key, purpose=purpose, subject=subject)
    if existing is None:
        return None
    return existing, payment_continue_url(existing)


def _payer_name(payment: Payment) -> str:
    payer = payment.created_by
    if payer is None:
        return str(_("un collega"))
    return payer.get_full_name() or payer.username


def open_payment_of(invoice: Invoice) -> Payment | None:
    """The attempt the customer may still be paying on, of this invoice alone or of several
    with it: pending and not expired at the provider. While there is one, nobody starts
    another that includes the invoice."""
    return (
        _payments_including(invoice.pk)
        .select_related("created_by")
        .filter(status=Payment.Status.PENDING, expires_at__gt=timezone.now())
        .first()
    )


def _payments_including(invoice_id: int) -> QuerySet[Payment]:
    # A subquery, not a join: the rows can then be locked (FOR UPDATE refuses the nullable
    # side of an outer join).
    grouped = PaymentInvoice.objects.filter(invoice_id=invoice_id).values("payment_id")
    return Payment.objects.filter(Q(invoice_id=invoice_id) | Q(pk__in=grouped))


def invoices_with_open_payment(invoice_ids: Iterable[int]) -> set[int]:
    """Which of these invoices are in an open attempt, alone or with others (one query)."""
    open_payments = Payment.objects.filter(
        status=Payment.Status.PENDING, expires_at__gt=timezone.now()
    )
    ids = list(invoice_ids)
    alone = open_payments.filter(invoice_id__in=ids).values_list("invoice_id", flat=True)
    grouped = PaymentInvoice.objects.filter(
        invoice_id__in=ids, payment__in=open_payments
    ).values_list("invoice_id", flat=True)
    # Without the models' default orderings: SQLite refuses ORDER BY inside a UNION.
    return {pk for pk in alone.order_by().union(grouped.order_by()) if pk is not None}


# How many invoices one checkout pays at most: the confirmation page stays readable, and
# the provider's description short.
MAX_INVOICES_AT_ONCE = 50


def invoices_subject(invoice_ids: Iterable[int]) -> str:
    """The object of a payment of several invoices: the selection, whatever its order."""
    listed = ",".join(str(pk) for pk in sorted(set(invoice_ids)))
    subject = f"invoices:{listed}"
    if len(subject) <= Payment._meta.get_field("subject").max_length:  # type: ignore[operator]
        return subject
    return "invoices:#" + hashlib.sha256(listed.encode()).hexdigest()[:30]


def selection_refusal(count: int) -> str:
    """Why a selection of `count` invoices cannot be paid together ("" when it can)."""
    if count < 1:
        return _("Seleziona almeno una fattura da pagare.")
    if count > MAX_INVOICES_AT_ONCE:
        return _("Puoi pagare al massimo %(count)d fatture alla volta.") % {
            "count": MAX_INVOICES_AT_ONCE
        }
    return ""


def invoices_refusal(*, user: User, invoices: Iterable[Invoice]) -> str:
    """Why `user` cannot pay these invoices together now ("" when they can), naming the
    first invoice that stands in the way. Asked on the confirmation page, and again under
    the invoices' locks when the payment starts."""
    invoices = list(invoices)
    if refusal := selection_refusal(len(invoices)):
        return refusal
    busy = invoices_with_open_payment(invoice.pk for invoice in invoices)
    for invoice in invoices:
        names = {"number": invoice.number}
        if invoice.personal_line_id is not None:
            return (
                _(
                    "La fattura %(number)s è una fattura personale: si paga da sola, dalla sua "
                    "pagina."
                )
                % names
            )
        if not payer_may_pay(user, invoice):
            return _("Non puoi pagare la fattura %(number)s.") % names
        if invoice.status == Invoice.Status.PAID:
            return _("La fattura %(number)s risulta già pagata.") % names
        if invoice.total <= 0:
            return _("La fattura %(number)s non ha un importo da pagare.") % names
        if invoice.pk in busy:
            return (
                _(
                    "C'è già un pagamento in corso per la fattura %(number)s: riprendilo o "
                    "annullalo dalla sua pagina, oppure toglila dalla selezione."
                )
                % names
            )
    return ""


@transaction.atomic
def payment_start_many(
    *,
    user: User,
    invoices: Iterable[Invoice],
    revisions: Mapping[int, int],
    idempotency_key: str,
    base_url: str,
) -> tuple[Payment, str]:
    """Start paying several company invoices in one checkout, for their sum, and return
    the attempt with where to send the customer. The same key again returns the same
    attempt; the same key for another selection is refused.

    `revisions` is each invoice's revision (by id) as the customer confirmed it: the charge
    is the total they saw, or nothing starts (InvoicesChanged) when one has changed since."""
    ids = sorted({invoice.pk for invoice in invoices})
    subject = invoices_subject(ids)
    purpose = Payment.Purpose.INVOICES
    if (again := _attempt_again(idempotency_key, subject, purpose)) is not None:
        return again
    # In id order, as settling locks them: two selections that share invoices queue.
    locked = list(Invoice.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    # A double submit queued on the locks above finds the first one's attempt.
    if (again := _attempt_again(idempotency_key, subject, purpose)) is not None:
        return again
    if len(locked) != len(ids):
        raise PaymentRefused(_("Una delle fatture selezionate non è più disponibile."))
    if refusal := invoices_refusal(user=user, invoices=locked):
        raise PaymentRefused(refusal)
    if changed := [invoice for invoice in locked if revisions.get(invoice.pk) != invoice.revision]:
        raise InvoicesChanged(
            ngettext(
                "La fattura %(numbers)s è stata aggiornata dopo il riepilogo che hai confermato: "
                "non è stato addebitato nulla. Controlla i nuovi importi e conferma di nuovo.",
                "Le fatture %(numbers)s sono state aggiornate dopo il riepilogo che hai "
                "confermato: non è stato addebitato nulla. Controlla i nuovi importi e conferma "
                "di nuovo.",
                len(changed),
            )
            % {"numbers": ", ".join(invoice.number for invoice in changed)}
        )
    locked.sort(key=lambda invoice: (invoice.issue_date, invoice.pk))
    numbers = ", ".join(invoice.number for invoice in locked)
    description = ngettext("Fattura %(numbers)s", "Fatture %(numbers)s", len(locked)) % {
        "numbers": numbers
    }
    if len(description) > Payment._meta.get_field("description").max_length:  # type: ignore[operator]
        description = _("%(count)d fatture") % {"count": len(locked)}
    payment, next_url = payment_open(
        user=user,
        purpose=purpose,
        subject=subject,
        amount=sum((invoice.total for invoice in locked), Decimal("0.00")),
        description=description,
        idempotency_key=idempotency_key,
        result_url_name="billing:payment-result",
        base_url=base_url,
    )
    if not payment.covered.exists():
        PaymentInvoice.objects.bulk_create(
            PaymentInvoice(
                payment=payment,
                invoice=invoice,
                amount=invoice.total,
                invoice_revision=invoice.revision,
            )
            for invoice in locked
        )
    return payment, next_url


def payment_open(
    *,
    user: User,
    purpose: str,
    subject: str,
    amount: Decimal,
    description: str,
    idempotency_key: str,
    result_url_name: str,
    base_url: str,
    invoice: Invoice | None = None,
) -> tuple[Payment, str]:
    """Open a checkout at the gateway and record the attempt (any purpose), for the object
    named by `subject`. The caller holds the locks its purpose needs; the key makes a
    concurrent double submit one."""
    existing = payment_for_key(idempotency_key=idempotency_key, purpose=purpose, subject=subject)
    if existing is not None:
        return existing, payment_continue_url(existing)
    gateway = get_gateway()
    result_path = reverse(result_url_name, args=[REFERENCE_PLACEHOLDER])
    try:
        checkout = gateway.start_checkout(
            amount=amount,
            description=description,
            return_url=base_url + result_path,
            idempotency_key=idempotency_key,
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
                subject=subject,
                invoice=invoice,
                invoice_revision=invoice.revision if invoice is not None else None,
                amount=amount,
                description=description,
                return_path=result_path.replace(REFERENCE_PLACEHOLDER, checkout.provider_reference),
                provider=gateway.name,
                provider_reference=checkout.provider_reference,
                checkout_url=checkout.redirect_url,
                expires_at=checkout.expires_at,
                idempotency_key=idempotency_key,
                created_by=user,
            )
    except IntegrityError:  # the same key, submitted twice at the same moment
        raced = payment_for_key(idempotency_key=idempotency_key, purpose=purpose, subject=subject)
        if raced is None:
            raise
        payment = raced
    return payment, payment_continue_url(payment)


def payment_continue_url(payment: Payment) -> str:
    """Where an attempt takes the customer now: the provider's page while it can still be
    paid there, or the result."""
    if payment.is_open and payment.checkout_url:
        return payment.checkout_url
    return payment.return_path


def payment_cancel(*, user: User, invoice: Invoice) -> Payment:
    """Cancel the attempt `user` started on `invoice` ("Annulla"): first at the provider,
    so that nobody pays it afterwards, then here; a colleague may then start another."""
    payment = open_payment_of(invoice)
    if payment is None:
        raise PaymentRefused(_("Non c'è un pagamento in corso da annullare."))
    if payment.created_by_id != user.pk:
        raise PaymentRefused(_("Solo chi ha avviato il pagamento può annullarlo."))
    try:
        get_gateway(payment.provider).expire_checkout(provider_reference=payment.provider_reference)
    except CheckoutCompleted as completed:
        raise PaymentRefused(
            _(
                "Il pagamento risulta già completato presso il circuito: attendi qualche "
                "istante la conferma."
            )
        ) from completed
    except (GatewayUnavailable, TimeoutError, ConnectionError) as failure:
        logger.warning("payment gateway %s unavailable: %s", payment.provider, failure)
        raise PaymentRefused(
            _("Il servizio di pagamento non risponde: riprova ad annullare tra qualche minuto.")
        ) from failure
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status == Payment.Status.PENDING:
            payment.status = Payment.Status.CANCELLED
            payment.failure_reason = "cancelled"
            payment.completed_at = timezone.now()
            payment.save(update_fields=["status", "failure_reason", "completed_at"])
            _after_settled(payment)
    return payment


def payments_cancel_for_invoice(*, invoice: Invoice) -> int:
    """The invoice changed (a new revision): its open checkouts, alone or with other
    invoices, are for an amount no longer owed. Cancelled here, in the caller's transaction
    (which holds the invoice's lock), and expired at the provider once it commits; one paid
    meanwhile is refunded when its callback comes."""
    pending = list(
        _payments_including(invoice.pk)
        .select_for_update()
        .filter(status=Payment.Status.PENDING)
        .order_by("pk")
    )
    now = timezone.now()
    for payment in pending:
        payment.status = Payment.Status.CANCELLED
        payment.failure_reason = (
            "one_changed" if payment.purpose == Payment.Purpose.INVOICES else "invoice_changed"
        )
        payment.completed_at = now
        payment.save(update_fields=["status", "failure_reason", "completed_at"])
        transaction.on_commit(
            partial(_expire_quietly, payment.provider, payment.provider_reference), robust=True
        )
    return len(pending)


def _expire_quietly(provider: str, reference: str) -> None:
    try:
        get_gateway(provider).expire_checkout(provider_reference=reference)
    except (CheckoutCompleted, GatewayUnavailable, TimeoutError, ConnectionError) as failure:
        # Its success callback, if it comes, is refunded: the attempt is cancelled here.
        logger.warning("could not expire checkout %s at %s: %r", reference, provider, failure)


@transaction.atomic
def payment_callback(*, provider: str, body: bytes, headers: Mapping[str, str]) -> str:
    """Handle a provider's callback. Returns what happened: "processed", "duplicate",
    "ignored". Raises gateway.InvalidCallback for anything untrustworthy, LookupError for
    a provider that is not the configured one."""
    outcome = callback_gateway(provider).parse_callback(body=body, headers=headers)
    try:
        with transaction.atomic():
            GatewayEvent.objects.create(provider=provider, event_id=outcome.event_id)
    except IntegrityError:
        return "duplicate"
    found = (
        Payment.objects.filter(provider=provider, provider_reference=outcome.provider_reference)
        .values_list("pk", "invoice_id")
        .first()
    )
    if found is None:
        return "ignored"
    payment_id, invoice_id = found
    # The invoices first (several in id order), then the payment: the order of an import
    # and of a payment start.
    if invoice_id is not None:
        Invoice.objects.select_for_update().only("pk").get(pk=invoice_id)
    else:
        covered = PaymentInvoice.objects.filter(payment_id=payment_id).values("invoice_id")
        list(Invoice.objects.select_for_update().filter(pk__in=covered).order_by("pk").only("pk"))
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    return "processed" if _settle(payment, outcome) else "ignored"


def _settle(payment: Payment, outcome: Outcome) -> bool:
    """Apply an outcome to a locked attempt; False when it changes nothing."""
    now = timezone.now()
    if not outcome.succeeded:
        if payment.status != Payment.Status.PENDING:
            return False  # a late or out-of-order failure
        payment.status = Payment.Status.FAILED
        payment.failure_reason = outcome.failure_reason
        payment.completed_at = now
        payment.save(update_fields=["status", "failure_reason", "completed_at"])
        _after_settled(payment)
        return True
    if payment.status in {
        Payment.Status.SUCCEEDED,
        Payment.Status.REFUND_DUE,
        Payment.Status.REFUNDED,
    }:
        return False  # the same charge reported again
    if payment.status != Payment.Status.PENDING:
        # Charged on an attempt given up here (cancelled, failed): it pays nothing.
        given_up = payment.failure_reason
        kept = {"invoice_changed", "one_changed", "expired"}
        _refund_due(payment, given_up if given_up in kept else "cancelled", now)
        return True
    if outcome.amount is not None and (
        outcome.amount != payment.amount or outcome.currency.lower() != CURRENCY
    ):
        _refund_due(payment, "amount_mismatch", now)
        return True
    # A provider that takes no payment on an expired checkout vouches for the time itself
    # (its event may be stamped, or sent, after the expiry); otherwise the event's time.
    if not outcome.paid_in_time and (outcome.occurred_at or now) > payment.expires_at:
        _refund_due(payment, "expired", now)
        return True
    if payment.purpose == Payment.Purpose.INVOICES:
        _settle_invoices(payment, now)
        return True
    if payment.invoice_id is None:  # another section's purpose: its handler does the rest
        check = SETTLEMENT_CHECKS.get(payment.purpose)
        if check is not None and (refused := check(payment)):
            _refund_due(payment, refused, now)
            return True
        payment.status = Payment.Status.SUCCEEDED
        payment.completed_at = now
        payment.save(update_fields=["status", "completed_at"])
        _after_settled(payment)
        return True
    invoice = Invoice.objects.select_for_update().get(pk=payment.invoice_id)
    if invoice.status == Invoice.Status.PAID:
        _refund_due(payment, "already_paid", now)
        return True
    if payment.invoice_revision != invoice.revision or payment.amount != invoice.total:
        _refund_due(payment, "invoice_changed", now)
        return True
    payer = payment.created_by
    if payer is not None and not payer_may_pay(payer, invoice):
        _refund_due(payment, "payer_changed", now)
        return True
    payment.status = Payment.Status.SUCCEEDED
    payment.completed_at = now
    payment.save(update_fields=["status", "completed_at"])
    invoice.status = Invoice.Status.PAID
    invoice.paid_at = now
    invoice.save(update_fields=["status", "paid_at"])
    if payer is not None and payer.email:
        send_templated_email(
            "billing/email/receipt",
            {"payment": payment, "invoice": invoice, "person": payer},
            [payer.email],
        )
    return True


def _settle_invoices(payment: Payment, now: datetime) -> None:
    """A charged, pending payment of several invoices: all of them paid, or none and the
    money refunded. Their locks are held (payment_callback), so what is checked stays so."""
    covered = list(payment.covered.order_by("invoice_id"))
    invoices = {
        invoice.pk: invoice
        for invoice in Invoice.objects.select_for_update()
        .filter(pk__in=[row.invoice_id for row in covered])
        .order_by("pk")
    }
    if not covered or sum(row.amount for row in covered) != payment.amount:
        _refund_due(payment, "amount_mismatch", now)
        return
    payer = payment.created_by
    for row in covered:
        invoice = invoices[row.invoice_id]
        if invoice.status == Invoice.Status.PAID:
            _refund_due(payment, "one_already_paid", now)
            return
        if row.invoice_revision != invoice.revision or row.amount != invoice.total:
            _refund_due(payment, "one_changed", now)
            return
        if payer is not None and not payer_may_pay(payer, invoice):
            _refund_due(payment, "payer_changed", now)
            return
    payment.status = Payment.Status.SUCCEEDED
    payment.completed_at = now
    payment.save(update_fields=["status", "completed_at"])
    Invoice.objects.filter(pk__in=invoices).update(status=Invoice.Status.PAID, paid_at=now)
    _after_settled(payment)
    if payer is not None and payer.email:
        paid = sorted(invoices.values(), key=lambda invoice: (invoice.issue_date, invoice.pk))
        send_templated_email(
            "billing/email/receipt",
            {
                "payment": payment,
                "invoices": [(invoice, invoice.total) for invoice in paid],
                "person": payer,
            },
            [payer.email],
        )


def _refund_due(payment: Payment, reason: str, now: datetime) -> None:
    """Charged, but it pays nothing: recorded as owed back, the customer told, and the
    refund asked of the provider once this commits (then retried until it confirms)."""
    from billing.tasks import refund_payment

    payment.status = Payment.Status.REFUND_DUE
    payment.failure_reason = reason
    payment.completed_at = payment.completed_at or now
    payment.save(update_fields=["status", "failure_reason", "completed_at"])
    _after_settled(payment)
    payer = payment.created_by
    if payer is not None and payer.email:
        send_templated_email(
            "billing/email/refund_due",
            {"payment": payment, "person": payer, "reason": failure_message(payment)},
            [payer.email],
        )
    payment_id = payment.pk
    transaction.on_commit(lambda: refund_payment.enqueue(payment_id), robust=True)


def payment_refund(*, payment_id: int) -> Payment:
    """Ask the provider to refund a REFUND_DUE payment, once. It turns REFUNDED (and the
    customer is e-mailed) when the provider confirms; otherwise the attempt and its error
    are recorded for the retries and the back office. Safe to run twice at once: the
    gateway refunds only what is not given back yet, two runs of the same attempt share its
    key, and the row is locked to record it. Each attempt has a key of its own: a provider
    that refused one (Stripe keeps a key's answer for 24 h) is really asked again."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status != Payment.Status.REFUND_DUE:
        return payment
    refund, error = None, ""
    attempt = payment.refund_attempts + 1
    try:
        refund = get_gateway(payment.provider).refund(
            provider_reference=payment.provider_reference,
            amount=payment.amount,
            idempotency_key=f"refund-{payment.idempotency_key}-{attempt}",
        )
    except (GatewayUnavailable, TimeoutError, ConnectionError, LookupError) as failure:
        logger.warning("refund of payment %s failed: %r", payment.pk, failure)
        error = str(failure) or failure.__class__.__name__
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("created_by")
            .get(pk=payment_id)
        )
        if payment.status != Payment.Status.REFUND_DUE:
            return payment
        now = timezone.now()
        payment.refund_attempts += 1
        payment.refund_tried_at = now
        if refund is not None:
            payment.refund_reference = refund.reference
        if refund is not None and refund.confirmed:
            payment.status = Payment.Status.REFUNDED
            payment.refunded_at = now
            payment.refund_error = ""
            payer = payment.created_by
            if payer is not None and payer.email:
                send_templated_email(
                    "billing/email/refunded", {"payment": payment, "person": payer}, [payer.email]
                )
        else:
            payment.refund_error = (error or "pending at the provider")[:300]
        payment.save()
    return payment


def refund_retry_delay(payment: Payment) -> timedelta:
    """How long to wait before asking the provider again about this refund."""
    index = min(max(payment.refund_attempts - 1, 0), len(REFUND_RETRY_DELAYS) - 1)
    return REFUND_RETRY_DELAYS[index]


def _after_settled(payment: Payment) -> None:
    handler = SETTLED_HANDLERS.get(payment.purpose)
    if handler is not None:
        handler(payment)


def failure_message(payment: Payment) -> str:
    """Why the attempt did not pay, for the customer."""
    if payment.status in {Payment.Status.REFUND_DUE, Payment.Status.REFUNDED}:
        return str(REFUND_MESSAGES.get(payment.failure_reason, REFUND_MESSAGES["cancelled"]))
    if payment.status == Payment.Status.PENDING and not payment.is_open:
        return str(FAILURE_MESSAGES["expired"])
    return str(FAILURE_MESSAGES.get(payment.failure_reason, _("Il pagamento non è riuscito.")))
