"""The payment-gateway interface, and the sandbox gateway used by default.

A gateway opens a hosted checkout for a payment (payable until it expires), later tells the
outcome through a signed callback, expires a checkout on request and refunds a payment.
The sandbox plays the payment provider inside this app: its hosted page takes test cards
and sends the callback, signed like a real provider's, to the same handler a real
provider's webhook reaches. It is for the demo and the tests only: production refuses to
start with it (billing/checks.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Protocol

import stripe
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from billing.models import CHECKOUT_LIFETIME


class InvalidCallback(Exception):
    """A callback whose signature, age or content cannot be trusted."""


@dataclass(frozen=True)
class Checkout:
    provider_reference: str
    redirect_url: str
    # When the provider stops taking payment on it.
    expires_at: datetime


@dataclass(frozen=True)
class Outcome:
    event_id: str
    provider_reference: str
    succeeded: bool
    failure_reason: str = ""
    # When the provider says it happened (its event's time), not when the callback arrived.
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class Refund:
    reference: str
    # The provider says the money went back; False: accepted, still pending at its end.
    confirmed: bool


class GatewayUnavailable(Exception):
    """The provider did not answer in time, or answered with an error of its own."""


class CheckoutCompleted(Exception):
    """The checkout cannot be expired: the customer has already paid on it."""


class PaymentGateway(Protocol):
    name: str

    def start_checkout(self, *, amount: Decimal, description: str, return_url: str) -> Checkout:
        """Open a hosted checkout; the customer is sent to `redirect_url`."""
        ...

    def parse_callback(self, *, body: bytes, headers: Mapping[str, str]) -> Outcome:
        """Verify and read a callback; raises InvalidCallback."""
        ...

    def expire_checkout(self, *, provider_reference: str) -> None:
        """Stop the checkout taking payment; raises CheckoutCompleted if it already did,
        GatewayUnavailable if the provider cannot tell."""
        ...

    def refund(self, *, provider_reference: str, amount: Decimal, idempotency_key: str) -> Refund:
        """Give back the whole payment of a checkout. Idempotent: asked again (by the same
        key) it reports the refund already made. Raises GatewayUnavailable."""
        ...


# Where a provider puts its own reference in the return URL it sends the customer back to.
REFERENCE_PLACEHOLDER = "__reference__"
SIGNATURE_HEADER = "X-Sandbox-Signature"
TOLERANCE_SECONDS = 5 * 60


def sandbox_secret() -> bytes:
    configured = getattr(settings, "SANDBOX_GATEWAY_SECRET", "")
    if configured:
        return configured.encode()
    # Derived, so a fresh demo needs no configuration and the secret is not SECRET_KEY.
    return hmac.new(settings.SECRET_KEY.encode(), b"sandbox-gateway", hashlib.sha256).digest()


def sign(body: bytes, timestamp: int | None = None) -> str:
    """The sandbox's signature header: HMAC-SHA256 over "<timestamp>.<raw body>"."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    payload = f"{timestamp}.".encode() + body
    digest = hmac.new(sandbox_secret(), payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class SandboxGateway:
    name = "sandbox"

    def start_checkout(self, *, amount: Decimal, description: str, return_url: str) -> Checkout:
        reference = "sbx_" + secrets.token_urlsafe(18)
        return Checkout(
            provider_reference=reference,
            redirect_url=reverse("billing:sandbox-checkout", args=[reference]),
            expires_at=timezone.now() + CHECKOUT_LIFETIME,
        )

    def expire_checkout(self, *, provider_reference: str) -> None:
        # The sandbox's page reads the attempt itself and takes no card for one that is no
        # longer pending or has expired: nothing to tell it.
        return None

    def refund(self, *, provider_reference: str, amount: Decimal, idempotency_key: str) -> Refund:
        # Deterministic, like a provider's idempotent refund: the same payment always has
        # the same refund, however many times it is asked for.
        digest = hmac.new(sandbox_secret(), provider_reference.encode(), hashlib.sha256)
        return Refund(reference="sbx_re_" + digest.hexdigest()[:24], confirmed=True)

    def parse_callback(self, *, body: bytes, headers: Mapping[str, str]) -> Outcome:
        header = headers.get(SIGNATURE_HEADER, "")
        try:
            parts = dict(part.split("=", 1) for part in header.split(","))
            timestamp = int(parts["t"])
            received = parts["v1"]
        except (KeyError, ValueError) as exc:
            raise InvalidCallback("missing or malformed signature") from exc
        if abs(time.time() - timestamp) > TOLERANCE_SECONDS:
            raise InvalidCallback("signature too old or from the future")
        expected = sign(body, timestamp).split("v1=", 1)[1]
        if not hmac.compare_digest(expected, received):
            raise InvalidCallback("bad signature")
        try:
            event = json.loads(body)
            created = event.get("created")
            return Outcome(
                event_id=str(event["id"]),
                provider_reference=str(event["payment"]),
                succeeded=event["outcome"] == "succeeded",
                failure_reason=str(event.get("reason", "")),
                occurred_at=None if created is None else datetime.fromtimestamp(int(created), UTC),
            )
        except (ValueError, KeyError, TypeError, OverflowError, OSError) as exc:
            raise InvalidCallback("malformed event") from exc


# Test cards of the sandbox, as a provider's documentation lists them.
TEST_CARDS = {
    "4242424242424242": None,
    "4000000000000002": "card_declined",
    "4000000000009995": "insufficient_funds",
}


def sandbox_event(*, provider_reference: str, card_number: str | None) -> bytes:
    """The callback the sandbox sends after the customer submits a card (None: the
    checkout expired before they did, like a provider's "expired" event)."""
    failure = "expired" if card_number is None else TEST_CARDS.get(card_number, "card_declined")
    event = {
        "id": "evt_" + secrets.token_urlsafe(12),
        "payment": provider_reference,
        "outcome": "failed" if failure else "succeeded",
        "reason": failure or "",
        "created": int(time.time()),
    }
    return json.dumps(event, separators=(",", ":")).encode()


class StripeGateway:
    """Stripe Checkout: a hosted page, and webhooks signed with the endpoint's secret."""

    name = "stripe"
    SUCCEEDED = frozenset(
        {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
    )
    FAILED = frozenset({"checkout.session.async_payment_failed", "checkout.session.expired"})

    # Stripe takes an expiry from 30 minutes after the session's creation by its own clock:
    # ask for a little more than our lifetime, and keep the expiry Stripe answers.
    EXPIRY_MARGIN_SECONDS = 60

    def __init__(self, *, api_key: str, webhook_secret: str) -> None:
        if not api_key or not webhook_secret:
            raise LookupError("STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET must be set")
        # A customer waits on this call: give up after 10 s rather than Stripe's 80.
        self.client = stripe.StripeClient(
            api_key, http_client=stripe.new_default_http_client(timeout=10)
        )
        self.webhook_secret = webhook_secret

    def start_checkout(self, *, amount: Decimal, description: str, return_url: str) -> Checkout:
        try:
            return self._start_checkout(amount, description, return_url)
        except stripe.StripeError as error:
            raise GatewayUnavailable(str(error)) from error

    def _start_checkout(self, amount: Decimal, description: str, return_url: str) -> Checkout:
        session = self.client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "eur",
                            "unit_amount": int(amount * 100),
                            "product_data": {"name": description},
                        },
                    }
                ],
                # Stripe puts the session id where the return URL has its placeholder.
                "success_url": return_url.replace(REFERENCE_PLACEHOLDER, "{CHECKOUT_SESSION_ID}"),
                "cancel_url": return_url.replace(REFERENCE_PLACEHOLDER, "{CHECKOUT_SESSION_ID}"),
                "expires_at": int(time.time() + CHECKOUT_LIFETIME.total_seconds())
                + self.EXPIRY_MARGIN_SECONDS,
            }
        )
        return Checkout(
            provider_reference=session.id,
            redirect_url=str(session.url),
            expires_at=datetime.fromtimestamp(session.expires_at, UTC),
        )

    def expire_checkout(self, *, provider_reference: str) -> None:
        try:
            session = self.client.v1.checkout.sessions.retrieve(provider_reference)
            if session.status == "complete":
                raise CheckoutCompleted(provider_reference)
            if session.status == "open":
                self.client.v1.checkout.sessions.expire(provider_reference)
        except stripe.StripeError as error:
            # Also a session completed between the two calls: asked again, it says so.
            raise GatewayUnavailable(str(error)) from error

    def refund(self, *, provider_reference: str, amount: Decimal, idempotency_key: str) -> Refund:
        """Through the Refund API on the session's payment intent. A refund already made
        for it (asked before, its answer lost) is reported, never made twice."""
        try:
            session = self.client.v1.checkout.sessions.retrieve(provider_reference)
            intent = session.payment_intent
            if not intent:
                raise GatewayUnavailable(f"no payment on checkout {provider_reference}")
            intent_id = intent if isinstance(intent, str) else intent.id
            earlier = self.client.v1.refunds.list(params={"payment_intent": intent_id, "limit": 10})
            made = [r for r in earlier.data if r.status not in {"failed", "canceled"}]
            refund = (
                made[0]
                if made
                else self.client.v1.refunds.create(
                    params={"payment_intent": intent_id},
                    options={"idempotency_key": idempotency_key},
                )
            )
        except stripe.StripeError as error:
            raise GatewayUnavailable(str(error)) from error
        return Refund(reference=refund.id, confirmed=refund.status == "succeeded")

    def parse_callback(self, *, body: bytes, headers: Mapping[str, str]) -> Outcome:
        try:
            event = stripe.Webhook.construct_event(
                body,
                headers.get("Stripe-Signature"),
                self.webhook_secret,
                tolerance=TOLERANCE_SECONDS,
            )
        except (ValueError, stripe.SignatureVerificationError) as exc:
            raise InvalidCallback(str(exc)) from exc
        session = event["data"]["object"]
        created = getattr(event, "created", None)  # a StripeObject has no .get()
        occurred_at = None if created is None else datetime.fromtimestamp(int(created), UTC)
        if event["type"] in self.SUCCEEDED and session["payment_status"] == "paid":
            return Outcome(
                event_id=event["id"],
                provider_reference=session["id"],
                succeeded=True,
                occurred_at=occurred_at,
            )
        if event["type"] in self.FAILED:
            expired = event["type"] == "checkout.session.expired"
            return Outcome(
                event_id=event["id"],
                provider_reference=session["id"],
                succeeded=False,
                failure_reason="expired" if expired else "card_declined",
                occurred_at=occurred_at,
            )
        # Not about a payment's outcome (or not yet paid): recorded, changes nothing.
        return Outcome(event_id=event["id"], provider_reference="", succeeded=False)


# Providers that take real money: one of them must be configured in production.
REAL_GATEWAYS = ("stripe",)


def get_gateway(name: str | None = None) -> PaymentGateway:
    """The configured gateway, or the one named (a payment's own, to refund it)."""
    name = name or settings.PAYMENT_GATEWAY
    if name == "sandbox":
        return SandboxGateway()
    if name == "stripe":
        return StripeGateway(
            api_key=settings.STRIPE_API_KEY, webhook_secret=settings.STRIPE_WEBHOOK_SECRET
        )
    raise LookupError(f"Unknown payment gateway {name!r}")


def callback_gateway(provider: str) -> PaymentGateway:
    """The gateway whose callbacks are taken: the configured one only, so the sandbox's
    (signed with a secret derived from SECRET_KEY) is never heard where a real provider
    is configured. LookupError for any other."""
    if provider != settings.PAYMENT_GATEWAY:
        raise LookupError(f"Payment gateway {provider!r} is not the configured one")
    return get_gateway(provider)
