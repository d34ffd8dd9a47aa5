"""The demo as a new user runs it (`make run`): SQLite, the task worker beside the web
server, e-mails on the console. People write at the same moment (an invited employee
setting a password, the Verdi LR registering, two colleagues paying) and nobody gets a
500 «database is locked».

The server, the worker and the database are real: `manage.py migrate`, `seed_demo`,
`db_worker` and `runserver` run as subprocesses on a fresh SQLite file, and the people
are HTTP clients with their own cookies that read their links from the console output,
as a demo user does."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.conf import settings
from stdnum.it import codicefiscale

DEMO_PASSWORD = "Demo-2026!"
NEW_PASSWORD = "Nuova-Chiave-2026"
TEST_CARD = "4242 4242 4242 4242"
# Settings the test run may carry (PostgreSQL, Redis, a test key…) that the demo has not.
NOT_IN_THE_DEMO = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "TASKS_BACKEND",
    "EMAIL_BACKEND",
    "PAYMENT_GATEWAY",
    "CONN_MAX_AGE",
)
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# The console backend separates e-mails with a line of dashes.
MAIL_SEPARATOR = "-" * 79


@dataclass
class Demo:
    url: str
    logs: list[Path]
    worker: subprocess.Popen[bytes]

    def console(self) -> str:
        return "\n".join(log.read_text(errors="replace") for log in self.logs)

    def link_mailed_to(self, email: str, pattern: str, wait: float = 15) -> str:
        """The link of `pattern` in the e-mail to `email` printed on the console."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            for mail in self.console().split(MAIL_SEPARATOR):
                if f"To: {email}" in mail and (found := re.search(pattern, mail)):
                    return found.group(0)
            time.sleep(0.2)
        raise AssertionError(f"no e-mail to {email} with {pattern} on the console")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the process and its children (the worker runs under Django's autoreloader in
    DEBUG, a second process): each was started in a process group of its own."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_for(ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{process.args} did not start:\n{log.read_text()}")
        time.sleep(0.2)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    env = {k: v for k, v in os.environ.items() if k not in NOT_IN_THE_DEMO}
    env |= {
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_SETTINGS_MODULE": "area_clienti.settings",
        "PYTHONUNBUFFERED": "1",  # the console e-mails reach the log as they are sent
    }

    def manage(*args: str, log: Path, **extra: str) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            return subprocess.Popen(  # noqa: S603 - our own manage.py
                [sys.executable, "manage.py", *args],
                cwd=settings.BASE_DIR,
                env=env | extra,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group to stop as a whole
            )

    for command in ("migrate", "seed_demo"):
        log = tmp_path / f"{command}.log"
        process = manage(command, log=log)
        try:
            if process.wait(timeout=120) != 0:
                pytest.fail(f"manage.py {command} failed:\n{log.read_text()}")
        finally:
            _stop(process)
    port = _free_port()
    logs = [tmp_path / "worker.log", tmp_path / "runserver.log"]
    processes = []
    try:
        processes.append(worker := manage("db_worker", log=logs[0]))
        # As `make run` starts it: DEBUG off, so the product's own error pages show.
        runserver = ("runserver", "--noreload", f"127.0.0.1:{port}")
        processes.append(server := manage(*runserver, log=logs[1], DEBUG="false", DEMO="true"))
        url = f"http://127.0.0.1:{port}"
        _wait_for(lambda: _answers(url + "/healthz"), server, logs[1])
        # The worker polls the database (a write transaction each second) from now on.
        _wait_for(lambda: "Starting worker" in logs[0].read_text(), worker, logs[0])
        yield Demo(url=url, logs=logs, worker=worker)
    finally:
        for process in processes:
            _stop(process)


class Person:
    """A browser: its own cookies, every answer (redirects included) recorded."""

    def __init__(self, demo: Demo, answers: list[tuple[int, str, str]]) -> None:
        self.demo = demo
        self.answers = answers
        self.http = requests.Session()
        self.page: requests.Response | None = None

    def _record(self, response: requests.Response) -> requests.Response:
        for hop in [*response.history, response]:
            self.answers.append((hop.status_code, hop.request.method or "", hop.url))
        self.page = response
        return response

    def get(self, path: str) -> requests.Response:
        url = path if path.startswith("http") else self.demo.url + path
        return self._record(self.http.get(url, timeout=60))

    def submit(self, data: dict[str, str], action: str | None = None) -> requests.Response:
        """Submit the form of the page last opened (its CSRF token), to `action` or to the
        page itself."""
        assert self.page is not None
        token = CSRF_FIELD.search(self.page.text)
        assert token, f"no form on {self.page.url}"
        url = self.demo.url + action if action else self.page.url
        return self._record(
            self.http.post(
                url,
                data={"csrfmiddlewaretoken": token.group(1), **data},
                headers={"Referer": self.page.url},
                timeout=60,
            )
        )

    def twin(self) -> Person:
        """The same browser in another tab (a double click on the same page)."""
        other = Person(self.demo, self.answers)
        other.http.cookies.update(self.http.cookies)
        other.page = self.page
        return other

    def sign_in(self, username: str, password: str) -> None:
        self.get("/accedi/")
        landed = self.submit({"username": username, "password": password})
        assert "/accedi/" not in landed.url, f"{username} could not sign in"
        assert "/accedi/" not in self.get("/").url


