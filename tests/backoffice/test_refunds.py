"""Back office: the refunds the provider has not confirmed yet, for operators to watch."""

import uuid
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing.models import Payment
from tests.conftest import World, client_for


def payment(world: World, status: str, reference: str, **fields: object) -> Payment:
    return Payment.objects.create(
        invoice=world.invoice,
        invoice_revision=world.invoice.revision,
        amount=world.invoice.total,
        description=f"Fattura {world.invoice.number}",
        provider="sandbox",
        provider_reference=reference,
        idempotency_key=uuid.uuid4().hex,
        status=status,
        created_by=world.lr,
        completed_at=timezone.now(),
        **fields,
    )


def test_staff_see_the_refunds_still_due_with_their_last_error(
    world: World, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    payment(
        world,
        Payment.Status.REFUND_DUE,
        "sbx_due",
        failure_reason="already_paid",
        refund_attempts=3,
        refund_error="503 from the provider",
        refund_tried_at=timezone.now(),
    )
    payment(world, Payment.Status.REFUNDED, "sbx_done", refund_reference="sbx_re_x")
    client = client_for(world.staff)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("backoffice:refunds"))
    page = unescape(response.content.decode())
    assert response.status_code == 200
    assert "sbx_due" in page and world.company.name in page and "122,00" in page
    assert "503 from the provider" in page and "already_paid" in page
    assert "sbx_done" not in page  # confirmed: nothing left to do


def test_the_back_office_links_to_it(world: World) -> None:
    page = client_for(world.staff).get(reverse("backoffice:index")).content.decode()
    assert reverse("backoffice:refunds") in page


def test_an_empty_list_says_so(world: World) -> None:
    page = unescape(client_for(world.staff).get(reverse("backoffice:refunds")).content.decode())
    assert "Nessun rimborso in attesa" in page


@pytest.mark.parametrize("who", ["lr", "full"])
def test_customers_cannot_see_it(who: str, world: World) -> None:
    assert client_for(getattr(world, who)).get(reverse("backoffice:refunds")).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(world: World) -> None:
    response = Client().get(reverse("backoffice:refunds"))
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login")
    )
