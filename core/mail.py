from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string


def templated_email(
    template: str, context: dict[str, Any], to: Sequence[str]
) -> EmailMultiAlternatives:
    """The message of `<template>_subject.txt`, `_body.txt` and `_body.html`, to send."""
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}_body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
    )
    message.attach_alternative(render_to_string(f"{template}_body.html", context), "text/html")
    return message


def send_templated_email(template: str, context: dict[str, Any], to: Sequence[str]) -> None:
    """Send the templated e-mail once the current transaction commits, so a rolled-back
    change never announces itself."""
    message = templated_email(template, context, to)
    # robust: a mail server that is down is logged, never turned into an error page for
    # a change that is already saved.
    transaction.on_commit(message.send, robust=True)