def at_once(*calls: Callable[[], object]) -> None:
    """Run the calls in threads started together; re-raise the first failure."""
    failures: list[BaseException] = []

    def run(call: Callable[[], object]) -> None:
        try:
            call()
        except BaseException as failure:
            failures.append(failure)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def test_invitation_registration_and_payments_at_once_on_sqlite_never_answer_500(
    demo: Demo,
) -> None:
    answers: list[tuple[int, str, str]] = []
    paid: dict[str, str] = {}
    employee = {
        "first_name": "Chiara",
        "last_name": "Ferri",
        "email": "chiara.ferri@rossicostruzioni.example.it",
        "tax_code": "FRRCHR90A41H501" + codicefiscale.calc_check_digit("FRRCHR90A41H501"),
        "profile": "USER",
    }
    verdi_email = "anna.verdi@verdi-impianti.example.it"
    # Everyone goes through the same five phases (prepare, first write, read the e-mail,
    # final write, check); `step` waits for the others, so each phase's POSTs start at the
    # same moment. A person with nothing to do in a phase just steps.
    Steps = Callable[[Callable[[], object]], None]

    def inviter(step: Callable[[], object]) -> None:
        legale = Person(demo, answers)
        legale.sign_in("legale", DEMO_PASSWORD)
        employees = legale.get("/profilo/dipendenti/")
        assert "/profilo/dipendenti/invita/" in employees.text
        if "/password/conferma/" in legale.get("/profilo/dipendenti/invita/").url:
            legale.submit({"password": DEMO_PASSWORD})
        step()
        sent = legale.submit(employee)
        assert sent.url.endswith("/profilo/dipendenti/") and "Invito inviato" in sent.text
        step()
        step()
        step()  # Chiara's own sign-in, in the last phase, proves the invitation worked

    def invitee(step: Callable[[], object]) -> None:
        chiara = Person(demo, answers)
        step()
        step()
        chiara.get(demo.link_mailed_to(employee["email"], r"http://[\w.:]+/invito/[\w-]+/"))
        step()
        done = chiara.submit(
            {"username": "cferri", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        )
        assert done.url.endswith("/accedi/"), done.text
        step()
        chiara.sign_in("cferri", NEW_PASSWORD)

    def verdi(step: Callable[[], object]) -> None:
        anna = Person(demo, answers)
        anna.get("/registrazione/")
        step()
        sent = anna.submit(
            {
                "vat_number": "07123450046",
                "customer_code": "CB1000003",
                "tax_code": "VRDNNA75D45L219V",
                "email": verdi_email,
                "username": "averdi",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            }
        )
        assert "Controlla la tua e-mail" in sent.text, sent.text
        step()
        verify = r"http://[\w.:]+/registrazione/verifica/\d+/[\w-]+/"
        anna.get(demo.link_mailed_to(verdi_email, verify))
        step()
        assert anna.submit({}).url.endswith("/accedi/")
        step()
        anna.sign_in("averdi", NEW_PASSWORD)

    def payer(username: str, pick: int) -> Steps:
        def pay(step: Callable[[], object]) -> None:
            person = Person(demo, answers)
            person.sign_in(username, DEMO_PASSWORD)
            listed = person.get("/fatture/?status=OPEN").text
            invoice = sorted(set(re.findall(r'href="/fatture/(\d+)/"', listed)))[pick]
            detail = person.get(f"/fatture/{invoice}/")
            key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', detail.text)
            assert key, detail.text
            step()
            card_page = person.submit(
                {"idempotency_key": key.group(1)}, action=f"/fatture/{invoice}/paga/"
            )
            assert "/pagamenti/sandbox/" in card_page.url, card_page.text
            step()
            step()
            # «Paga» clicked twice: the card is submitted from two tabs at the same moment.
            card = {"card_number": TEST_CARD, "expiry": "12/39", "cvc": "123"}
            at_once(*(lambda tab=tab: tab.submit(card) for tab in (person, person.twin())))
            step()
            detail = person.get(f"/fatture/{invoice}/")
            assert re.search(r"<dt>Stato</dt><dd>Pagata", detail.text), detail.text
            assert "/paga/" not in detail.text  # no «Paga online» button any more
            paid[username] = invoice

        return pay

    people: dict[str, Steps] = {
        "inviter": inviter,
        "invitee": invitee,
        "verdi": verdi,
        "legale pays": payer("legale", 0),
        "full pays": payer("full", 1),
    }
    together = threading.Barrier(len(people), timeout=120)
    failures: dict[str, BaseException] = {}

    def act(name: str, steps: Steps) -> None:
        try:
            steps(together.wait)
        except BaseException as failure:
            failures[name] = failure
            together.abort()  # the others stop at their next step

    at_once(*(lambda item=item: act(*item) for item in people.items()))

    server_errors = [answer for answer in answers if answer[0] >= 500]
    assert not server_errors, f"{server_errors}\n{demo.console()[-5000:]}"
    # The first failure tells the story; the others only met the barrier it broke.
    assert not failures, {
        n: f for n, f in failures.items() if not isinstance(f, threading.BrokenBarrierError)
    } or failures
    assert len(set(paid.values())) == 2  # two invoices, both paid
    assert demo.worker.poll() is None, demo.console()[-5000:]  # the worker kept going


def test_the_demo_shows_the_products_own_404_page_and_serves_static_files(demo: Demo) -> None:
    person = Person(demo, [])
    person.sign_in("legale", DEMO_PASSWORD)
    missing = person.get("/fatture/999999/")
    assert missing.status_code == 404
    assert "Pagina non trovata" in missing.text and "Torna alla home" in missing.text
    assert "Technical details" not in missing.text and "URLconf" not in missing.text
    stylesheets = re.findall(r'<link[^>]+href="(/static/[^"]+\.css)"', missing.text)
    assert stylesheets and all(person.get(path).status_code == 200 for path in stylesheets)
    anonymous = requests.get(demo.url + "/non-esiste/", timeout=10)
    assert anonymous.status_code == 404 and "Technical details" not in anonymous.text
