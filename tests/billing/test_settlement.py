"""Settling a payment checks what was paid against what is owed now: the invoice's amount
and revision, the checkout's expiry, the attempt still being the one in force. Money that
pays nothing is refunded through the gateway, retried until the provider confirms, and
the customer is told at each step."""

import io
import json
import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import Line
from billing.gateway import SIGNATURE_HEADER, GatewayUnavailable, Refund, SandboxGateway, sign
from billing.models import Invoice, Payment
from billing.payments import payment_callback, payment_refund
from billing.services import invoice_import
from consumption.models import SimCredit, TopUp
from tests.billing.test_payments import start
from tests.conftest import World, client_for

CARD = {"card_number": "4242424242424242", "expiry": "12/39", "cvc": "123"}


def provider_says(payment: Payment, outcome: str = "succeeded", at: float | None = None) -> str:
    """The sandbox provider's signed callback for `payment`, as its webhook receives it."""
    event = {"id": f"evt_{uuid.uuid4().hex}", "payment": payment.provider_reference}
    event |= {"outcome": outcome, "created": int(at if at is not None else time.time())}
    body = json.dumps(event).encode()
    return payment_callback(provider="sandbox", body=body, headers={SIGNATURE_HEADER: sign(body)})


def subjects() -> list[str]:
    return [message.subject for message in mail.outbox]


