from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from accounts.models import User
from support.models import Attachment, Conversation, Message


def conversations_of(*, customer: User) -> QuerySet[Conversation]:
    return Conversation.objects.filter(customer=customer).order_by("-created_at", "-id")


def conversation_get_for_customer(*, customer: User, pk: int) -> Conversation:
    """A chat is its customer's alone: anyone else's, colleagues' included, answers 404."""
    return get_object_or_404(Conversation, pk=pk, customer=customer, company_id=customer.company_id)


def conversations_for_operators(*, operator: User) -> QuerySet[Conversation]:
    """Open chats: the operator's own first, then those waiting, oldest first."""
    mine = Case(
        When(operator=operator, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        Conversation.objects.exclude(state=Conversation.State.CLOSED)
        .select_related("company", "customer", "operator")
        .order_by(mine, "created_at", "id")
    )


def messages_after(*, conversation: Conversation, after: int) -> list[Message]:
    return list(conversation.messages.filter(id__gt=after).select_related("author").order_by("id"))


def attachment_get(*, pk: int, requests: QuerySet) -> Attachment:  # type: ignore[type-arg]
    """An attachment of one of `requests` (those the asker may follow); 404 otherwise."""
    return get_object_or_404(Attachment.objects.filter(request__in=requests), pk=pk)


def open_conversation_of(*, customer: User) -> Conversation | None:
    """The customer's chat still open, if any (one at a time per person)."""
    return conversations_of(customer=customer).exclude(state=Conversation.State.CLOSED).first()
