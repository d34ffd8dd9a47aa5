"""Only the configured gateway is heard: another provider's webhook, and the sandbox's card
page where the sandbox is not the gateway, answer 404 (production: tests/area_clienti/
test_deploy.py)."""

import json
import uuid

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from billing.checks import check_payment_gateway
from billing.gateway import sign
from billing.models import Invoice, Payment
from tests.conftest import World


@pytest.fixture
def stripe_configured(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_API_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_dummy", "whsec_test"


def sandbox_payment(world: World) -> Payment:
    return Payment.objects.create(
        invoice=world.invoice,
        invoice_revision=world.invoice.revision,
        amount=world.invoice.total,
        provider="sandbox",
        provider_reference=f"sbx_{uuid.uuid4().hex}",
        idempotency_key=uuid.uuid4().hex,
    )


def test_the_sandbox_webhook_is_not_there_when_a_real_provider_is_configured(
    world: World, stripe_configured: None
) -> None:
    payment = sandbox_payment(world)
    body = json.dumps(
        {"id": "evt_1", "payment": payment.provider_reference, "outcome": "succeeded"}
    )
    response = Client().post(
        reverse("billing:payment-webhook", args=["sandbox"]),
        body,
        content_type="application/json",
        HTTP_X_SANDBOX_SIGNATURE=sign(body.encode()),  # a perfectly signed sandbox event
    )
    assert response.status_code == 404
    assert Payment.objects.get().status == Payment.Status.PENDING
    assert Invoice.objects.get(pk=world.invoice.pk).status == Invoice.Status.OPEN


def test_the_sandbox_card_page_is_not_there_when_a_real_provider_is_configured(
    world: World, stripe_configured: None
) -> None:
    payment = sandbox_payment(world)
    url = reverse("billing:sandbox-checkout", args=[payment.provider_reference])
    card = {"card_number": "4242424242424242", "expiry": "12/39", "cvc": "123"}
    assert Client().get(url).status_code == 404
    assert Client().post(url, card).status_code == 404
    assert Payment.objects.get().status == Payment.Status.PENDING


def test_a_provider_that_is_not_configured_has_no_webhook(world: World) -> None:
    """The sandbox configured (tests, demo): Stripe's webhook is not there either."""
    response = Client().post(
        reverse("billing:payment-webhook", args=["stripe"]), "{}", content_type="application/json"
    )
    assert response.status_code == 404


def test_the_deploy_check_reports_the_sandbox_and_passes_a_real_provider(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PAYMENT_GATEWAY = "sandbox"
    [error] = check_payment_gateway()
    assert error.id == "billing.E001" and "sandbox" in error.msg
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_API_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    [error] = check_payment_gateway()
    assert error.id == "billing.E001" and "STRIPE_API_KEY" in error.msg
    settings.STRIPE_API_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_live_x", "whsec_x"
    assert check_payment_gateway() == []


def test_where_a_real_provider_is_required_the_sandbox_stops_the_start(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PAYMENT_GATEWAY_REQUIRED = True
    settings.PAYMENT_GATEWAY = "sandbox"
    with pytest.raises(ImproperlyConfigured, match="PAYMENT_GATEWAY"):
        apps.get_app_config("billing").ready()


@pytest.mark.parametrize("api_key", ["sk_test_123", "rk_test_123", "pk_live_123"])
def test_a_stripe_key_that_is_not_live_is_no_real_provider(settings, api_key: str) -> None:  # type: ignore[no-untyped-def]
    """Stripe's test mode takes its test cards (4242...): with its keys, production would
    mark real invoices paid for fake payments (M1)."""
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_API_KEY, settings.STRIPE_WEBHOOK_SECRET = api_key, "whsec_x"
    [error] = check_payment_gateway()
    assert error.id == "billing.E001" and "live-mode" in error.msg
    settings.PAYMENT_GATEWAY_REQUIRED = True
    with pytest.raises(ImproperlyConfigured, match="STRIPE_API_KEY is not a live-mode key"):
        apps.get_app_config("billing").ready()
    settings.STRIPE_API_KEY = "rk_live_123"  # a restricted live key will do
    apps.get_app_config("billing").ready()
    assert check_payment_gateway() == []
