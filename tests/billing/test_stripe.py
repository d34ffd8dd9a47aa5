"""The Stripe provider behind the same interface, checked with Stripe's own signing."""

import json
import threading
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import stripe
from django.core import mail
from django.test import Client
from django.urls import reverse

from billing.gateway import CheckoutCompleted, InvalidCallback, StripeGateway
from billing.models import Invoice, Payment
from billing.payments import payment_refund
from tests.conftest import World

SECRET = "whsec_test_area_clienti"


def event(session_id: str, kind: str = "checkout.session.completed", paid: bool = True) -> str:
    return json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex}",
            "object": "event",
            "type": kind,
            "data": {
                "object": {
                    "id": session_id,
                    "object": "checkout.session",
                    "payment_status": "paid" if paid else "unpaid",
                }
            },
        }
    )


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
    payload = event("cs_test_5")
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


# --- Against a stand-in for Stripe's API: expiry, cancellation, refunds --------------------


class FakeStripe:
    """Stripe's API as far as Checkout sessions and refunds go, on a local port; records
    every request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, list[str]], dict[str, str]]] = []
        self.session_status = "open"
        self.refunds: list[dict[str, object]] = []
        self.refund_status = "succeeded"
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, method: str) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode()) | parse_qs(url.query)
                fake.requests.append((method, url.path, form, dict(self.headers)))
                body = fake.route(method, url.path, form)
                payload = json.dumps(body).encode()
                self.send_response(200)
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
            **extra,
        }

    def route(self, method: str, path: str, form: dict[str, list[str]]) -> dict[str, object]:
        if (method, path) == ("POST", "/v1/checkout/sessions"):
            return self.session(expires_at=int(form["expires_at"][0]))
        if (method, path) == ("GET", "/v1/checkout/sessions/cs_test_fake"):
            return self.session()
        if (method, path) == ("POST", "/v1/checkout/sessions/cs_test_fake/expire"):
            self.session_status = "expired"
            return self.session()
        if (method, path) == ("GET", "/v1/refunds"):
            return {"object": "list", "data": self.refunds, "has_more": False, "url": path}
        if (method, path) == ("POST", "/v1/refunds"):
            refund = {
                "id": f"re_fake_{len(self.refunds) + 1}",
                "object": "refund",
                "status": self.refund_status,
                "payment_intent": form["payment_intent"][0],
            }
            self.refunds.append(refund)
            return refund
        return {"error": {"message": f"no route {method} {path}"}}

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


def test_a_checkout_expires_after_30_minutes_at_stripe(fake_stripe: FakeStripe) -> None:
    checkout = gateway().start_checkout(
        amount=Decimal("12.20"), description="Fattura", return_url="https://x/__reference__/"
    )
    [(form, _headers)] = fake_stripe.posts("/v1/checkout/sessions")
    asked = int(form["expires_at"][0]) - time.time()
    assert 30 * 60 < asked <= 31 * 60 + 5
    assert checkout.expires_at.timestamp() == int(form["expires_at"][0])  # Stripe's answer
    assert form["line_items[0][price_data][unit_amount]"] == ["1220"]


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
    # Asked again (its answer lost, a retry): the refund made is reported, not made twice.
    again = gateway().refund(
        provider_reference="cs_test_fake", amount=Decimal("122.00"), idempotency_key="refund-k1"
    )
    assert again.reference == "re_fake_1" and len(fake_stripe.posts("/v1/refunds")) == 1


def test_a_pending_stripe_refund_is_not_yet_confirmed(fake_stripe: FakeStripe) -> None:
    fake_stripe.session_status, fake_stripe.refund_status = "complete", "pending"
    refund = gateway().refund(
        provider_reference="cs_test_fake", amount=Decimal("1.00"), idempotency_key="refund-k2"
    )
    assert not refund.confirmed


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
    assert headers["Idempotency-Key"] == f"refund-{payment.idempotency_key}"
    [message] = mail.outbox
    assert message.to == [world.lr.email] and "re_fake_1" in message.body
