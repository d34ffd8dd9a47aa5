"""The chat page both sides share: the customer's and the operator's views differ only in
who they are and where they live."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.access import user_of
from core.exceptions import ActionRefused
from support import selectors, services
from support.forms import MessageForm
from support.models import Conversation


def _cursor(request: HttpRequest) -> int:
    try:
        return max(0, int(request.GET.get("dopo", "0")))
    except ValueError:
        return 0


def chat_page(
    request: HttpRequest, conversation: Conversation, *, url_name: str, template: str
) -> HttpResponseBase:
    """GET: the conversation; POST: a new message (htmx or a plain form, the same way)."""
    form = MessageForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.message_post(
                    conversation=conversation,
                    author=user_of(request),
                    body=form.cleaned_data["body"],
                )
            except ActionRefused as refusal:
                messages.error(request, str(refusal))
            else:
                if request.htmx:  # type: ignore[attr-defined]
                    # The poller fetches the new message at once; the form clears itself.
                    return HttpResponse(status=204, headers={"HX-Trigger": "chat-sent"})
                return redirect(url_name, pk=conversation.pk)
        if request.htmx:  # type: ignore[attr-defined]
            return HttpResponse(status=204)
    history = selectors.messages_after(conversation=conversation, after=0)
    context = {
        "conversation": conversation,
        "history": history,
        "cursor": history[-1].pk if history else 0,
        "poll_url": reverse(f"{url_name}-messages", args=[conversation.pk]),
        "form": form,
    }
    return render(request, template, context)


def chat_messages(
    request: HttpRequest, conversation: Conversation, *, url_name: str
) -> HttpResponse:
    """The messages after the cursor (`?dopo=<id>`), for the page's poller; 204 if none and
    nothing changed."""
    cursor = _cursor(request)
    new = selectors.messages_after(conversation=conversation, after=cursor)
    state = request.GET.get("stato", "")
    if not new and state == conversation.state:
        return HttpResponse(status=204)
    context = {
        "conversation": conversation,
        "new_messages": new,
        "cursor": new[-1].pk if new else cursor,
        "poll_url": reverse(f"{url_name}-messages", args=[conversation.pk]),
    }
    return render(request, "support/partials/chat_update.html", context)
