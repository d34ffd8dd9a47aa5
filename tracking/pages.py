"""The page that opens a tracked request, one shape for every section: the form; a valid
submission opens the request; a refusal is shown on the form; success says the request's
reference and goes where the section follows its requests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.exceptions import ActionRefused
from tracking.models import Request, RequestState


def sent_message_for(tracked: Request, sent_message: str) -> str:
    """What a new request's page says: `sent_message` (with `%(reference)s`), unless the
    request waits for a validatore of the company (tracking.approvals), which every section's
    own message would leave unsaid."""
    if tracked.state == RequestState.AWAITING_APPROVAL:
        sent_message = _(
            "Richiesta %(reference)s salvata e in approvazione: arriverà al servizio clienti "
            "quando sarà approvata in azienda."
        )
    return sent_message % {"reference": tracked.reference}


def request_form_page(
    request: HttpRequest,
    *,
    form: Form,
    send: Callable[[dict[str, Any]], Request],
    sent_message: str,
    sent_url: Callable[[Request], str],
    context: dict[str, Any],
    template: str = "request_form.html",
) -> HttpResponse:
    """On a valid POST, `send(form.cleaned_data)` opens the request: `sent_message` (with
    `%(reference)s`; `sent_message_for` says when it waits for approval instead) and a
    redirect to `sent_url(request)` follow, or the ActionRefused it raises goes on the
    form. Otherwise `template` with `form` and `context`; the default
    template, `request_form.html`, lists the context it takes."""
    if request.method == "POST" and form.is_valid():
        try:
            tracked = send(form.cleaned_data)
        except ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, sent_message_for(tracked, sent_message))
            return redirect(sent_url(tracked))
    return render(request, template, {"form": form, **context})
