"""A card page left open: the person who started the payment resumes or cancels it; a
colleague sees who started it and until when, and pays once it is cancelled or expired."""

import uuid
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing.gateway import CheckoutCompleted, GatewayUnavailable, SandboxGateway
from billing.models import Invoice, Payment
from tests.conftest import World, client_for


def start(client: Client, invoice: Invoice):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("billing:invoice-pay", args=[invoice.pk]), {"idempotency_key": uuid.uuid4().hex}
    )


def page_of(client: Client, invoice: Invoice) -> str:
    return unescape(
        client.get(reverse("billing:invoice-detail", args=[invoice.pk])).content.decode()
    )


def cancel(client: Client, invoice: Invoice):  # type: ignore[no-untyped-def]
    return client.post(reverse("billing:payment-cancel", args=[invoice.pk]), follow=True)


@pytest.fixture
def expired_at_provider(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    expired: list[str] = []
    monkeypatch.setattr(
        SandboxGateway,
        "expire_checkout",
        lambda self, *, provider_reference: expired.append(provider_reference),
    )
    return expired


def test_the_person_who_started_it_can_resume_it(world: World) -> None:
    client = client_for(world.full)
    checkout = start(client, world.invoice)["Location"]
    page = page_of(client, world.invoice)
    assert "Riprendi il pagamento" in page and f'href="{checkout}"' in page
    assert "Annulla" in page and "Paga online" not in page
    assert "Carte di prova" in client.get(checkout).content.decode()


def test_a_colleague_sees_who_started_it_and_until_when(world: World) -> None:
    start(client_for(world.full), world.invoice)
    payment = Payment.objects.get()
    colleague = client_for(world.lr)
    page = page_of(colleague, world.invoice)
    expires = timezone.localtime(payment.expires_at).strftime("%H:%M")
    assert world.full.get_full_name() in page and expires in page
    assert "Riprendi il pagamento" not in page and "Paga online" not in page
    # A page left open from before: the attempt is refused, saying who and until when.
    refused = start(colleague, world.invoice)
    assert refused["Location"] == reverse("billing:invoice-detail", args=[world.invoice.pk])
    message = page_of(colleague, world.invoice)
    assert f"potrai pagare se viene annullato o dopo la sua scadenza ({expires})" in message
    assert Payment.objects.count() == 1


def test_cancelling_frees_the_invoice_for_a_colleague(
    world: World,
    expired_at_provider: list[str],
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    starter = client_for(world.full)
    checkout = start(starter, world.invoice)["Location"]
    page = unescape(cancel(starter, world.invoice).content.decode())
    assert "Pagamento annullato" in page
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.CANCELLED
    assert expired_at_provider == [payment.provider_reference]  # expired at the provider first
    # The card page no longer takes a card.
    assert starter.get(checkout)["Location"] == payment.return_path
    colleague = client_for(world.lr)
    assert "Paga online" in page_of(colleague, world.invoice)
    second = start(colleague, world.invoice)
    assert second["Location"].startswith("/fatture/pagamenti/sandbox/")
    assert Payment.objects.filter(status=Payment.Status.PENDING).count() == 1


def test_an_expired_checkout_frees_the_invoice(world: World) -> None:
    start(client_for(world.full), world.invoice)
    Payment.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    colleague = client_for(world.lr)
    assert "Paga online" in page_of(colleague, world.invoice)
    assert start(colleague, world.invoice)["Location"].startswith("/fatture/pagamenti/sandbox/")
    assert Payment.objects.count() == 2


def test_only_the_person_who_started_it_can_cancel_it(
    world: World, expired_at_provider: list[str]
) -> None:
    start(client_for(world.full), world.invoice)
    page = unescape(cancel(client_for(world.lr), world.invoice).content.decode())
    assert "Solo chi ha avviato il pagamento può annullarlo" in page
    assert Payment.objects.get().status == Payment.Status.PENDING and not expired_at_provider


def test_a_checkout_already_paid_at_the_provider_is_not_cancelled(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def completed(self, *, provider_reference):  # type: ignore[no-untyped-def]
        raise CheckoutCompleted(provider_reference)

    monkeypatch.setattr(SandboxGateway, "expire_checkout", completed)
    client = client_for(world.full)
    start(client, world.invoice)
    page = unescape(cancel(client, world.invoice).content.decode())
    assert "già completato" in page
    assert Payment.objects.get().status == Payment.Status.PENDING


def test_a_provider_that_does_not_answer_leaves_it_to_cancel_later(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(self, *, provider_reference):  # type: ignore[no-untyped-def]
        raise GatewayUnavailable("timeout")

    monkeypatch.setattr(SandboxGateway, "expire_checkout", down)
    client = client_for(world.full)
    start(client, world.invoice)
    page = unescape(cancel(client, world.invoice).content.decode())
    assert "riprova ad annullare" in page
    assert Payment.objects.get().status == Payment.Status.PENDING


def test_cancel_is_for_payers_of_the_company_only(world: World) -> None:
    start(client_for(world.outsider_lr), world.outsider_invoice)
    assert cancel(client_for(world.lr), world.outsider_invoice).status_code == 404
    assert cancel(client_for(world.user), world.invoice).status_code == 403
    assert (
        client_for(world.full)
        .get(reverse("billing:payment-cancel", args=[world.invoice.pk]))
        .status_code
        == 405
    )
    assert Payment.objects.get().status == Payment.Status.PENDING
