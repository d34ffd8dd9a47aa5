"""Remaining credit (C4), online top-up (C5) and its history (C6): credited exactly once."""

import json
import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Line
from billing.gateway import SIGNATURE_HEADER, sign
from billing.payments import payment_callback
from consumption.models import SimCredit, TopUp
from tests.concurrency import twice_while_locked
from tests.conftest import World, client_for

CARD = {"card_number": "4242424242424242", "expiry": "12/39", "cvc": "123"}


def start(client: Client, line: Line, amount: str = "25", key: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("consumption:top-up", args=[line.pk]),
        {"amount": amount, "idempotency_key": key or uuid.uuid4().hex},
    )


def credit_of(line: Line) -> Decimal:
    credit = SimCredit.objects.filter(line=line).first()
    return credit.balance if credit else Decimal("0")


def test_a_user_tops_up_their_sim_and_gets_a_receipt(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    client = client_for(world.user)
    checkout = start(client, world.user_line)["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        result = client.post(checkout, CARD)
    page = client.get(result["Location"]).content.decode()
    assert "Ricarica effettuata" in page
    assert credit_of(world.user_line) == Decimal("25.00")
    assert TopUp.objects.get().status == TopUp.Status.CREDITED
    assert mail.outbox[0].to == [world.user.email]
    history = client.get(reverse("consumption:top-up-history")).content.decode()
    assert world.user_line.number in history and "Accreditata" in history


def test_a_double_submit_and_a_repeated_callback_credit_once(world: World) -> None:
    client = client_for(world.lr)
    key = uuid.uuid4().hex
    assert (
        start(client, world.lr_line, key=key)["Location"]
        == start(client, world.lr_line, key=key)["Location"]
    )
    top_up = TopUp.objects.get()
    body = json.dumps(
        {"id": "evt_top", "payment": top_up.payment.provider_reference, "outcome": "succeeded"}
    ).encode()
    for _ in range(3):
        payment_callback(provider="sandbox", body=body, headers={SIGNATURE_HEADER: sign(body)})
    late = json.dumps(
        {"id": "evt_late", "payment": top_up.payment.provider_reference, "outcome": "failed"}
    ).encode()
    payment_callback(provider="sandbox", body=late, headers={SIGNATURE_HEADER: sign(late)})
    assert credit_of(world.lr_line) == Decimal("25.00")
    top_up.refresh_from_db()
    assert top_up.status == TopUp.Status.CREDITED


def test_a_refused_card_credits_nothing(world: World) -> None:
    client = client_for(world.lr)
    checkout = start(client, world.lr_line)["Location"]
    result = client.post(checkout, {**CARD, "card_number": "4000000000000002"})
    assert "Ricarica non riuscita" in client.get(result["Location"]).content.decode()
    assert credit_of(world.lr_line) == Decimal("0")
    assert TopUp.objects.get().status == TopUp.Status.FAILED


def test_only_the_fixed_amounts(world: World) -> None:
    response = start(client_for(world.lr), world.lr_line, amount="7")
    assert response.status_code == 200 and not TopUp.objects.exists()


def test_a_blocked_sim_cannot_be_topped_up(world: World) -> None:
    Line.objects.filter(pk=world.lr_line.pk).update(state=Line.State.BLOCKED)
    response = start(client_for(world.lr), world.lr_line)
    assert response.status_code == 200
    assert "La SIM è bloccata" in response.content.decode()
    assert not TopUp.objects.exists()


def test_scope_own_for_users_all_for_admins(world: World) -> None:
    assert start(client_for(world.user), world.lr_line).status_code == 404
    assert start(client_for(world.light), world.delegated_line).status_code == 302
    assert start(client_for(world.full), world.user_line).status_code == 302
    assert start(client_for(world.lr), world.outsider_line).status_code == 404


def test_history_shows_only_the_scope(world: World) -> None:
    start(client_for(world.lr), world.lr_line)
    start(client_for(world.user), world.user_line)
    user_page = client_for(world.user).get(reverse("consumption:top-up-history")).content.decode()
    assert world.user_line.number in user_page and world.lr_line.number not in user_page
    lr_page = client_for(world.lr).get(reverse("consumption:top-up-history")).content.decode()
    assert world.user_line.number in lr_page and world.lr_line.number in lr_page


@pytest.mark.parametrize("who", ["user", "outsider"])
def test_another_persons_receipt_is_404(who: str, world: World) -> None:
    start(client_for(world.lr), world.lr_line)
    reference = TopUp.objects.get().payment.provider_reference
    viewer = world.user if who == "user" else world.outsider_lr
    response = client_for(viewer).get(reverse("consumption:top-up-result", args=[reference]))
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_same_submission_twice_at_once_opens_one_top_up() -> None:
    """A double click (or a retry sent while the first request still runs): both requests
    pass the first look-up for the key before either has written, then queue on the SIM's
    lock; the second must find the first one's attempt, not fail on it."""
    from consumption.top_ups import top_up_start
    from tests.conftest import build_world

    world = build_world()
    key = uuid.uuid4().hex
    answers = twice_while_locked(
        lambda: top_up_start(
            user=world.lr,
            line=world.lr_line,
            amount=Decimal("25"),
            idempotency_key=key,
            base_url="",
        ),
        Line.objects.filter(pk=world.lr_line.pk),
    )
    assert not [a for a in answers if isinstance(a, Exception)], answers
    assert TopUp.objects.count() == 1
    assert len({str(a[1]) for a in answers if isinstance(a, tuple)}) == 1  # the same checkout
