"""A past chat and one waiting for an operator, for the demo."""

from __future__ import annotations

from accounts.models import User
from support.models import Conversation
from support.services import conversation_close, conversation_start, message_post


def seed_chats(customer: User, operator: User) -> None:
    if Conversation.objects.filter(customer=customer).exists():
        return
    past = conversation_start(
        customer=customer, topic="Roaming in Svizzera", body="La SIM funziona in Svizzera?"
    )
    message_post(
        conversation=past,
        author=operator,
        body=(
            "Sì. La Svizzera però non è nell'Unione Europea: senza l'opzione Roaming Europa "
            "Plus il traffico lì si paga a consumo e lo trova nei Consumi della SIM."
        ),
    )
    conversation_close(conversation=past)
    conversation_start(
        customer=customer,
        topic="Configurare la posta aziendale",
        body="Buongiorno, come configuro la posta aziendale sul nuovo smartphone?",
    )
