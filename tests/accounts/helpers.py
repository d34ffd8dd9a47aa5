import time

from django.test import Client

from accounts.access import PASSWORD_CONFIRMED_AT
from accounts.models import User


def signed_in(user: User, *, password_confirmed: bool = True) -> Client:
    """A client signed in as `user`, who has just typed the password (as after login)."""
    client = Client()
    client.force_login(user)
    if password_confirmed:
        session = client.session
        session[PASSWORD_CONFIRMED_AT] = int(time.time())
        session.save()
    return client
