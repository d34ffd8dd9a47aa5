"""A mixed load of the demo's people: each signs in once, then browses what their profile
allows, the way people do (lists more than details). Run by `make load` (load/run.py,
`Person` only) and by `make load-outage` (`Person` and `Customer`, who also pays, tops up
and writes to the experts).

For the outage scenario two files, named by the environment, record what happened:
LOAD_REQUEST_LOG every request (when it started and ended, its status, whether a 503 was
the friendly page), LOAD_LEDGER every action a person was told succeeded, with its
reference, for load/run.py to compare with the database."""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from http.client import RemoteDisconnected
from types import TracebackType
from typing import Any

from locust import HttpUser, between, events, task
from requests import Response
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import ProtocolError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

PASSWORD = "Demo-2026!"  # noqa: S105 - the documented demo password
LINK = re.compile(r'href="(/(?:fatture|consumi/sim|linee|tracking)/[\w-]+/)"')
# A request that takes longer than this is given up on, and counts as an error: gunicorn's
# own worker timeout (gunicorn.conf.py).
REQUEST_TIMEOUT = 30.0
FRIENDLY_503 = "Servizio momentaneamente non disponibile"
# A person whose submission meets "come back later" sends the same form again (the same
# idempotency key) every few seconds, for up to a minute, as the 503 page invites them to.
RETRY_EVERY = 2.0
PERSEVERANCE = 60.0

# (username, pages to browse, pages whose first detail link to follow)
PEOPLE = [
    ("legale", ["/", "/fatture/", "/consumi/", "/consumi/tutte-le-sim/", "/linee/",
                "/offerte/", "/tracking/", "/profilo/", "/profilo/dipendenti/"],
     ["/fatture/", "/linee/", "/tracking/"]),
    ("full", ["/", "/fatture/", "/consumi/tutte-le-sim/", "/linee/", "/tracking/",
              "/assistenza/"], ["/fatture/", "/consumi/"]),
    ("light", ["/", "/fatture/", "/consumi/", "/linee/", "/offerte/", "/assistenza/"],
     ["/consumi/", "/linee/"]),
    ("utente", ["/", "/consumi/", "/profilo/", "/assistenza/", "/assistenza/richieste/"],
     ["/consumi/"]),
    ("bianchi", ["/", "/fatture/", "/consumi/", "/linee/", "/tracking/"], ["/fatture/"]),
]  # fmt: skip
_turns = itertools.cycle(PEOPLE)


class ResendOnClosedConnection(Retry):
    """What browsers do (RFC 9112, 9.3.1): a GET sent on a kept-alive connection that the
    server was closing at that moment (gunicorn closes idle ones after 5 s, and the two
    can cross) goes once more on a new connection. Nothing else is sent again here: a
    timeout, a refused connection or a reset POST stay errors (people who act resend their
    forms themselves, with the same key)."""

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> ResendOnClosedConnection:
        closed = isinstance(error, ProtocolError) and isinstance(
            error.args[-1], ConnectionResetError | RemoteDisconnected | BrokenPipeError
        )
        if not closed or not self._is_method_retryable(method or ""):
            Retry(False).increment(method, url, response, error, _pool, _stacktrace)  # raises
        _log(name=f"{method} {url}", resent_on_new_connection=True)
        return super().increment(method, url, response, error, _pool, _stacktrace)


