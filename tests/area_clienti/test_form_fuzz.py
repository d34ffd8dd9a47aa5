"""Every form of the customer area, fuzzed: long, empty, unicode and malformed values in
every field never give a server error.

The forms are found, not listed: every URL of the resolver that the LR (or, for personal
pages, the USER) can open is read, and each POST form on it is filled by hypothesis."""

from __future__ import annotations

import time
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.access import PASSWORD_CONFIRMED_AT
from tests.authz.test_url_sweep import PERSONAL_SAMPLES, ROUTES, SAMPLE_KWARGS
from tests.conftest import World, sign_in

# Pages that are not forms of the customer area (the API, providers' and e-mails' links).
SKIP_PREFIXES = ("api:", "billing:payment-webhook", "billing:sandbox-checkout", "backoffice:")


class PostForms(HTMLParser):
    """The field names of each <form method="post"> of a page, and where it posts."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, set[str]]] = []
        self._current: set[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and (values.get("method") or "").lower() == "post":
            self._current = set()
            self.forms.append((values.get("action") or "", self._current))
        elif tag in {"input", "select", "textarea"} and self._current is not None:
            name = values.get("name")
            if name and name != "csrfmiddlewaretoken" and values.get("type") != "file":
                self._current.add(name)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    sign_in(client, user)
    session = client.session
    session[PASSWORD_CONFIRMED_AT] = int(time.time()) + 3600
    session.save()
    return client


NAMES = [r.name for r in ROUTES if not r.name.startswith(SKIP_PREFIXES)]
NASTY = st.one_of(
    st.just(""),
    st.text(max_size=40),
    st.text(min_size=300, max_size=5000),
    st.sampled_from(["0", "-1", "99999999999999999999", "1e309", "NaN", "2026-02-31",
                     "31/12/2026", "<script>alert(1)</script>", "' OR 1=1 --", "\x00",
                     "👩‍💻🇮🇹", "a" * 255, " ", "+39 333 123 4567", "IT60X0542811101000000123456"]),
)  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_form_answers_with_a_server_error(name: str, world: World, data: st.DataObject) -> None:
    route = next(r for r in ROUTES if r.name == name)
    # Drawn up front, always the same number: what the page offers changes as data is
    # written (a pending request hides its form), and hypothesis needs a steady draw.
    pool = data.draw(st.lists(NASTY, min_size=32, max_size=32), label="values")
    for user in (world.lr, world.user):
        if route.name in PERSONAL_SAMPLES:
            kwargs = PERSONAL_SAMPLES[route.name](world, user)
        else:
            kwargs = SAMPLE_KWARGS[route.name](world) if route.params else {}
        url = reverse(route.name, kwargs=kwargs)
        client = _client(user)
        page = client.get(url)
        if page.status_code != 200 or "text/html" not in page.get("Content-Type", ""):
            continue
        parser = PostForms()
        parser.feed(page.content.decode())
        for action, fields in parser.forms:
            if action == reverse("accounts:logout"):
                continue  # the header's sign-out: it would end the session mid-test
            values = {field: pool[i % len(pool)] for i, field in enumerate(sorted(fields))}
            response = client.post(action or url, values)
            assert response.status_code < 500, (url, action, values)
