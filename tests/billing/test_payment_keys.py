"""An idempotency key belongs to one purpose and one object: reused for anything else it
is refused with a clear message, and never answers with the other attempt."""

import uuid
from html import unescape

from django.test import Client
from django.urls import reverse

from billing.models import Payment
from consumption.models import TopUp
from tests.conftest import World, client_for
from tests.factories import InvoiceFactory

REUSED = "Questa richiesta di pagamento è già stata usata per un'altra operazione"


def pay_invoice(client: Client, pk: int, key: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("billing:invoice-pay", args=[pk]), {"idempotency_key": key})


def top_up(client: Client, pk: int, key: str):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("consumption:top-up", args=[pk]), {"amount": "10", "idempotency_key": key}
    )


def test_an_invoice_payments_key_cannot_start_a_top_up(world: World) -> None:
    client = client_for(world.lr)
    key = uuid.uuid4().hex
    paying = pay_invoice(client, world.invoice.pk, key)
    invoice_payment = Payment.objects.get()
    response = top_up(client, world.lr_line.pk, key)
    # Refused on the form, not sent to the invoice's checkout.
    assert response.status_code == 200 and response.get("Location") is None
    assert REUSED in unescape(response.content.decode())
    assert not TopUp.objects.exists()
    assert list(Payment.objects.all()) == [invoice_payment]
    # The invoice's own attempt is untouched and still found by its key.
    assert pay_invoice(client, world.invoice.pk, key)["Location"] == paying["Location"]


def test_a_top_ups_key_cannot_pay_an_invoice(world: World) -> None:
    client = client_for(world.lr)
    key = uuid.uuid4().hex
    topping = top_up(client, world.lr_line.pk, key)
    response = pay_invoice(client, world.invoice.pk, key)
    detail = reverse("billing:invoice-detail", args=[world.invoice.pk])
    assert response["Location"] == detail
    assert REUSED in unescape(client.get(detail).content.decode())
    assert Payment.objects.get().purpose == Payment.Purpose.TOP_UP
    assert TopUp.objects.get().line == world.lr_line
    assert top_up(client, world.lr_line.pk, key)["Location"] == topping["Location"]


def test_a_key_is_for_one_object_of_a_purpose(world: World) -> None:
    client = client_for(world.lr)
    key = uuid.uuid4().hex
    top_up(client, world.lr_line.pk, key)
    response = top_up(client, world.full_line.pk, key)
    assert REUSED in unescape(response.content.decode())
    assert TopUp.objects.get().line == world.lr_line
    second = InvoiceFactory(company=world.company, contract=world.mobile)
    pay_invoice(client, world.invoice.pk, "k" * 32)
    refused = pay_invoice(client, second.pk, "k" * 32)
    assert refused["Location"] == reverse("billing:invoice-detail", args=[second.pk])
    assert Payment.objects.filter(invoice=second).count() == 0
