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

from core.exceptions import ActionRefused
from tracking.models import Request


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
    `%(reference)s`) and a redirect to `sent_url(request)` follow, or the ActionRefused it
    raises goes on the form. Otherwise `template` with `form` and `context`; the default
    template, `request_form.html`, lists the context it takes."""
    if request.method == "POST" and form.is_valid():
        try:
            tracked = send(form.cleaned_data)
        except ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, sent_message % {"reference": tracked.reference})
            return redirect(sent_url(tracked))
    return render(request, template, {"form": form, **context})
