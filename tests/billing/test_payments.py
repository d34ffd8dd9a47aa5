"""Paying invoices online through the sandbox gateway: never twice, never lost."""

import io
import json
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Profile
from billing.gateway import SIGNATURE_HEADER, sign
from billing.models import GatewayEvent, Invoice, Payment
from billing.payments import payment_callback
from tests.concurrency import twice_while_locked
from tests.conftest import World, client_for

SUCCESS, DECLINED, NO_FUNDS = "4242 4242 4242 4242", "4000000000000002", "4000000000009995"


def start(client: Client, invoice: Invoice, key: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("billing:invoice-pay", args=[invoice.pk]),
        {"idempotency_key": key or uuid.uuid4().hex},
    )


def pay_with(client: Client, checkout_url: str, card: str, capture):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return client.post(checkout_url, {"card_number": card, "expiry": "12/39", "cvc": "123"})


def callback(reference: str, outcome: str = "succeeded", event_id: str | None = None) -> bytes:
    return json.dumps(
        {"id": event_id or f"evt_{uuid.uuid4().hex}", "payment": reference, "outcome": outcome}
    ).encode()


@pytest.mark.parametrize("profile", [Profile.LR, Profile.FULL, Profile.LIGHT])
def test_paying_with_a_good_card_pays_the_invoice_and_sends_a_receipt(
    profile: Profile,
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    payer = world.by_profile(profile)
    client = client_for(payer)
    response = start(client, world.invoice)
    assert response.status_code == 302
    checkout = response["Location"]
    assert "Carte di prova" in client.get(checkout).content.decode()
    result = pay_with(client, checkout, SUCCESS, django_capture_on_commit_callbacks)
    assert result.status_code == 302
    page = client.get(result["Location"]).content.decode()
    assert "Pagamento riuscito" in page and "122,00\xa0€" in page
    world.invoice.refresh_from_db()
    assert world.invoice.status == Invoice.Status.PAID and world.invoice.paid_at
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED
    [receipt] = mail.outbox
    assert receipt.to == [payer.email] and world.invoice.number in receipt.subject


@pytest.mark.parametrize(
    ("card", "message"), [(DECLINED, "rifiutata"), (NO_FUNDS, "Fondi insufficienti")]
)
def test_a_refused_card_leaves_the_invoice_to_pay_and_can_be_retried(
    card: str,
    message: str,
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    client = client_for(world.lr)
    result = pay_with(
        client, start(client, world.invoice)["Location"], card, django_capture_on_commit_callbacks
    )
    assert message in client.get(result["Location"]).content.decode()
    world.invoice.refresh_from_db()
    assert world.invoice.status == Invoice.Status.OPEN
    retry = pay_with(
        client,
        start(client, world.invoice)["Location"],
        SUCCESS,
        django_capture_on_commit_callbacks,
    )
    assert "Pagamento riuscito" in client.get(retry["Location"]).content.decode()
    assert list(Payment.objects.order_by("created_at").values_list("status", flat=True)) == [
        Payment.Status.FAILED,
        Payment.Status.SUCCEEDED,
    ]


def test_a_double_submit_starts_one_attempt(world: World) -> None:
    client = client_for(world.lr)
    key = uuid.uuid4().hex
    first, second = start(client, world.invoice, key), start(client, world.invoice, key)
    assert first["Location"] == second["Location"]
    assert Payment.objects.count() == 1


def test_a_second_attempt_while_one_is_in_progress_is_refused(world: World) -> None:
    client = client_for(world.lr)
    start(client, world.invoice)
    response = start(client, world.invoice)
    assert response["Location"] == reverse("billing:invoice-detail", args=[world.invoice.pk])
    assert "pagamento in corso" in client.get(response["Location"]).content.decode()
    assert Payment.objects.count() == 1


def test_a_paid_invoice_cannot_be_paid_again(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    client = client_for(world.lr)
    pay_with(
        client,
        start(client, world.invoice)["Location"],
        SUCCESS,
        django_capture_on_commit_callbacks,
    )
    response = start(client, world.invoice)
    assert "già pagata" in client.get(response["Location"]).content.decode()
    assert Payment.objects.count() == 1


def test_a_repeated_callback_counts_once_and_a_late_failure_changes_nothing(world: World) -> None:
    client = client_for(world.lr)
    start(client, world.invoice)
    payment = Payment.objects.get()
    body = callback(payment.provider_reference, event_id="evt_1")
    headers = {SIGNATURE_HEADER: sign(body)}
    assert payment_callback(provider="sandbox", body=body, headers=headers) == "processed"
    assert payment_callback(provider="sandbox", body=body, headers=headers) == "duplicate"
    late = callback(payment.provider_reference, outcome="failed", event_id="evt_2")
    assert (
        payment_callback(provider="sandbox", body=late, headers={SIGNATURE_HEADER: sign(late)})
        == "ignored"
    )
    world.invoice.refresh_from_db()
    payment.refresh_from_db()
    assert (
        world.invoice.status == Invoice.Status.PAID and payment.status == Payment.Status.SUCCEEDED
    )
    assert GatewayEvent.objects.count() == 2


def test_the_webhook_refuses_bad_or_old_signatures(world: World) -> None:
    start(client_for(world.lr), world.invoice)
    payment = Payment.objects.get()
    body = callback(payment.provider_reference)
    url = reverse("billing:payment-webhook", args=["sandbox"])
    client = Client(enforce_csrf_checks=True)
    cases = {
        "none": {},
        "forged": {"HTTP_X_SANDBOX_SIGNATURE": sign(body + b" ")},
        "old": {"HTTP_X_SANDBOX_SIGNATURE": sign(body, int(time.time()) - 600)},
    }
    for name, headers in cases.items():
        response = client.post(url, body, content_type="application/json", **headers)
        assert response.status_code == 400, name
    assert (
        client.post(
            reverse("billing:payment-webhook", args=["nope"]), body, content_type="application/json"
        ).status_code
        == 404
    )
    world.invoice.refresh_from_db()
    assert world.invoice.status == Invoice.Status.OPEN
    ok = client.post(
        url, body, content_type="application/json", HTTP_X_SANDBOX_SIGNATURE=sign(body)
    )
    assert ok.status_code == 200 and ok.content == b"processed"


@pytest.mark.django_db(transaction=True)
def test_two_successful_attempts_at_once_pay_once_and_refund_the_other() -> None:
    from billing.payments import payment_start
    from tests.conftest import build_world

    world = build_world()
    payments = []
    for _ in range(2):
        payment, _url = payment_start(
            user=world.lr, invoice=world.invoice, idempotency_key=uuid.uuid4().hex, base_url=""
        )
        # Expired, so that a second attempt can start beside it...
        Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now())
        payments.append(payment)
    # ...and both paid in time at the provider.
    Payment.objects.update(expires_at=timezone.now() + timedelta(minutes=30))
    barrier = threading.Barrier(2)

    def deliver(payment: Payment) -> None:
        body = callback(payment.provider_reference)
        barrier.wait()
        try:
            payment_callback(provider="sandbox", body=body, headers={SIGNATURE_HEADER: sign(body)})
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(p,)) for p in payments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(Payment.objects.values_list("status", flat=True))
    assert statuses == [Payment.Status.REFUND_DUE, Payment.Status.SUCCEEDED]
    assert Invoice.objects.get(pk=world.invoice.pk).status == Invoice.Status.PAID
    # The refund is asked of the provider (here by the periodic retry), and confirmed.
    call_command("retry_refunds", stdout=io.StringIO())
    refunded = Payment.objects.get(status=Payment.Status.REFUNDED)
    assert refunded.refund_reference.startswith("sbx_re_") and refunded.refunded_at


def test_users_cannot_pay_and_other_companies_invoices_are_404(world: World) -> None:
    assert start(client_for(world.user), world.invoice).status_code == 403
    assert start(client_for(world.lr), world.outsider_invoice).status_code == 404
    start(client_for(world.outsider_lr), world.outsider_invoice)
    reference = Payment.objects.get().provider_reference
    assert (
        client_for(world.lr).get(reverse("billing:payment-result", args=[reference])).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("card_number", "1234 5678 9012 3456", "non valido"),
        ("expiry", "13/30", "MM/AA"),
        ("expiry", "01/20", "scaduta"),
        ("cvc", "12", "3 o 4 cifre"),
    ],
)
def test_the_card_form_explains_mistakes(
    field: str, value: str, message: str, world: World
) -> None:
    client = client_for(world.lr)
    checkout = start(client, world.invoice)["Location"]
    data = {"card_number": SUCCESS, "expiry": "12/39", "cvc": "123", field: value}
    response = client.post(checkout, data)
    assert response.status_code == 200 and message in response.content.decode()
    assert Payment.objects.get().status == Payment.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_the_same_submission_twice_at_once_is_one_attempt_not_a_refusal() -> None:
    """A double click (or a retry sent while the first request still runs): both requests
    pass the first look-up for the key, then queue on the invoice's lock; the second finds
    the first one's attempt instead of refusing "a payment is already in progress"."""
    from billing.payments import payment_start
    from tests.conftest import build_world

    world = build_world()
    key = uuid.uuid4().hex
    answers = twice_while_locked(
        lambda: payment_start(
            user=world.lr, invoice=world.invoice, idempotency_key=key, base_url=""
        ),
        Invoice.objects.filter(pk=world.invoice.pk),
    )
    assert not [a for a in answers if isinstance(a, Exception)], answers
    assert Payment.objects.count() == 1
    assert len({str(a[1]) for a in answers if isinstance(a, tuple)}) == 1  # the same checkout
