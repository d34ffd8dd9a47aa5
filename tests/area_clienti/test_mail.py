"""E-mails go out after the change commits; a mail server that is down costs the customer
nothing but the e-mail."""

import logging
import smtplib

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse

from accounts.models import Line
from tests.accounts.helpers import signed_in
from tests.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)


class DownMailServer(BaseEmailBackend):
    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_a_mail_server_down_does_not_undo_or_hide_a_saved_change(
    world: World, settings, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = f"{__name__}.DownMailServer"
    with caplog.at_level(logging.ERROR):
        response = signed_in(world.full).post(
            reverse("lines:sim-block", args=[world.user_line.pk]),
            {"reason": "THEFT", "confirmed": "1"},
        )
    assert response.status_code == 302
    world.user_line.refresh_from_db()
    assert world.user_line.state == Line.State.BLOCKED
    assert "SMTPServerDisconnected" in caplog.text
