"""Signing in step by step, for the tests of the second factor."""

import time

from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.access import PASSWORD_CONFIRMED_AT
from accounts.models import User
from tests.conftest import PASSWORD


def password_step(user: User) -> Client:
    """A browser that has given `user`'s password on the sign-in page, and nothing else."""
    client = Client()
    response = client.post("/accedi/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def recently_confirmed(client: Client) -> Client:
    """`client` has typed the password again just now (sensitive changes ask for it)."""
    session = client.session
    session[PASSWORD_CONFIRMED_AT] = int(time.time())
    session.save()
    return client


def with_app(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="App", confirmed=True)
