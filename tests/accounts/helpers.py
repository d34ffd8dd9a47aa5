import time

from django.test import Client

from accounts.access import PASSWORD_CONFIRMED_AT
from accounts.models import User
from accounts.roles import REFERENTE_PROFILES
from accounts.selectors import referente_line_ids
from tests.conftest import sign_in


def signed_in(user: User, *, password_confirmed: bool = True) -> Client:
    """A client signed in as `user`, who has just typed the password (as after login)."""
    client = Client()
    sign_in(client, user)
    if password_confirmed:
        session = client.session
        session[PASSWORD_CONFIRMED_AT] = int(time.time())
        session.save()
    return client


def employee_form(person: User, **changes: object) -> dict[str, object]:
    """What the LR's page of `person` posts when saved as shown, with `changes` on top."""
    lines = sorted(person.assigned_lines.values_list("pk", flat=True))
    data: dict[str, object] = {
        "profile": person.profile,
        "seen_profile": person.profile,
        "lines": lines,
        "seen_lines": ",".join(map(str, lines)),
    }
    if person.profile in REFERENTE_PROFILES:
        referente = sorted(referente_line_ids(user=person))
        data["referente_lines"] = referente
        data["seen_referente_lines"] = ",".join(map(str, referente))
    return {**data, **changes}