class Person(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        adapter = self.client.get_adapter("http://")
        assert isinstance(adapter, HTTPAdapter)
        adapter.max_retries = ResendOnClosedConnection(
            total=1, connect=0, read=1, redirect=0, status=0, other=0,
            # A 503 with Retry-After is an answer, for the person (and the figures) to see.
            respect_retry_after_header=False,
        )  # fmt: skip
        self.username, self.pages, sources = next(_turns)
        deadline = time.monotonic() + PERSEVERANCE
        while True:  # a sign-in page that says "come back later" is tried again
            response = self.client.get("/accedi/", name="/accedi/", timeout=REQUEST_TIMEOUT)
            if not _come_back_later(response):
                response = self.client.post(
                    "/accedi/",
                    {
                        "username": self.username,
                        "password": PASSWORD,
                        "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
                    },
                    name="/accedi/ (POST)",
                    allow_redirects=False,
                    timeout=REQUEST_TIMEOUT,
                )
            if not _come_back_later(response) or time.monotonic() + RETRY_EVERY > deadline:
                break
            time.sleep(RETRY_EVERY)
        if response.status_code != 302:
            raise RuntimeError(f"{self.username} could not sign in: {response.status_code}")
        self.details = []
        for source in sources:
            page = self.client.get(source, name=source, timeout=REQUEST_TIMEOUT)
            self.details += LINK.findall(page.text)[:1]

    @task(5)
    def open_a_section(self) -> None:
        page = random.choice(self.pages)
        self.client.get(page, name=page, timeout=REQUEST_TIMEOUT)

    @task(2)
    def open_a_detail(self) -> None:
        if self.details:
            detail = random.choice(self.details)
            name = re.sub(r"[\w-]+/$", "<id>/", detail)
            self.client.get(detail, name=name, timeout=REQUEST_TIMEOUT)


# --- People who act: the outage scenario ------------------------------------------------

# What each demo person may do (accounts/roles.py): pay invoices (B3), top up SIMs (C5),
# write to the experts (S3).
ACTIONS = {
    "legale": ("pay", "top_up", "ask"),
    "full": ("pay", "top_up"),
    "light": ("pay", "top_up"),
    "utente": ("top_up",),
    "bianchi": ("pay", "top_up", "ask"),
}
KEY = re.compile(r'name="idempotency_key" value="([0-9a-f]{32})"')
INVOICE = re.compile(r'href="/fatture/(\d+)/"')
SIM = re.compile(r'href="/consumi/sim/(\d+)/"')
CHECKOUT = re.compile(r"^/fatture/pagamenti/sandbox/([\w-]+)/$")
SENT = re.compile(r"^/assistenza/richieste/(\w+)/$")
# The sandbox's card that succeeds, as a person types it.
TEST_CARD = {"card_number": "4242 4242 4242 4242", "expiry": "12/35", "cvc": "123"}
TOP_UP_AMOUNTS = (5, 10, 15, 25, 50, 100)


class Customer(Person):
    """Browses like a Person and, now and then, does one of the things their profile
    allows, through the same pages and forms as a browser; what the app confirmed goes to
    the ledger."""

    @task(4)
    def act(self) -> None:
        self.resent = 0  # how many times this action's requests were sent again
        action = random.choice(ACTIONS[self.username])
        {"pay": self.pay_an_invoice, "top_up": self.top_up_a_sim, "ask": self.ask_experts}[action]()

    def pay_an_invoice(self) -> None:
        listing = self.client.get(
            "/fatture/?status=OPEN", name="/fatture/?status=OPEN", timeout=REQUEST_TIMEOUT
        )
        invoices = INVOICE.findall(listing.text) if listing.status_code == 200 else []
        if not invoices:
            return
        pk = random.choice(invoices)
        page = self.client.get(f"/fatture/{pk}/", name="/fatture/<id>/", timeout=REQUEST_TIMEOUT)
        key = KEY.search(page.text) if page.status_code == 200 else None
        if key is None:
            return  # paid meanwhile, or the page did not come: nothing was submitted
        self._think()
        deadline = time.monotonic() + PERSEVERANCE
        started = self._submit(
            f"/fatture/{pk}/paga/", {"idempotency_key": key[1]}, "/fatture/<id>/paga/", deadline
        )
        if started is None:
            return self._unconfirmed("payment", key[1])
        checkout = CHECKOUT.match(started.headers.get("Location", ""))
        if checkout is None:
            return  # refused (someone else is paying it): the invoice page says why
        result = self._pay_at_checkout(checkout[1], deadline)
        if result is None:
            return self._unconfirmed("payment", key[1])
        if "Pagamento riuscito" in result.text:
            self._confirmed("payment", key[1], checkout[1], invoice=int(pk))

    def top_up_a_sim(self) -> None:
        listing = self.client.get("/consumi/", name="/consumi/", timeout=REQUEST_TIMEOUT)
        sims = SIM.findall(listing.text) if listing.status_code == 200 else []
        if not sims:
            return
        pk = random.choice(sims)
        form = self.client.get(
            f"/consumi/sim/{pk}/ricarica/", name="/consumi/sim/<id>/ricarica/",
            timeout=REQUEST_TIMEOUT,
        )  # fmt: skip
        key = KEY.search(form.text) if form.status_code == 200 else None
        if key is None:
            return
        amount = random.choice(TOP_UP_AMOUNTS)
        self._think()
        deadline = time.monotonic() + PERSEVERANCE
        started = self._submit(
            f"/consumi/sim/{pk}/ricarica/",
            {"amount": str(amount), "idempotency_key": key[1]},
            "/consumi/sim/<id>/ricarica/ (POST)",
            deadline,
        )
        if started is None:
            return self._unconfirmed("top_up", key[1])
        checkout = CHECKOUT.match(started.headers.get("Location", ""))
        if checkout is None:
            return  # refused (a SIM that is not active): the form says why
        result = self._pay_at_checkout(checkout[1], deadline)
        if result is None:
            return self._unconfirmed("top_up", key[1])
        if "Ricarica effettuata" in result.text:
            self._confirmed("top_up", key[1], checkout[1], amount=amount, sim=int(pk))

    def ask_experts(self) -> None:
        form = self.client.get(
            "/assistenza/esperti/", name="/assistenza/esperti/", timeout=REQUEST_TIMEOUT
        )
        key = KEY.search(form.text) if form.status_code == 200 else None
        if key is None:
            return
        self._think()
        deadline = time.monotonic() + PERSEVERANCE
        sent = self._submit(
            "/assistenza/esperti/",
            {
                "topic": random.choice(["CONNECTIVITY", "MOBILE", "CLOUD", "SECURITY"]),
                "message": "Ci servirebbe un consiglio sulla rete dell'ufficio.",
                "idempotency_key": key[1],
            },
            "/assistenza/esperti/ (POST)",
            deadline,
        )
        reference = SENT.match(sent.headers.get("Location", "")) if sent is not None else None
        if reference is None:
            return self._unconfirmed("request", key[1])
        # The confirmation ("Richiesta … inviata") is on the page the form leads to.
        shown = self._get(
            f"/assistenza/richieste/{reference[1]}/", "/assistenza/richieste/<ref>/", deadline
        )
        if shown is None:
            return self._unconfirmed("request", key[1])
        self._confirmed("request", key[1], reference[1])

    def _pay_at_checkout(self, reference: str, deadline: float) -> Response | None:
        """The sandbox provider's card page, then the section's result page."""
        self._think()  # typing the card
        paid = self._submit(
            f"/fatture/pagamenti/sandbox/{reference}/",
            TEST_CARD,
            "/fatture/pagamenti/sandbox/<ref>/ (POST)",
            deadline,
        )
        if paid is None or paid.status_code != 302:
            return None
        result_path = paid.headers["Location"]
        return self._get(result_path, re.sub(r"[\w-]+/$", "<ref>/", result_path), deadline)

    def _think(self) -> None:
        """A person reads the page and fills in the form before sending it."""
        time.sleep(random.uniform(1, 3))

    def _submit(
        self, path: str, data: dict[str, str], name: str, deadline: float
    ) -> Response | None:
        """POST a form until the app answers (anything but "come back later"); None if it
        never did before the deadline."""
        while True:
            response = self.client.post(
                path,
                {**data, "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")},
                name=name,
                allow_redirects=False,
                timeout=REQUEST_TIMEOUT,
            )
            if not _come_back_later(response):
                return response
            if time.monotonic() + RETRY_EVERY > deadline:
                return None
            self.resent += 1
            time.sleep(RETRY_EVERY)

    def _get(self, path: str, name: str, deadline: float) -> Response | None:
        while True:
            response = self.client.get(path, name=name, timeout=REQUEST_TIMEOUT)
            if response.status_code == 200:
                return response
            if not _come_back_later(response) or time.monotonic() + RETRY_EVERY > deadline:
                return None
            self.resent += 1
            time.sleep(RETRY_EVERY)

    def _confirmed(self, action: str, key: str, reference: str, **about: Any) -> None:
        _record(action=action, key=key, reference=reference, retries=self.resent, **about)

    def _unconfirmed(self, action: str, key: str) -> None:
        _record(action=action, key=key, reference=None, retries=self.resent)


