"""Chat with an operator (S1): stored messages, polling with a cursor, an operator console,
and never a message shown outside its conversation."""

from html import unescape

import pytest
from django.urls import reverse

from support.models import Conversation, Message
from support.services import conversation_start
from tests.accounts.helpers import signed_in
from tests.conftest import World

pytestmark = pytest.mark.django_db


def start(client, topic: str = "Roaming", body: str = "La SIM va in Svizzera?"):  # type: ignore[no-untyped-def]
    return client.post(reverse("support:chat-list"), {"topic": topic, "body": body})


def text(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(response.content.decode())


def test_every_profile_can_start_a_chat(world: World) -> None:
    for user in (world.lr, world.full, world.light, world.user):
        response = start(signed_in(user))
        assert response.status_code == 302
    assert Conversation.objects.count() == 4
    assert Message.objects.count() == 4


def test_one_open_chat_at_a_time(world: World) -> None:
    client = signed_in(world.user)
    start(client)
    response = start(client, topic="Altro")
    assert response.status_code == 302
    assert "Hai già una chat aperta" in text(client.get(response["Location"]))
    assert Conversation.objects.count() == 1


def test_messages_without_javascript_and_the_poll_with_a_cursor(world: World) -> None:
    client = signed_in(world.user)
    start(client)
    conversation = Conversation.objects.get()
    url = reverse("support:chat", args=[conversation.pk])
    assert client.post(url, {"body": "Grazie"}).status_code == 302
    page = text(client.get(url))
    assert "La SIM va in Svizzera?" in page and "Grazie" in page
    first = conversation.messages.first()
    assert first is not None
    poll = reverse("support:chat-messages", args=[conversation.pk])
    update = text(client.get(poll, {"dopo": first.pk, "stato": conversation.state}))
    assert "Grazie" in update and "La SIM va in Svizzera?" not in update
    last = conversation.messages.last()
    assert last is not None
    nothing = client.get(poll, {"dopo": last.pk, "stato": conversation.state})
    assert nothing.status_code == 204
    # A changed state is news too, even without messages.
    assert client.get(poll, {"dopo": last.pk, "stato": "ACTIVE"}).status_code == 200


def test_htmx_post_answers_204_and_triggers_the_poller(world: World) -> None:
    client = signed_in(world.user)
    start(client)
    conversation = Conversation.objects.get()
    response = client.post(
        reverse("support:chat", args=[conversation.pk]), {"body": "Ciao"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204 and response["HX-Trigger"] == "chat-sent"
    assert conversation.messages.count() == 2


def test_empty_and_overlong_messages_are_refused(world: World) -> None:
    client = signed_in(world.user)
    start(client)
    conversation = Conversation.objects.get()
    url = reverse("support:chat", args=[conversation.pk])
    assert "obbligatorio" in text(client.post(url, {"body": "   "}))
    assert client.post(url, {"body": "x" * 2001}).status_code == 200
    assert conversation.messages.count() == 1


def test_nobody_else_sees_a_chat_not_even_a_colleague(world: World) -> None:
    conversation = conversation_start(customer=world.user, topic="Privato", body="Segreto")
    for user in (world.lr, world.full, world.outsider_lr):
        client = signed_in(user)
        assert client.get(reverse("support:chat", args=[conversation.pk])).status_code == 404
        poll = reverse("support:chat-messages", args=[conversation.pk])
        assert client.get(poll, {"dopo": 0}).status_code == 404
        assert "Segreto" not in text(client.get(reverse("support:chat-list")))
    assert (
        signed_in(world.outsider_lr)
        .post(reverse("support:chat", args=[conversation.pk]), {"body": "intruso"})
        .status_code
        == 404
    )
    assert conversation.messages.count() == 1


def test_operator_takes_answers_and_closes(world: World) -> None:
    conversation = conversation_start(customer=world.user, topic="Posta", body="Come configuro?")
    operator = signed_in(world.staff)
    console = text(operator.get(reverse("backoffice:chat-list")))
    assert "Posta" in console
    operator.post(reverse("backoffice:chat-take", args=[conversation.pk]))
    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.ACTIVE and conversation.operator == world.staff
    operator.post(reverse("backoffice:chat", args=[conversation.pk]), {"body": "Ecco come fare"})
    reply = conversation.messages.last()
    assert reply is not None and reply.from_operator
    customer = signed_in(world.user)
    assert "Ecco come fare" in text(customer.get(reverse("support:chat", args=[conversation.pk])))
    operator.post(reverse("backoffice:chat-close", args=[conversation.pk]))
    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.CLOSED
    # Closed: read-only for both, and the customer may start a new one.
    page = text(customer.post(reverse("support:chat", args=[conversation.pk]), {"body": "Ancora"}))
    assert "La chat è chiusa" in page
    assert conversation.messages.count() == 2
    assert start(customer).status_code == 302
    assert Conversation.objects.filter(customer=world.user).count() == 2


def test_a_second_operator_cannot_take_a_taken_chat(world: World) -> None:
    from tests.factories import StaffFactory

    conversation = conversation_start(customer=world.user, topic="Posta", body="Aiuto")
    signed_in(world.staff).post(reverse("backoffice:chat-take", args=[conversation.pk]))
    other = signed_in(StaffFactory(username="altro-operatore"))
    other.post(reverse("backoffice:chat", args=[conversation.pk]), {"body": "Eccomi"})
    conversation.refresh_from_db()
    assert conversation.operator == world.staff
    assert conversation.messages.count() == 1


def test_customers_cannot_use_the_console(world: World) -> None:
    conversation = conversation_start(customer=world.user, topic="Posta", body="Aiuto")
    client = signed_in(world.lr)
    assert client.get(reverse("backoffice:chat-list")).status_code == 403
    assert client.post(reverse("backoffice:chat-take", args=[conversation.pk])).status_code == 403
