"""A mixed load of the demo's people: each signs in once, then browses what their profile
allows, the way people do (lists more than details). Run by `make load` (load/run.py)."""

from __future__ import annotations

import itertools
import random
import re

from locust import HttpUser, between, task

PASSWORD = "Demo-2026!"  # noqa: S105 - the documented demo password
LINK = re.compile(r'href="(/(?:fatture|consumi/sim|linee|tracking)/[\w-]+/)"')

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


class Person(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.username, self.pages, sources = next(_turns)
        self.client.get("/accedi/", name="/accedi/")
        response = self.client.post(
            "/accedi/",
            {
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            },
            name="/accedi/ (POST)",
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"{self.username} could not sign in: {response.status_code}")
        self.details = []
        for source in sources:
            found = LINK.findall(self.client.get(source, name=source).text)
            self.details += found[:1]

    @task(5)
    def open_a_section(self) -> None:
        page = random.choice(self.pages)
        self.client.get(page, name=page)

    @task(2)
    def open_a_detail(self) -> None:
        if self.details:
            detail = random.choice(self.details)
            self.client.get(detail, name=re.sub(r"[\w-]+/$", "<id>/", detail))