def _come_back_later(response: Response) -> bool:
    """The app is away (503) or the connection failed (locust's status 0)."""
    return response.status_code in (0, 502, 503, 504)


def _record(**entry: Any) -> None:
    ledger = os.environ.get("LOAD_LEDGER")
    if ledger:
        with open(ledger, "a") as out:
            out.write(json.dumps({"t": time.time(), **entry}) + "\n")


def _log_request(
    request_type: str,
    name: str,
    response_time: float,
    response: Response | None = None,
    exception: BaseException | None = None,
    start_time: float | None = None,
    **_kwargs: Any,
) -> None:
    if start_time is None or not os.environ.get("LOAD_REQUEST_LOG"):
        return
    status = response.status_code if response is not None else 0
    entry = {
        "start": start_time,
        "end": start_time + response_time / 1000,
        "name": f"{request_type} {name}",
        "status": status,
        "friendly": status == 503
        and response is not None
        and FRIENDLY_503 in response.text
        and bool(response.headers.get("Retry-After")),
        "error": repr(exception) if exception and status == 0 else "",
    }
    _log(**entry)


def _log(**entry: Any) -> None:
    log = os.environ.get("LOAD_REQUEST_LOG")
    if log:
        with open(log, "a") as out:
            out.write(json.dumps(entry) + "\n")


events.request.add_listener(_log_request)  # type: ignore[no-untyped-call]  # locust is untyped here
