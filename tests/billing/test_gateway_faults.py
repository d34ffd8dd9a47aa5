"""The payment gateway times out: nothing is charged or recorded, the invoice stays unpaid,
the customer is told so and can pay again; the same for a top-up."""

import uuid
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from billing.gateway import GatewayUnavailable, SandboxGateway
from billing.models import Invoice, Payment
from consumption.models import TopUp
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway_down(monkeypatch: pytest.MonkeyPatch) -> None:
    def times_out(self, **kwargs):  # type: ignore[no-untyped-def]
        raise TimeoutError("the provider did not answer in 10 s")

    monkeypatch.setattr(SandboxGateway, "start_checkout", times_out)


def pay(client: Client, invoice: Invoice):  # type: ignore[no-untyped-def]
    url = reverse("billing:invoice-pay", args=[invoice.pk])
    return client.post(url, {"idempotency_key": uuid.uuid4().hex}, follow=True)


def test_a_timeout_leaves_the_invoice_unpaid_and_payable(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client()
    sign_in(client, world.full)
    with monkeypatch.context() as patch:
        patch.setattr(
            SandboxGateway,
            "start_checkout",
            lambda self, **kwargs: (_ for _ in ()).throw(GatewayUnavailable("502 from provider")),
        )
        page = unescape(pay(client, world.invoice).content.decode())
    assert "Il servizio di pagamento non risponde" in page
    assert not Payment.objects.exists()
    world.invoice.refresh_from_db()
    assert world.invoice.status == Invoice.Status.OPEN
    # The provider is back: the same invoice is paid normally.
    again = pay(client, world.invoice)
    assert again.redirect_chain[-1][0].startswith("/fatture/pagamenti/sandbox/")
    assert Payment.objects.filter(invoice=world.invoice).count() == 1


def test_a_timeout_on_a_top_up_credits_nothing(world: World, gateway_down: None) -> None:
    client = Client()
    sign_in(client, world.user)
    response = client.post(
        reverse("consumption:top-up", args=[world.user_line.pk]),
        {"amount": "10", "idempotency_key": uuid.uuid4().hex},
    )
    assert "Il servizio di pagamento non risponde" in unescape(response.content.decode())
    assert not TopUp.objects.exists() and not Payment.objects.exists()


def test_stripe_unreachable_is_a_gateway_failure() -> None:
    import stripe

    from billing.gateway import StripeGateway

    gateway = StripeGateway(api_key="sk_test_unreachable", webhook_secret="whsec_test")
    gateway.client = stripe.StripeClient(
        "sk_test_unreachable",
        base_addresses={"api": "http://127.0.0.1:9"},  # nothing listens there
        max_network_retries=0,
    )
    with pytest.raises(GatewayUnavailable):
        gateway.start_checkout(
            amount=Invoice(total=10).total,
            description="Fattura",
            return_url="http://x/__reference__",
            idempotency_key="k",
        )
