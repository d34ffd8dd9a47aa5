"""The Stripe provider behind the same interface, checked with Stripe's own signing."""

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import stripe
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing.gateway import Checkout, CheckoutCompleted, InvalidCallback, StripeGateway
from billing.models import Invoice, Payment
from billing.payments import payment_refund
from tests.conftest import World, client_for

SECRET = "whsec_test_area_clienti"


def event(
    session_id: str,
    kind: str = "checkout.session.completed",
    paid: bool = True,
    *,
    livemode: bool | None = False,
    created: float | None = None,
    amount_total: int | None = None,
    currency: str = "eur",
) -> str:
    """A webhook event as Stripe sends it (test mode unless said otherwise)."""
    session: dict[str, object] = {
        "id": session_id,
        "object": "checkout.session",
        "payment_status": "paid" if paid else "unpaid",
        "currency": currency,
    }
    if amount_total is not None:
        session["amount_total"] = amount_total
    body: dict[str, object] = {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": kind,
        "created": int(time.time() if created is None else created),
        "data": {"object": session},
    }
    if livemode is not None:
        body["livemode"] = livemode
    return json.dumps(body)


def signed(payload: str, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(payload, SECRET, timestamp=timestamp)


def gateway() -> StripeGateway:
    return StripeGateway(api_key="sk_test_dummy", webhook_secret=SECRET)


def test_a_completed_checkout_is_a_success() -> None:
    payload = event("cs_test_1")
    outcome = gateway().parse_callback(
        body=payload.encode(), headers={"Stripe-Signature": signed(payload)}
    )
    assert outcome.succeeded and outcome.provider_reference == "cs_test_1"


def test_an_expired_checkout_is_a_failure() -> None:
    payload = event("cs_test_2", kind="checkout.session.expired", paid=False)
    outcome = gateway().parse_callback(
        body=payload.encode(), headers={"Stripe-Signature": signed(payload)}
    )
    assert not outcome.succeeded and outcome.provider_reference == "cs_test_2"


@pytest.mark.parametrize(
    "header",
    [
        "",
        "t=1,v1=deadbeef",
        "tampered",
    ],
)
def test_bad_signatures_are_refused(header: str) -> None:
    payload = event("cs_test_3")
    with pytest.raises(InvalidCallback):
        gateway().parse_callback(body=payload.encode(), headers={"Stripe-Signature": header})


def test_an_old_signature_is_refused() -> None:
    payload = event("cs_test_4")
    old = signed(payload, timestamp=int(time.time()) - 600)
    with pytest.raises(InvalidCallback):
        gateway().parse_callback(body=payload.encode(), headers={"Stripe-Signature": old})


def test_the_webhook_pays_the_invoice(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_API_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_dummy", SECRET
    Payment.objects.create(
        invoice=world.invoice,
        invoice_revision=world.invoice.revision,
        amount=world.invoice.total,
        provider="stripe",
        provider_reference="cs_test_5",
        idempotency_key=uuid.uuid4().hex,
    )
    payload = event("cs_test_5", amount_total=int(world.invoice.total * 100))
    url = reverse("billing:payment-webhook", args=["stripe"])
    response = Client().post(
        url, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signed(payload)
    )
    assert response.status_code == 200 and response.content == b"processed"
    assert Invoice.objects.get(pk=world.invoice.pk).status == Invoice.Status.PAID
    again = Client().post(
        url, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signed(payload)
    )
    assert again.content == b"duplicate"


def test_stripe_needs_its_keys() -> None:
    with pytest.raises(LookupError):
        StripeGateway(api_key="", webhook_secret="")


# --- Live keys hear live events only (M1) ----------------------------------------------------


@pytest.mark.parametrize(
    ("api_key", "livemode"),
    [
        ("sk_live_x", False),  # a test card's payment, signed with the endpoint's secret
        ("rk_live_x", False),
        ("sk_live_x", None),
        ("sk_test_x", True),
    ],
)
def test_an_event_of_the_other_mode_is_refused(api_key: str, livemode: bool | None) -> None:
    payload = event("cs_test_6", livemode=livemode)
    with pytest.raises(InvalidCallback, match="livemode"):
        StripeGateway(api_key=api_key, webhook_secret=SECRET).parse_callback(
            body=payload.encode(), headers={"Stripe-Signature": signed(payload)}
        )


def test_a_live_key_hears_live_events() -> None:
    payload = event("cs_live_1", livemode=True)
    outcome = StripeGateway(api_key="sk_live_x", webhook_secret=SECRET).parse_callback(
        body=payload.encode(), headers={"Stripe-Signature": signed(payload)}
    )
    assert outcome.succeeded and outcome.provider_reference == "cs_live_1"


@pytest.fixture
def stripe_is_the_gateway(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_API_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_dummy", SECRET


def stripe_payment(world: World, reference: str, **fields: object) -> Payment:
    return Payment.objects.create(
        invoice=world.invoice,
        invoice_revision=world.invoice.revision,
        amount=world.invoice.total,
        description=f"Fattura {world.invoice.number}",
        provider="stripe",
        provider_reference=reference,
        idempotency_key=uuid.uuid4().hex,
        created_by=world.lr,
        **fields,
    )


def deliver(payload: str) -> bytes:
    """Stripe's webhook call, signed with the endpoint's secret."""
    response = Client().post(
        reverse("billing:payment-webhook", args=["stripe"]),
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signed(payload),
    )
    return bytes(response.content)


def test_a_test_card_paid_in_test_mode_does_not_pay_an_invoice_of_a_live_deployment(
    world: World,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_API_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_live_dummy", SECRET
    stripe_payment(world, "cs_test_7")
    assert deliver(event("cs_test_7", livemode=False)) == b"invalid callback"
    assert Payment.objects.get().status == Payment.Status.PENDING
    assert Invoice.objects.get(pk=world.invoice.pk).status == Invoice.Status.OPEN


# --- Stripe vouches for the expiry; cards only (M2) -----------------------------------------


def test_a_card_payment_completed_in_time_counts_though_stripe_stamps_it_after_the_expiry(
    world: World, stripe_is_the_gateway: None
) -> None:
    """Stripe takes no payment on an expired session: one it reports completed was paid in
    time, even if its event is stamped a second after the expiry (or delivered later)."""
    expired = timezone.now() - timedelta(seconds=1)
    stripe_payment(world, "cs_test_8", expires_at=expired)
    payload = event("cs_test_8", created=time.time(), amount_total=int(world.invoice.total * 100))
    assert deliver(payload) == b"processed"
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED
    assert Invoice.objects.get(pk=world.invoice.pk).status == Invoice.Status.PAID


def test_a_delayed_payment_that_succeeds_days_later_is_applied_not_refunded(
    world: World, stripe_is_the_gateway: None
) -> None:
    """A session of before cards-only, paid by SEPA debit: Stripe confirms it days later."""
    stripe_payment(world, "cs_test_9", expires_at=timezone.now() - timedelta(days=3))
    late = event("cs_test_9", kind="checkout.session.async_payment_succeeded")
    assert deliver(late) == b"processed"
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED
    assert Invoice.objects.get(pk=world.invoice.pk).status == Invoice.Status.PAID


# --- What Stripe charged is what was asked (M5) ---------------------------------------------


@pytest.mark.parametrize(
    ("cents", "currency"),
    [(122, "eur"), (None, "usd")],
    ids=["other-amount", "other-currency"],
)
def test_a_charge_of_another_amount_or_currency_is_refunded_not_applied(
    world: World,
    stripe_is_the_gateway: None,
    cents: int | None,
    currency: str,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    stripe_payment(world, "cs_test_10")
    charged = int(world.invoice.total * 100) if cents is None else cents
    with django_capture_on_commit_callbacks(execute=True):  # the e-mail; the refund queued
        answer = deliver(event("cs_test_10", amount_total=charged, currency=currency))
    assert answer == b"processed"
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.REFUND_DUE
    assert payment.failure_reason == "amount_mismatch"
    assert Invoice.objects.get(pk=world.invoice.pk).status == Invoice.Status.OPEN
    [message] = mail.outbox
    assert "non è quello richiesto" in message.body


# --- Against a stand-in for Stripe's API: expiry, cancellation, refunds --------------------


class FakeStripe:
    """Stripe's API as far as Checkout sessions and refunds go, on a local port; records
    every request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, list[str]], dict[str, str]]] = []
        self.session_status = "open"
        self.amount_total = 12200  # cents, what the session charged
        self.refunds: list[dict[str, object]] = []
        self.refund_status = "succeeded"
        # Refund creations Stripe refuses (a card error, say): it keeps that answer for the
        # key it was sent with, for 24 hours.
        self.refuse_refunds = 0
        self.answered: dict[str, tuple[int, dict[str, object]]] = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, method: str) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode()) | parse_qs(url.query)
                fake.requests.append((method, url.path, form, dict(self.headers)))
                key = self.headers.get("Idempotency-Key")
                if method == "POST" and key in fake.answered:
                    status, body = fake.answered[key]  # Stripe's idempotency: the same answer
                else:
                    status, body = fake.route(method, url.path, form)
                    if method == "POST" and key:
                        fake.answered[key] = (status, body)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def session(self, **extra: object) -> dict[str, object]:
        return {
            "id": "cs_test_fake",
            "object": "checkout.session",
            "status": self.session_status,
            "payment_intent": "pi_fake" if self.session_status == "complete" else None,
            "url": "https://checkout.stripe.com/c/pay/cs_test_fake",
            "amount_total": self.amount_total,
            "currency": "eur",
            **extra,
        }

    def route(
        self, method: str, path: str, form: dict[str, list[str]]
    ) -> tuple[int, dict[str, object]]:
        if (method, path) == ("POST", "/v1/checkout/sessions"):
            if "payment_method_types[0]" in form:  # removed in 2026-09-30.endive
                error = {"type": "invalid_request_error", "param": "payment_method_types"}
                return 400, {"error": error | {"message": "Received unknown parameter"}}
            self.amount_total = int(form["line_items[0][price_data][unit_amount]"][0])
            return 200, self.session(expires_at=int(form["expires_at"][0]))
        if (method, path) == ("GET", "/v1/checkout/sessions/cs_test_fake"):
            return 200, self.session()
        if (method, path) == ("POST", "/v1/checkout/sessions/cs_test_fake/expire"):
            self.session_status = "expired"
            return 200, self.session()
        if (method, path) == ("GET", "/v1/refunds"):
            # Newest first, as Stripe lists them.
            listed = list(reversed(self.refunds))
            return 200, {"object": "list", "data": listed, "has_more": False, "url": path}
        if (method, path) == ("POST", "/v1/refunds"):
            if self.refuse_refunds:
                self.refuse_refunds -= 1
                return 402, {"error": {"type": "card_error", "message": "refund refused"}}
            # Without an amount, Stripe refunds the whole charge.
            amount = int(form["amount"][0]) if "amount" in form else self.amount_total
            return 200, self.add_refund(amount, form["payment_intent"][0])
        return 404, {"error": {"type": "invalid_request_error", "message": f"no {path}"}}

    def add_refund(self, amount: int, intent: str = "pi_fake") -> dict[str, object]:
        refund: dict[str, object] = {
            "id": f"re_fake_{len(self.refunds) + 1}",
            "object": "refund",
            "status": self.refund_status,
            "amount": amount,
            "payment_intent": intent,
        }
        self.refunds.append(refund)
        return refund

    def posts(self, path: str) -> list[tuple[dict[str, list[str]], dict[str, str]]]:
        return [
            (form, headers)
            for method, p, form, headers in self.requests
            if (method, p) == ("POST", path)
        ]


@pytest.fixture
def fake_stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    fake = FakeStripe()
    real_client = stripe.StripeClient
    monkeypatch.setattr(
        stripe,
        "StripeClient",
        lambda key, **kwargs: real_client(
            key, **kwargs, base_addresses={"api": fake.url}, max_network_retries=0
        ),
    )
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def start(idempotency_key: str = "k0") -> Checkout:
    return gateway().start_checkout(
        amount=Decimal("12.20"),
        description="Fattura",
        return_url="https://x/__reference__/",
        idempotency_key=idempotency_key,
    )


def test_a_checkout_expires_after_30_minutes_at_stripe(fake_stripe: FakeStripe) -> None:
    checkout = start()
    [(form, _headers)] = fake_stripe.posts("/v1/checkout/sessions")
    asked = int(form["expires_at"][0]) - time.time()
    assert 30 * 60 < asked <= 32 * 60 + 5  # a margin for Stripe's clock, to the minute
    assert checkout.expires_at.timestamp() == int(form["expires_at"][0])  # Stripe's answer
    assert form["line_items[0][price_data][unit_amount]"] == ["1220"]


def test_a_checkout_takes_cards_only(fake_stripe: FakeStripe) -> None:
    """A delayed method (SEPA debit) would settle days after the checkout expired (M2)."""
    start()
    [(form, _headers)] = fake_stripe.posts("/v1/checkout/sessions")
    assert form["allowed_payment_method_types[0]"] == ["card"]
    assert "allowed_payment_method_types[1]" not in form


def test_a_checkout_is_opened_with_the_attempts_idempotency_key(fake_stripe: FakeStripe) -> None:
    """A retry whose first answer was lost gets the session already opened (M5)."""
    first, again = start("pay-key-1"), start("pay-key-1")
    [(form, headers), (form_again, headers_again)] = fake_stripe.posts("/v1/checkout/sessions")
    assert headers["Idempotency-Key"] == f"checkout-pay-key-1-{form['expires_at'][0]}"
    # Stripe answers a key sent again only if every parameter is the same: within the
    # minute the key names, the expiry asked for is too (across it, the key differs).
    if headers_again["Idempotency-Key"] == headers["Idempotency-Key"]:
        assert form_again == form and again == first


def test_a_refund_goes_through_the_refund_api_on_the_payment_intent_once(
    fake_stripe: FakeStripe,
) -> None:
    fake_stripe.session_status = "complete"
    refund = gateway().refund(
        provider_reference="cs_test_fake", amount=Decimal("122.00"), idempotency_key="refund-k1"
    )
    assert refund.confirmed and refund.reference == "re_fake_1"
    [(form, headers)] = fake_stripe.posts("/v1/refunds")
    assert form["payment_intent"] == ["pi_fake"] and headers["Idempotency-Key"] == "refund-k1"
    assert form["amount"] == ["12200"]
    # Asked again (its answer lost, a retry, with the next attempt's key): the refund made
    # is reported, not made twice.
    again = gateway().refund(
        provider_reference="cs_test_fake", amount=Decimal("122.00"), idempotency_key="refund-k2"
    )
    assert again.reference == "re_fake_1" and len(fake_stripe.posts("/v1/refunds")) == 1


def test_a_pending_stripe_refund_is_not_yet_confirmed(fake_stripe: FakeStripe) -> None:
    fake_stripe.session_status, fake_stripe.refund_status = "complete", "pending"
    refund = gateway().refund(
        provider_reference="cs_test_fake", amount=Decimal("1.00"), idempotency_key="refund-k2"
    )
    assert not refund.confirmed


# --- Refunds: the whole charge, once, asked again after a refusal (M4) ---------------------


def test_a_partial_refund_made_in_the_dashboard_is_completed_not_taken_for_the_refund(
    fake_stripe: FakeStripe,
) -> None:
    fake_stripe.session_status = "complete"
    fake_stripe.add_refund(2000)  # 20 € of the 122 € given back from Stripe's dashboard
    refund = gateway().refund(
        provider_reference="cs_test_fake", amount=Decimal("122.00"), idempotency_key="refund-k3"
    )
    [(form, _headers)] = fake_stripe.posts("/v1/refunds")
    assert form["amount"] == ["10200"]  # the rest, explicitly
    assert refund.confirmed and refund.reference == "re_fake_2"
    assert sum(int(str(r["amount"])) for r in fake_stripe.refunds) == 12200


def test_a_refund_is_confirmed_only_when_every_part_of_it_is(fake_stripe: FakeStripe) -> None:
    fake_stripe.session_status, fake_stripe.refund_status = "complete", "pending"
    fake_stripe.add_refund(2000)
    fake_stripe.refund_status = "succeeded"
    refund = gateway().refund(
        provider_reference="cs_test_fake", amount=Decimal("122.00"), idempotency_key="refund-k4"
    )
    assert not refund.confirmed and len(fake_stripe.refunds) == 2


def test_a_refund_stripe_refused_is_asked_again_with_a_new_key(
    world: World,
    fake_stripe: FakeStripe,
    stripe_is_the_gateway: None,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    """Stripe keeps a key's answer for 24 hours: asked again with the same key, a refused
    refund would be refused again until then, whatever changed meanwhile."""
    fake_stripe.session_status = "complete"
    fake_stripe.amount_total = int(world.invoice.total * 100)
    fake_stripe.refuse_refunds = 1
    payment = stripe_payment(
        world, "cs_test_fake", status=Payment.Status.REFUND_DUE, failure_reason="already_paid"
    )
    with django_capture_on_commit_callbacks(execute=True):
        payment_refund(payment_id=payment.pk)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUND_DUE and "refund refused" in payment.refund_error
    with django_capture_on_commit_callbacks(execute=True):
        payment_refund(payment_id=payment.pk)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED and payment.refund_reference == "re_fake_1"
    keys = [headers["Idempotency-Key"] for _form, headers in fake_stripe.posts("/v1/refunds")]
    assert keys == [f"refund-{payment.idempotency_key}-1", f"refund-{payment.idempotency_key}-2"]
    assert [r["amount"] for r in fake_stripe.refunds] == [fake_stripe.amount_total]  # once


def test_cancelling_expires_the_stripe_session_unless_it_was_paid(fake_stripe: FakeStripe) -> None:
    gateway().expire_checkout(provider_reference="cs_test_fake")
    assert len(fake_stripe.posts("/v1/checkout/sessions/cs_test_fake/expire")) == 1
    fake_stripe.session_status = "complete"
    with pytest.raises(CheckoutCompleted):
        gateway().expire_checkout(provider_reference="cs_test_fake")


def test_a_refund_due_on_stripe_is_refunded_and_the_customer_told(
    world: World,
    fake_stripe: FakeStripe,
    settings,  # type: ignore[no-untyped-def]
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    settings.STRIPE_API_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_dummy", SECRET
    fake_stripe.session_status = "complete"
    fake_stripe.amount_total = int(world.invoice.total * 100)
    payment = Payment.objects.create(
        invoice=world.invoice,
        invoice_revision=world.invoice.revision,
        amount=world.invoice.total,
        description=f"Fattura {world.invoice.number}",
        provider="stripe",
        provider_reference="cs_test_fake",
        idempotency_key=uuid.uuid4().hex,
        status=Payment.Status.REFUND_DUE,
        failure_reason="already_paid",
        created_by=world.lr,
    )
    with django_capture_on_commit_callbacks(execute=True):
        payment_refund(payment_id=payment.pk)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED and payment.refund_reference == "re_fake_1"
    [(_form, headers)] = fake_stripe.posts("/v1/refunds")
    assert headers["Idempotency-Key"] == f"refund-{payment.idempotency_key}-1"
    [message] = mail.outbox
    assert message.to == [world.lr.email] and "re_fake_1" in message.body


def test_paying_an_invoice_opens_the_session_with_the_attempts_key(
    world: World,
    fake_stripe: FakeStripe,
    stripe_is_the_gateway: None,
) -> None:
    key = uuid.uuid4().hex
    response = client_for(world.lr).post(
        reverse("billing:invoice-pay", args=[world.invoice.pk]), {"idempotency_key": key}
    )
    assert response["Location"] == "https://checkout.stripe.com/c/pay/cs_test_fake"
    [(_form, headers)] = fake_stripe.posts("/v1/checkout/sessions")
    assert headers["Idempotency-Key"].startswith(f"checkout-{key}-")
    assert Payment.objects.get().idempotency_key == key
