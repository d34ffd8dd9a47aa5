"""Top-ups of a SIM's credit (C5): paid through billing's payment gateway
(billing.payments), credited exactly once when the payment settles."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Line, User
from accounts.roles import Capability
from billing.models import Payment
from billing.payments import (
    PaymentRefused,
    on_payment_settled,
    payment_continue_url,
    payment_for_key,
    payment_open,
    settlement_check,
)
from consumption.models import SimCredit, TopUp
from consumption.selectors import sims_for_user
from core.exceptions import ActionRefused
from core.mail import send_templated_email


class TopUpRefused(ActionRefused):
    """The top-up cannot start; the message is for the customer."""


@transaction.atomic
def top_up_start(
    *, user: User, line: Line, amount: Decimal, idempotency_key: str, base_url: str
) -> tuple[TopUp, str]:
    """Start a top-up of `line`; the same key again returns the same attempt."""
    if (again := _top_up_again(line, idempotency_key)) is not None:
        return again
    if amount not in {Decimal(value) for value in TopUp.AMOUNTS}:
        raise TopUpRefused(_("Scegli uno degli importi proposti."))
    line = Line.objects.select_for_update().get(pk=line.pk)
    # The same submission twice at once (a double click, a retry while the first still
    # ran) queued on the lock above: the first one's attempt is there now.
    if (again := _top_up_again(line, idempotency_key)) is not None:
        return again
    if line.is_blocked:
        raise TopUpRefused(
            _("La SIM è bloccata: non si può ricaricare finché non viene sbloccata.")
        )
    if not line.can_top_up:
        raise TopUpRefused(_("La SIM non è attiva: non si può ricaricare."))
    try:
        payment, next_url = payment_open(
            user=user,
            purpose=Payment.Purpose.TOP_UP,
            subject=line_subject(line),
            amount=amount,
            description=_("Ricarica della SIM %(number)s") % {"number": line.number},
            idempotency_key=idempotency_key,
            result_url_name="consumption:top-up-result",
            base_url=base_url,
        )
    except PaymentRefused as refusal:
        raise TopUpRefused(str(refusal)) from refusal
    top_up = TopUp.objects.create(line=line, amount=amount, payment=payment, requested_by=user)
    return top_up, next_url


def line_subject(line: Line) -> str:
    """What a top-up's idempotency key is bound to: its SIM."""
    return f"line:{line.pk}"


def _top_up_again(line: Line, idempotency_key: str) -> tuple[TopUp, str] | None:
    """The top-up of `line` made with this key; a key used for anything else (an invoice
    payment, another SIM) is refused, never bound to this top-up."""
    try:
        payment = payment_for_key(
            idempotency_key=idempotency_key,
            purpose=Payment.Purpose.TOP_UP,
            subject=line_subject(line),
        )
    except PaymentRefused as refusal:
        raise TopUpRefused(str(refusal)) from refusal
    if payment is None:
        return None
    existing = TopUp.objects.select_related("payment").filter(payment=payment).first()
    if existing is None:
        return None
    return existing, payment_continue_url(existing.payment)


@settlement_check(Payment.Purpose.TOP_UP)
def _top_up_still_applies(payment: Payment) -> str:
    """A charged top-up credits its SIM only if the person who paid may still top it up
    and it is still active: paid by someone removed from the company meanwhile, or for a
    SIM no longer active or no longer in the payer's scope, it is refunded instead."""
    top_up = TopUp.objects.select_related("line__contract", "requested_by").get(payment=payment)
    payer, line = top_up.requested_by, top_up.line
    if payer is None or not payer.is_active or payer.company_id != line.contract.company_id:
        return "payer_changed"
    in_scope = sims_for_user(user=payer, capability=Capability.TOP_UP).filter(pk=line.pk)
    if not line.can_top_up or not in_scope.exists():
        return "line_unavailable"
    return ""


@on_payment_settled(Payment.Purpose.TOP_UP)
def _credit_top_up(payment: Payment) -> None:
    top_up = TopUp.objects.select_for_update().get(payment=payment)
    if top_up.status != TopUp.Status.PENDING:
        return  # settled already: never credited twice
    if payment.status != Payment.Status.SUCCEEDED:
        top_up.status = TopUp.Status.FAILED
        top_up.save(update_fields=["status"])
        return
    credit, _created = SimCredit.objects.select_for_update().get_or_create(line_id=top_up.line_id)
    credit.balance += top_up.amount
    credit.save(update_fields=["balance", "updated_at"])
    top_up.status = TopUp.Status.CREDITED
    top_up.credited_at = timezone.now()
    top_up.save(update_fields=["status", "credited_at"])
    payer = top_up.requested_by
    if payer is not None and payer.email:
        send_templated_email(
            "consumption/email/top_up_receipt", {"top_up": top_up, "person": payer}, [payer.email]
        )
