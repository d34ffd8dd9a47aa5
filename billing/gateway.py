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
import math
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
    # True: the provider vouches the customer paid before the checkout expired (it takes
    # no payment on an expired one), however late its event is stamped or delivered.
    # False: the event's time is compared with the checkout's expiry.
    paid_in_time: bool = False
    # What the provider says it charged (None: it does not say), compared at settlement
    # with what was asked.
    amount: Decimal | None = None
    currency: str = ""


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

    def start_checkout(
        self, *, amount: Decimal, description: str, return_url: str, idempotency_key: str
    ) -> Checkout:
        """Open a hosted checkout (in euro); the customer is sent to `redirect_url`. The
        provider may answer the same key again with the checkout it opened for it."""
        ...

    def parse_callback(self, *, body: bytes, headers: Mapping[str, str]) -> Outcome:
        """Verify and read a callback; raises InvalidCallback."""
        ...

    def expire_checkout(self, *, provider_reference: str) -> None:
        """Stop the checkout taking payment; raises CheckoutCompleted if it already did,
        GatewayUnavailable if the provider cannot tell."""
        ...

    def refund(self, *, provider_reference: str, amount: Decimal, idempotency_key: str) -> Refund:
        """Give back whatever of a checkout's payment has not been given back yet (`amount`
        when the provider does not say what it charged). Asked again, it refunds nothing
        twice and reports the refund made; `idempotency_key` is one attempt's, so an attempt
        the provider refused can be made again. Raises GatewayUnavailable."""
        ...


# Every checkout is in euro; settling compares what a provider says it charged with it.
CURRENCY = "eur"

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

    def start_checkout(
        self, *, amount: Decimal, description: str, return_url: str, idempotency_key: str
    ) -> Checkout:
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


# Stripe's live-mode keys (secret, restricted); test-mode keys start with sk_test_/rk_test_
# and take Stripe's test cards, so they are no real provider.
STRIPE_LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_")


def stripe_key_is_live(api_key: str) -> bool:
    return api_key.startswith(STRIPE_LIVE_KEY_PREFIXES)


def _cents(amount: Decimal) -> int:
    return int((Decimal(amount) * 100).to_integral_value())


def _field(obj: object, name: str) -> object:
    """A StripeObject's field, None when absent (it has no .get())."""
    try:
        return obj[name]  # type: ignore[index]
    except (KeyError, TypeError):
        return None


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
        # A test-mode key hears only test events and a live key only live ones: an event of
        # the other mode (a test card's payment) never settles anything here.
        self.livemode = stripe_key_is_live(api_key)

    def start_checkout(
        self, *, amount: Decimal, description: str, return_url: str, idempotency_key: str
    ) -> Checkout:
        try:
            return self._start_checkout(amount, description, return_url, idempotency_key)
        except stripe.StripeError as error:
            raise GatewayUnavailable(str(error)) from error

    def _start_checkout(
        self, amount: Decimal, description: str, return_url: str, idempotency_key: str
    ) -> Checkout:
        # Stripe answers a key sent again only if every parameter is the same, so the
        # expiry is rounded up to the minute and the minute is part of the key: a retry
        # within it (the first answer lost) gets the session already opened, a later one a
        # new session (nobody saw the first one's page: it expires unpaid).
        expires_at = (
            math.ceil(
                (time.time() + CHECKOUT_LIFETIME.total_seconds() + self.EXPIRY_MARGIN_SECONDS) / 60
            )
            * 60
        )
        session = self.client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                # Cards only: a delayed method (SEPA debit...) settles days after the
                # checkout, long after the invoice may have been paid or changed. (The API
                # version this library speaks, 2026-09-30.endive on, has no
                # `payment_method_types` here: it answers 400.)
                "allowed_payment_method_types": ["card"],
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": CURRENCY,
                            "unit_amount": _cents(amount),
                            "product_data": {"name": description},
                        },
                    }
                ],
                # Stripe puts the session id where the return URL has its placeholder.
                "success_url": return_url.replace(REFERENCE_PLACEHOLDER, "{CHECKOUT_SESSION_ID}"),
                "cancel_url": return_url.replace(REFERENCE_PLACEHOLDER, "{CHECKOUT_SESSION_ID}"),
                "expires_at": expires_at,
            },
            options={"idempotency_key": f"checkout-{idempotency_key}-{expires_at}"},
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
        """Through the Refund API on the session's payment intent, for what the session
        charged less what its refunds (this app's, or made in Stripe's dashboard) already
        give back: never refunded twice, never partly. Confirmed once every refund has."""
        try:
            session = self.client.v1.checkout.sessions.retrieve(provider_reference)
            intent = session.payment_intent
            if not intent:
                raise GatewayUnavailable(f"no payment on checkout {provider_reference}")
            intent_id = intent if isinstance(intent, str) else intent.id
            charged = _field(session, "amount_total")
            to_give_back = charged if isinstance(charged, int) else _cents(amount)
            listed = self.client.v1.refunds.list(params={"payment_intent": intent_id, "limit": 100})
            refunds = [
                r for r in listed.auto_paging_iter() if r.status not in {"failed", "canceled"}
            ]
            rest = to_give_back - sum(int(r.amount) for r in refunds)
            if rest > 0:
                made = self.client.v1.refunds.create(
                    params={"payment_intent": intent_id, "amount": rest},
                    options={"idempotency_key": idempotency_key},
                )
                refunds.insert(0, made)
        except stripe.StripeError as error:
            raise GatewayUnavailable(str(error)) from error
        if not refunds:
            raise GatewayUnavailable(f"nothing charged on checkout {provider_reference}")
        # The newest first (Stripe's order): the one this attempt made, if any.
        return Refund(
            reference=refunds[0].id, confirmed=all(r.status == "succeeded" for r in refunds)
        )

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
        livemode = _field(event, "livemode")
        if livemode is not self.livemode:
            mode = "live" if self.livemode else "test"
            raise InvalidCallback(f"livemode {livemode!r} in an event for a {mode}-mode key")
        session = event["data"]["object"]
        created = _field(event, "created")
        occurred_at = datetime.fromtimestamp(created, UTC) if isinstance(created, int) else None
        if event["type"] in self.SUCCEEDED and session["payment_status"] == "paid":
            total = _field(session, "amount_total")  # in cents
            return Outcome(
                event_id=event["id"],
                provider_reference=session["id"],
                succeeded=True,
                occurred_at=occurred_at,
                # Stripe takes no payment on an expired session: a completed one was paid
                # in time, even when its event is stamped after the expiry, or its payment
                # (a delayed method of an older session) succeeds days later.
                paid_in_time=True,
                amount=Decimal(total) / 100 if isinstance(total, int) else None,
                currency=str(_field(session, "currency") or ""),
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
