"""The Stripe provider behind the same interface, checked with Stripe's own signing."""

import json
import time
import uuid

import pytest
import stripe
from django.test import Client
from django.urls import reverse

from billing.gateway import InvalidCallback, StripeGateway
from billing.models import Invoice, Payment
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
    settings.STRIPE_API_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_dummy", SECRET
    Payment.objects.create(
        invoice=world.invoice,
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