@pytest.fixture
def tasks_run_at_once(settings) -> None:  # type: ignore[no-untyped-def]
    # The worker's part done in the test: a task enqueued after commit runs there and then.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def refunds_asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The refunds the sandbox provider was asked for, by checkout."""
    asked: list[str] = []
    original = SandboxGateway.refund

    def refund(self, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(kwargs["provider_reference"])
        return original(self, **kwargs)

    monkeypatch.setattr(SandboxGateway, "refund", refund)
    return asked


def invoice_record(world: World, amount: str) -> dict[str, object]:
    return {
        "number": "FT-2026-000777",
        "company_vat_number": world.company.vat_number,
        "contract": world.mobile.number,
        "issue_date": "2026-10-05",
        "period_start": "2026-09-01",
        "period_end": "2026-09-30",
        "due_date": "2026-10-25",
        "items": [{"category": "FEE", "service": "Canone", "amount": amount, "vat_rate": "22"}],
    }


# --- An invoice changed after the checkout started (issue 13, item 3) ---------------------


def test_a_checkout_of_an_old_revision_does_not_pay_the_new_one_and_is_refunded(
    world: World,
    refunds_asked: list[str],
    tasks_run_at_once: None,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    invoice = invoice_import(invoice_record(world, "10.00")).invoice
    assert (invoice.revision, invoice.total) == (1, Decimal("12.20"))
    client = client_for(world.full)
    start(client, invoice)
    payment = Payment.objects.get()
    assert payment.invoice_revision == 1 and payment.amount == Decimal("12.20")

    corrected = invoice_import(invoice_record(world, "5000.00")).invoice
    assert (corrected.revision, corrected.total) == (2, Decimal("6100.00"))
    with django_capture_on_commit_callbacks(execute=True):
        assert provider_says(payment) == "processed"  # the customer had paid 12.20 €

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN and invoice.paid_at is None
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED and payment.failure_reason == "invoice_changed"
    assert refunds_asked == [payment.provider_reference]
    assert subjects() == [
        "Pagamento non applicato: Fattura FT-2026-000777",
        "Rimborso eseguito: Fattura FT-2026-000777",
    ]
    assert "la fattura resta da pagare" in mail.outbox[0].body
    page = unescape(client.get(payment.return_path).content.decode())
    assert "Pagamento non applicato" in page and "Rimborso di 12,20" in page


def test_settlement_compares_the_revision_even_without_an_import(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    """The invoice's revision moved on while its attempt stayed pending (however that
    happened): the attempt's money does not pay it."""
    start(client_for(world.lr), world.invoice)
    payment = Payment.objects.get()
    Invoice.objects.filter(pk=world.invoice.pk).update(revision=2)
    with django_capture_on_commit_callbacks(execute=True):
        provider_says(payment)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUND_DUE
    assert Invoice.objects.get(pk=world.invoice.pk).status == Invoice.Status.OPEN
    # The refund is on the worker's queue.
    assert DBTaskResult.objects.filter(task_path="billing.tasks.refund_payment").count() == 1


def test_settlement_compares_the_amount(world: World) -> None:
    start(client_for(world.lr), world.invoice)
    payment = Payment.objects.get()
    Invoice.objects.filter(pk=world.invoice.pk).update(
        taxable=Decimal("1000.00"), vat=Decimal("220.00"), total=Decimal("1220.00")
    )
    provider_says(payment)
    assert Payment.objects.get().status == Payment.Status.REFUND_DUE
    assert Invoice.objects.get(pk=world.invoice.pk).status == Invoice.Status.OPEN


def test_an_import_that_changes_an_open_invoice_cancels_its_checkouts(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    expired: list[str] = []
    monkeypatch.setattr(
        SandboxGateway,
        "expire_checkout",
        lambda self, *, provider_reference: expired.append(provider_reference),
    )
    invoice = invoice_import(invoice_record(world, "10.00")).invoice
    client = client_for(world.lr)
    checkout = start(client, invoice)["Location"]
    payment = Payment.objects.get()
    invoice_import(invoice_record(world, "10.00"))  # the same record: nothing changes
    assert Payment.objects.get().status == Payment.Status.PENDING and not expired

    with django_capture_on_commit_callbacks(execute=True):
        invoice_import(invoice_record(world, "5000.00"))
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELLED
    assert expired == [payment.provider_reference]  # and at the provider
    # The card page no longer takes the card; the result says why.
    result = client.post(checkout, CARD)
    assert result["Location"] == payment.return_path
    assert "controlla il nuovo importo" in unescape(
        client.get(payment.return_path).content.decode()
    )
    # The new amount can be paid at once.
    page = unescape(
        client.get(reverse("billing:invoice-detail", args=[invoice.pk])).content.decode()
    )
    assert "Paga online 6100,00" in page.replace("\xa0", "").replace(".", "")


# --- Refunds through the gateway, retried until confirmed (item 4) -------------------------


def paid_by(world: World, client: Client, capture) -> Payment:  # type: ignore[no-untyped-def]
    checkout = start(client, world.invoice)["Location"]
    with capture(execute=True):
        client.post(checkout, CARD)
    return Payment.objects.get(status=Payment.Status.SUCCEEDED)


def test_a_late_second_success_is_refunded_at_the_provider_and_the_customer_told(
    world: World,
    refunds_asked: list[str],
    tasks_run_at_once: None,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    start(client_for(world.full), world.invoice)
    late = Payment.objects.get()
    Payment.objects.filter(pk=late.pk).update(expires_at=timezone.now())  # abandoned
    paid_by(world, client_for(world.lr), django_capture_on_commit_callbacks)
    Payment.objects.filter(pk=late.pk).update(expires_at=timezone.now() + timedelta(minutes=5))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert provider_says(late) == "processed"

    late.refresh_from_db()
    assert late.status == Payment.Status.REFUNDED and late.failure_reason == "already_paid"
    assert late.refund_reference.startswith("sbx_re_") and late.refund_attempts == 1
    assert refunds_asked == [late.provider_reference]
    assert [m.to for m in mail.outbox] == [[world.full.email], [world.full.email]]
    assert "già stata pagata" in mail.outbox[0].body
    assert late.refund_reference in mail.outbox[1].body
    assert Invoice.objects.get(pk=world.invoice.pk).status == Invoice.Status.PAID


def test_a_refund_the_provider_refuses_is_retried_until_it_is_confirmed(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    paid = paid_by(world, client_for(world.lr), django_capture_on_commit_callbacks)
    start_again = Payment.objects.create(
        invoice=world.invoice,
        invoice_revision=world.invoice.revision,
        subject=f"invoice:{world.invoice.pk}",
        amount=world.invoice.total,
        description=f"Fattura {world.invoice.number}",
        provider="sandbox",
        provider_reference="sbx_second",
        idempotency_key=uuid.uuid4().hex,
        created_by=world.full,
    )
    mail.outbox.clear()
    answers: list[Exception | Refund] = [
        GatewayUnavailable("503 from the provider"),
        Refund(reference="sbx_re_pending", confirmed=False),
    ]

    def refund(self, **kwargs):  # type: ignore[no-untyped-def]
        answer = answers.pop(0) if answers else Refund(reference="sbx_re_done", confirmed=True)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(SandboxGateway, "refund", refund)
    with django_capture_on_commit_callbacks(execute=True):
        provider_says(start_again)
    # The first try (the task the callback enqueued, run by the worker) fails.
    task = DBTaskResult.objects.get(task_path="billing.tasks.refund_payment")
    from billing.tasks import refund_payment

    refund_payment.call(*task.args_kwargs["args"])
    start_again.refresh_from_db()
    assert start_again.status == Payment.Status.REFUND_DUE
    assert start_again.refund_attempts == 1 and "503" in start_again.refund_error
    # The task asked to be run again later, not at once.
    retry = DBTaskResult.objects.exclude(pk=task.pk).get()
    assert (
        timezone.now() + timedelta(minutes=4)
        < retry.run_after
        < timezone.now() + timedelta(minutes=6)
    )

    # Accepted but not yet confirmed: still due; then confirmed by the periodic retry.
    call_command("retry_refunds", stdout=io.StringIO(), stderr=io.StringIO())
    start_again.refresh_from_db()
    assert start_again.status == Payment.Status.REFUND_DUE
    assert start_again.refund_reference == "sbx_re_pending"
    assert subjects() == ["Pagamento non applicato: Fattura " + world.invoice.number]
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("retry_refunds", stdout=out, stderr=io.StringIO())
    assert "refunded: 1, still due: 0" in out.getvalue()
    start_again.refresh_from_db()
    assert start_again.status == Payment.Status.REFUNDED and start_again.refund_attempts == 3
    assert subjects()[-1] == "Rimborso eseguito: Fattura " + world.invoice.number
    # Asked again, nothing more happens: no second refund, no second e-mail.
    with django_capture_on_commit_callbacks(execute=True):
        payment_refund(payment_id=start_again.pk)
    assert len(mail.outbox) == 2
    paid.refresh_from_db()
    assert paid.status == Payment.Status.SUCCEEDED


# --- Checkouts expire (item 4) ---------------------------------------------------------------


def test_a_success_for_an_expired_checkout_is_refunded_not_applied(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    start(client_for(world.lr), world.invoice)
    payment = Payment.objects.get()
    lifetime = payment.expires_at - payment.created_at
    assert abs(lifetime - timedelta(minutes=30)) < timedelta(seconds=1)
    expired_at = timezone.now() - timedelta(hours=3)
    Payment.objects.filter(pk=payment.pk).update(expires_at=expired_at)
    with django_capture_on_commit_callbacks(execute=True):
        provider_says(payment)  # paid "hours later"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUND_DUE and payment.failure_reason == "expired"
    assert Invoice.objects.get(pk=world.invoice.pk).status == Invoice.Status.OPEN
    assert "dopo la scadenza" in mail.outbox[0].body


def test_a_payment_made_in_time_counts_even_if_its_callback_comes_late(world: World) -> None:
    """The provider's event time decides, not when its (retried) callback arrives."""
    start(client_for(world.lr), world.invoice)
    payment = Payment.objects.get()
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    provider_says(payment, at=time.time() - 5 * 60 + 10)  # paid before the expiry
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED
    assert Invoice.objects.get(pk=world.invoice.pk).status == Invoice.Status.PAID


def test_the_sandbox_card_page_honours_the_expiry(world: World) -> None:
    client = client_for(world.lr)
    checkout = start(client, world.invoice)["Location"]
    Payment.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    result = client.post(checkout, CARD)
    payment = Payment.objects.get()
    assert result["Location"] == payment.return_path
    assert payment.status == Payment.Status.FAILED and payment.failure_reason == "expired"
    assert Invoice.objects.get(pk=world.invoice.pk).status == Invoice.Status.OPEN
    assert "La sessione di pagamento è scaduta" in unescape(
        client.get(result["Location"]).content.decode()
    )


def test_a_success_for_a_cancelled_checkout_is_refunded(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    """Paid at the provider just before the cancellation reached it."""
    client = client_for(world.lr)
    start(client, world.invoice)
    client.post(reverse("billing:payment-cancel", args=[world.invoice.pk]))
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.CANCELLED
    with django_capture_on_commit_callbacks(execute=True):
        provider_says(payment)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUND_DUE and payment.failure_reason == "cancelled"
    assert Invoice.objects.get(pk=world.invoice.pk).status == Invoice.Status.OPEN


def test_a_top_up_paid_after_its_checkout_expired_is_refunded_not_credited(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    client = client_for(world.user)
    client.post(
        reverse("consumption:top-up", args=[world.user_line.pk]),
        {"amount": "25", "idempotency_key": uuid.uuid4().hex},
    )
    payment = Payment.objects.get()
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now() - timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        provider_says(payment)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUND_DUE
    top_up = TopUp.objects.get()
    assert top_up.status == TopUp.Status.FAILED
    assert not SimCredit.objects.filter(line=world.user_line, balance__gt=0).exists()
    page = unescape(client.get(payment.return_path).content.decode())
    assert "Ricarica non riuscita" in page and "rimborsato" in page


def test_a_payer_who_left_the_company_does_not_pay_its_invoice(world: World) -> None:
    start(client_for(world.full), world.invoice)
    world.full.company = world.outsider_company
    world.full.save(update_fields=["company"])
    provider_says(Payment.objects.get())
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.REFUND_DUE and payment.failure_reason == "payer_changed"
    assert Invoice.objects.get(pk=world.invoice.pk).status == Invoice.Status.OPEN


# --- A top-up pays only for a SIM its payer may still top up (M5) --------------------------


def _leave_the_company(world: World) -> None:
    world.user.company = world.outsider_company
    world.user.save(update_fields=["company"])


def _deactivated(world: World) -> None:
    world.user.is_active = False
    world.user.save(update_fields=["is_active"])


def _sim_blocked(world: World) -> None:
    Line.objects.filter(pk=world.user_line.pk).update(state=Line.State.BLOCKED)


def _sim_given_to_a_colleague(world: World) -> None:
    Line.objects.filter(pk=world.user_line.pk).update(assignee=world.full)


@pytest.mark.parametrize(
    ("meanwhile", "reason", "told"),
    [
        (_leave_the_company, "payer_changed", "non può più pagare"),
        (_deactivated, "payer_changed", "non può più pagare"),
        (_sim_blocked, "line_unavailable", "non è più attiva"),
        (_sim_given_to_a_colleague, "line_unavailable", "non è più tra quelle che puoi"),
    ],
    ids=["payer-left", "payer-deactivated", "sim-blocked", "sim-out-of-scope"],
)
def test_a_top_up_whose_payer_or_sim_changed_meanwhile_is_refunded_not_credited(
    world: World,
    meanwhile,  # type: ignore[no-untyped-def]
    reason: str,
    told: str,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    client_for(world.user).post(
        reverse("consumption:top-up", args=[world.user_line.pk]),
        {"amount": "25", "idempotency_key": uuid.uuid4().hex},
    )
    meanwhile(world)
    with django_capture_on_commit_callbacks(execute=True):
        assert provider_says(Payment.objects.get()) == "processed"
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.REFUND_DUE and payment.failure_reason == reason
    assert TopUp.objects.get().status == TopUp.Status.FAILED
    assert not SimCredit.objects.filter(line=world.user_line, balance__gt=0).exists()
    [message] = mail.outbox
    assert told in unescape(message.body)


# --- Lock order: an import and a callback of the same invoice at once (M3) ----------------


@pytest.mark.django_db(transaction=True)
def test_an_import_and_a_callback_of_the_same_invoice_at_once_both_finish(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The import locks the invoice, then its open checkouts. The callback, arriving while
    the import holds the invoice, takes the same locks in the same order: it waits for the
    import instead of holding the payment the import needs (which PostgreSQL ends as a
    deadlock, one of the two failing)."""
    import billing.payments
    import billing.services
    from billing.payments import payment_start
    from tests.conftest import build_world

    world = build_world()
    invoice = invoice_import(invoice_record(world, "10.00")).invoice
    payment, _url = payment_start(
        user=world.lr, invoice=invoice, idempotency_key=uuid.uuid4().hex, base_url=""
    )
    import_holds_invoice, callback_holds_payment = threading.Event(), threading.Event()
    cancel, settle = billing.payments.payments_cancel_for_invoice, billing.payments._settle

    def cancel_once_the_callback_is_in(*, invoice: Invoice) -> int:
        import_holds_invoice.set()
        callback_holds_payment.wait(timeout=2)  # it never gets there while we hold the invoice
        return cancel(invoice=invoice)

    def settle_noting_it(payment: Payment, outcome):  # type: ignore[no-untyped-def]
        callback_holds_payment.set()
        return settle(payment, outcome)

    monkeypatch.setattr(
        billing.services, "payments_cancel_for_invoice", cancel_once_the_callback_is_in
    )
    monkeypatch.setattr(billing.payments, "_settle", settle_noting_it)
    errors: list[Exception] = []

    def run(call) -> None:  # type: ignore[no-untyped-def]
        try:
            call()
        except Exception as error:  # the test reports it
            errors.append(error)
        finally:
            connection.close()

    importer = threading.Thread(
        target=run, args=(lambda: invoice_import(invoice_record(world, "5000.00")),)
    )
    importer.start()
    assert import_holds_invoice.wait(timeout=10)
    callback = threading.Thread(target=run, args=(lambda: provider_says(payment),))
    callback.start()
    importer.join(timeout=30)
    callback.join(timeout=30)
    assert errors == []
    invoice.refresh_from_db()
    assert (invoice.revision, invoice.status) == (2, Invoice.Status.OPEN)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUND_DUE
    assert payment.failure_reason == "invoice_changed"
