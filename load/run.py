"""`make load` and `make load-outage`: people of mixed profiles against gunicorn and
PostgreSQL on this machine. Each prints its figures beside their bars and exits 1 if one
is missed.

`make load` (run_load): 50 people browsing for 2 minutes; bars: zero errors, p95 under
300 ms. The demo data lives in its own database (area_clienti_load).

`make load-outage` (run_outage): PostgreSQL stops during the load and comes back. The app
reaches PostgreSQL through a TCP proxy (load/dbproxy.py); after 30 s of load the proxy
drops every connection and refuses new ones for 15 s (PostgreSQL stopped, as the app
sees it; the real server keeps serving other work), then lets them through again, and the
load goes on for 30 s more. Half the people also pay invoices, top up SIMs and write to
the experts (load/locustfile.py, `Customer`), sending a form again with its idempotency
key while the app answers "come back later", and note what they were told succeeded.
Bars: during the outage every answer is the friendly 503 page and none takes more than
5 s; /readyz answers 503 during it and 200 after; no error once the database is back; the
payments, top-ups and requests in the database are exactly those the people saw
confirmed (none lost, none doubled), and SIM credit grew by exactly the confirmed top-ups.
Its own database: area_clienti_outage.

gunicorn runs with gunicorn.conf.py and DEBUG off, as in production but for plain HTTP on
localhost.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from load.dbproxy import DatabaseProxy  # noqa: E402 - needs ROOT on the path when run as a script

BIN = ROOT / ".venv" / "bin"
PORT = os.environ.get("LOAD_PORT", "8077")
USERS = int(os.environ.get("LOAD_USERS", "50"))
DURATION = os.environ.get("LOAD_DURATION", "2m")
# People arrive two a second, not all at once: each sign-in is a deliberately slow hash.
SPAWN_RATE = os.environ.get("LOAD_SPAWN_RATE", "2")
P95_BAR_MS = 300
DATABASE_URL = os.environ.get(
    "LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/area_clienti_load"
)

OUTAGE_PORT = os.environ.get("LOAD_OUTAGE_PORT", "8097")
OUTAGE_PROXY_PORT = int(os.environ.get("LOAD_OUTAGE_PROXY_PORT", "55433"))
OUTAGE_DATABASE_URL = os.environ.get(
    "LOAD_OUTAGE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/area_clienti_outage"
)
# Seconds of load before the cut, of outage, and of load after it.
OUTAGE_AFTER = float(os.environ.get("LOAD_OUTAGE_AFTER", "30"))
OUTAGE_LENGTH = float(os.environ.get("LOAD_OUTAGE_LENGTH", "15"))
OUTAGE_THEN = float(os.environ.get("LOAD_OUTAGE_THEN", "30"))
# No answer while the database is away may take longer than this (people get a 503 page
# at once, not a spinner); people give up on a request after 30 s (load/locustfile.py).
OUTAGE_SLOWEST_BAR_S = 5.0
# How soon after PostgreSQL is back /readyz must say so (it is probed every half second).
RECOVERY_BAR_S = 5.0
# Fresh open invoices per mobile contract of the demo companies, so every run has some
# to pay (each can be paid once).
OUTAGE_INVOICES = 60


def ensure_database(url: str = DATABASE_URL) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def server_env(database_url: str, port: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "3"),
        "ACCESS_LOG_LEVEL": "WARNING",
        # Many people sign in from this one address: not an attack.
        "AXES_FAILURE_LIMIT": "1000",
        "RATE_LIMIT_LOGIN": "1000/m",
        "WEBAUTHN_RP_ID": "localhost",
        "WEBAUTHN_ORIGINS": f"http://localhost:{port}",
    }


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare(env: dict[str, str]) -> None:
    """Migrate and load the demo data (idempotent)."""
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "seed_demo", "--force")


def status_of(url: str, timeout: float = 2) -> int:
    """The status /readyz (or any page) answers with; 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - our own server
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def gunicorn_start(
    env: dict[str, str], log: str | Path, *, own_group: bool = False
) -> subprocess.Popen[bytes]:
    """gunicorn with gunicorn.conf.py; `own_group`: in a process group of its own, so that
    the master and its workers can be killed together (load/cluster.py)."""
    return subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "area_clienti.wsgi"],
        cwd=ROOT,
        env=env,
        # Open as long as gunicorn writes to it.
        stderr=open(log, "w"),
        start_new_session=own_group,
    )


def wait_until_ready(url: str, seconds: float = 30) -> bool:
    """Whether `url` (a /readyz) answered 200 within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if status_of(url) == 200:
            return True
        time.sleep(0.5)
    return False


@contextlib.contextmanager
def _gunicorn(env: dict[str, str], port: str, log: str) -> Iterator[subprocess.Popen[bytes]]:
    server = gunicorn_start(env, log)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}/readyz")
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


def locust_command(classes: list[str], port: str, stats: str, *extra: str) -> list[str]:
    return [
        str(BIN / "locust"), "-f", "load/locustfile.py", "--headless",
        "-u", str(USERS), "-r", SPAWN_RATE,
        "--host", f"http://127.0.0.1:{port}", "--csv", stats, "--only-summary",
        *extra, *classes,
    ]  # fmt: skip


@dataclass(frozen=True)
class LoadResult:
    requests: int
    failures: int
    median: float
    p95: float
    rps: float


def run_load() -> LoadResult:
    env = server_env(DATABASE_URL, PORT)
    ensure_database(DATABASE_URL)
    prepare(env)
    stats = "/tmp/acb-load"
    with _gunicorn(env, PORT, "/tmp/acb-load-gunicorn.log"):
        command = locust_command(["Person"], PORT, stats, "-t", DURATION)
        subprocess.run(command, cwd=ROOT, check=False)
        with open(f"{stats}_stats.csv") as rows:
            total = next(row for row in csv.DictReader(rows) if row["Name"] == "Aggregated")
    return LoadResult(
        requests=int(total["Request Count"]),
        failures=int(total["Failure Count"]),
        median=float(total["50%"]),
        p95=float(total["95%"]),
        rps=float(total["Requests/s"]),
    )


# --- PostgreSQL stops during the load and comes back ------------------------------------


@dataclass(frozen=True)
class Answer:
    start: float
    end: float
    status: int
    friendly: bool  # a 503 with the friendly page and Retry-After
    name: str = ""

    @property
    def ok(self) -> bool:
        return 0 < self.status < 400


@dataclass(frozen=True)
class Bookkeeping:
    """What the people were told succeeded, against what the database holds."""

    action: str
    confirmed: set[str]
    stored: set[str]
    abandoned: int  # given up on after a minute of "come back later"

    @property
    def lost(self) -> int:
        return len(self.confirmed - self.stored)

    @property
    def unconfirmed(self) -> int:
        """In the database, never confirmed to anyone: a double, or an answer never seen."""
        return len(self.stored - self.confirmed)


@dataclass
class OutageResult:
    cut_at: float
    restore_at: float
    answers: list[Answer]
    probes: list[Answer]
    books: list[Bookkeeping]
    credit_added: Decimal
    credit_confirmed: Decimal
    retried: int  # confirmed actions whose form had to be sent again
    refunded: int  # payments charged twice and given back
    reconnected: int  # GETs sent again on a new connection (ResendOnClosedConnection)
    workers_lost: int  # gunicorn workers killed or crashed

    def window(self, answer: Answer) -> str:
        """before / cut (under way when the database went) / during / restore (under way
        when it came back) / after."""
        if answer.end < self.cut_at:
            return "before"
        if answer.start < self.cut_at:
            return "cut"
        if answer.end <= self.restore_at:
            return "during"
        if answer.start < self.restore_at:
            return "restore"
        return "after"

    def of(self, window: str, answers: list[Answer] | None = None) -> list[Answer]:
        return [
            a for a in (self.answers if answers is None else answers) if self.window(a) == window
        ]

    def figures(self) -> list[tuple[str, float, float, str]]:
        """(label, value, bar, unit), each passing when value <= bar: as bench/run.py
        lists its figures."""
        during, probes_during = self.of("during"), self.of("during", self.probes)
        edges = self.of("cut") + self.of("restore")
        outside = self.of("before") + self.of("after")
        probes_after = self.of("after", self.probes)
        first_ready = next((p.end for p in probes_after if p.status == 200), None)
        slowest = max((a.end - a.start for a in during), default=0.0)
        figures: list[tuple[str, float, float, str]] = []

        def figure(label: str, value: float, bar: float = 0, unit: str = "") -> None:
            figures.append((f"outage: {label}", value, bar, unit))

        figure(
            "answers other than the friendly 503",
            sum(not a.friendly for a in during),
        )
        figure("slowest answer, s", slowest, OUTAGE_SLOWEST_BAR_S, "s")
        figure("/readyz answers other than 503", sum(p.status != 503 for p in probes_during))
        figure(
            "requests under way at the cut or the return, failed",
            sum(not (a.ok or a.friendly) for a in edges),
        )
        recovery = first_ready - self.restore_at if first_ready else float("inf")
        figure("/readyz back to 200 after PostgreSQL, s", recovery, RECOVERY_BAR_S, "s")
        figure("/readyz answers other than 200 after", sum(p.status != 200 for p in probes_after))
        figure("errors before the cut and after the return", sum(not a.ok for a in outside))
        for books in self.books:
            figure(f"{books.action} confirmed, not in the database", books.lost)
            figure(f"{books.action} in the database, never confirmed", books.unconfirmed)
            figure(f"{books.action} given up after a minute of 503", books.abandoned)
        figure("payments charged twice (refunded)", self.refunded)
        figure("gunicorn workers lost (timeout, crash)", self.workers_lost)
        credit_gap = abs(self.credit_added - self.credit_confirmed)
        figure("SIM credit added minus top-ups confirmed, €", float(credit_gap), 0, "€")
        # An outage nobody met proves nothing: the run itself must have seen it.
        figure("no answer met the outage", 0 if during and probes_during else 1)
        return figures


GUNICORN_OUTAGE_LOG = "/tmp/acb-outage-gunicorn.log"


def invoice_record(
    number: str, vat_number: str, contract: str, items: list[tuple[str, str]]
) -> dict[str, Any]:
    """An open invoice issued today, as the billing system sends it (`import_invoices`):
    (service, amount) fees at 22% VAT."""
    today = time.strftime("%Y-%m-%d")
    return {
        "number": number,
        "company_vat_number": vat_number,
        "contract": contract,
        "issue_date": today,
        "period_start": today,
        "period_end": today,
        "due_date": today,
        "payment_method": "BANK_TRANSFER",
        "items": [
            {"category": "FEE", "service": service, "amount": amount, "vat_rate": "22"}
            for service, amount in items
        ],
    }


def fresh_invoices(env: dict[str, str], url: str, tag: str) -> None:
    """Open invoices for this run, loaded the way the billing system sends them."""
    import psycopg

    with psycopg.connect(url) as conn:
        contracts = conn.execute(
            "SELECT c.vat_number, k.number FROM accounts_contract k "
            "JOIN accounts_company c ON c.id = k.company_id "
            "JOIN accounts_user u ON u.company_id = c.id "
            "WHERE u.username IN ('legale', 'bianchi') AND k.kind = 'MOBILE'"
        ).fetchall()
    path = Path(f"/tmp/acb-outage-invoices-{tag}.jsonl")
    with path.open("w") as out:
        for k, (vat_number, contract) in enumerate(contracts):
            for n in range(OUTAGE_INVOICES):
                # FatturaPA's Numero: up to 20 characters.
                record = invoice_record(
                    f"LO{tag}-{k}-{n:03d}", vat_number, contract, [("Canone", f"{10 + n}.00")]
                )
                out.write(json.dumps(record) + "\n")
    manage(env, "import_invoices", str(path))
    path.unlink()
    with psycopg.connect(url) as conn:
        loaded = conn.execute(
            "SELECT count(*) FROM billing_invoice WHERE number LIKE %s", [f"LO{tag}-%"]
        ).fetchone()
    if not loaded or loaded[0] != len(contracts) * OUTAGE_INVOICES:
        raise RuntimeError(f"fresh invoices: {loaded} loaded of {len(contracts) * OUTAGE_INVOICES}")


_COUNTED = {
    "payment": "billing_payment",
    "top_up": "consumption_topup",
    "request": "tracking_request",
}


def high_water(url: str) -> tuple[dict[str, int], Decimal]:
    """The last row of each counted table before the run, and the SIMs' total credit."""
    import psycopg

    marks = {}
    with psycopg.connect(url) as conn:
        for action, table in _COUNTED.items():
            query = f"SELECT coalesce(max(id), 0) FROM {table}"  # noqa: S608 - our own names
            row = conn.execute(query).fetchone()
            marks[action] = int(row[0]) if row else 0
        return marks, _credit(conn)


def _credit(conn: Any) -> Decimal:
    row = conn.execute("SELECT coalesce(sum(balance), 0) FROM consumption_simcredit").fetchone()
    return Decimal(row[0] if row else 0)


def stored_rows(url: str, marks: dict[str, int]) -> tuple[dict[str, set[str]], Decimal, int]:
    """What this run left in the database: payments that succeeded, top-ups credited,
    tracked requests opened (of any kind), by their references; SIM credit; refunds."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = {
            "payment": conn.execute(
                "SELECT provider_reference FROM billing_payment "
                "WHERE id > %s AND purpose = 'INVOICE' AND status = 'SUCCEEDED'",
                [marks["payment"]],
            ).fetchall(),
            "top_up": conn.execute(
                "SELECT p.provider_reference FROM consumption_topup t "
                "JOIN billing_payment p ON p.id = t.payment_id "
                "WHERE t.id > %s AND t.status = 'CREDITED'",
                [marks["top_up"]],
            ).fetchall(),
            "request": conn.execute(
                "SELECT reference FROM tracking_request WHERE id > %s", [marks["request"]]
            ).fetchall(),
        }
        balance = _credit(conn)
        refunded = conn.execute(
            "SELECT count(*) FROM billing_payment WHERE id > %s "
            "AND status IN ('REFUND_DUE', 'REFUNDED')",
            [marks["payment"]],
        ).fetchone()
    stored = {action: {row[0] for row in found} for action, found in rows.items()}
    return stored, balance, int(refunded[0] if refunded else 0)


class Probe(threading.Thread):
    """Asks /readyz every half second, as a load balancer would."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.answers: list[Answer] = []
        self.stopping = threading.Event()

    def status(self) -> int:
        return status_of(self.url, timeout=10)

    def run(self) -> None:
        while not self.stopping.is_set():
            start = time.time()
            status = self.status()
            self.answers.append(Answer(start, time.time(), status, status == 503, self.url))
            self.stopping.wait(0.5)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def start_people(
    port: str, stats: str, length: float, ledger: Path, log: Path
) -> subprocess.Popen[bytes]:
    """The people who browse and act (`Person` and `Customer`) for `length` seconds,
    recording their requests and what they were told succeeded; returns once the load has
    begun (locust takes a few seconds to start)."""
    command = locust_command(
        ["Person", "Customer"], port, stats,
        "-t", f"{length:.0f}s",
        # At the end, people finish what they were doing (a payment under way).
        "--stop-timeout", "90",
        # Failed requests are the bars' to judge (some are expected): a non-zero exit is
        # locust itself failing (its locustfile, its arguments).
        "--exit-code-on-error", "0",
    )  # fmt: skip
    for stale in (ledger, log):
        stale.unlink(missing_ok=True)
    locust_env = {**os.environ, "LOAD_LEDGER": str(ledger), "LOAD_REQUEST_LOG": str(log)}
    people = subprocess.Popen(command, cwd=ROOT, env=locust_env)
    for _ in range(300):
        if log.exists() or people.poll() is not None:
            break
        time.sleep(0.2)
    return people


def logged_answers(logged: list[dict[str, Any]]) -> list[Answer]:
    return [
        Answer(e["start"], e["end"], e["status"], e["friendly"], e["name"])
        for e in logged
        if "start" in e
    ]


def bookkeeping(entries: list[dict[str, Any]], stored: dict[str, set[str]]) -> list[Bookkeeping]:
    """The ledger's confirmed actions beside the rows the run left, action by action."""
    books = []
    for action in _COUNTED:
        mine = [e for e in entries if e["action"] == action]
        books.append(
            Bookkeeping(
                action=action.replace("_", "-") + "s",
                confirmed={e["reference"] for e in mine if e["reference"]},
                stored=stored[action],
                abandoned=sum(1 for e in mine if not e["reference"]),
            )
        )
    return books


def credit_confirmed(entries: list[dict[str, Any]]) -> Decimal:
    return sum(
        (Decimal(e["amount"]) for e in entries if e["action"] == "top_up" and e["reference"]),
        Decimal(0),
    )


def run_outage() -> OutageResult:
    url = OUTAGE_DATABASE_URL
    target = urllib.parse.urlsplit(url)
    proxied = url.replace(
        f"@{target.hostname}:{target.port or 5432}/", f"@127.0.0.1:{OUTAGE_PROXY_PORT}/"
    )
    direct = server_env(url, OUTAGE_PORT)
    ensure_database(url)
    prepare(direct)
    tag = time.strftime("%m%d%H%M%S")
    fresh_invoices(direct, url, tag)
    marks, credit_before = high_water(url)

    ledger, log = Path("/tmp/acb-outage-ledger.jsonl"), Path("/tmp/acb-outage-requests.jsonl")
    env = {
        **server_env(proxied, OUTAGE_PORT),
        # Receipts are rendered and "sent" nowhere: no mail server here.
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    proxy = DatabaseProxy((target.hostname or "127.0.0.1", target.port or 5432), OUTAGE_PROXY_PORT)
    probe = Probe(f"http://127.0.0.1:{OUTAGE_PORT}/readyz")
    people: subprocess.Popen[bytes] | None = None
    try:
        with _gunicorn(env, OUTAGE_PORT, GUNICORN_OUTAGE_LOG):
            length = OUTAGE_AFTER + OUTAGE_LENGTH + OUTAGE_THEN
            people = start_people(OUTAGE_PORT, "/tmp/acb-outage", length, ledger, log)
            probe.start()
            started = time.time()
            time.sleep(max(0, started + OUTAGE_AFTER - time.time()))
            proxy.cut()
            cut_at = time.time()
            print(f"\n--- PostgreSQL cut off at {cut_at - started:.1f} s", flush=True)
            time.sleep(OUTAGE_LENGTH)
            restore_at = time.time()
            proxy.restore()
            print(f"--- PostgreSQL back at {restore_at - started:.1f} s", flush=True)
            people.wait(timeout=length + 180)
            probe.stopping.set()
            probe.join(timeout=15)
    finally:
        if people is not None and people.poll() is None:
            people.terminate()
        probe.stopping.set()
        proxy.close()

    window = {"cut_at": cut_at, "restore_at": restore_at}
    Path("/tmp/acb-outage-window.json").write_text(json.dumps(window))
    stored, credit_after, refunded = stored_rows(url, marks)
    entries = read_jsonl(ledger)
    logged = read_jsonl(log)
    return OutageResult(
        cut_at=cut_at,
        restore_at=restore_at,
        answers=logged_answers(logged),
        probes=probe.answers,
        books=bookkeeping(entries, stored),
        credit_added=credit_after - credit_before,
        credit_confirmed=credit_confirmed(entries),
        retried=sum(1 for e in entries if e["reference"] and e.get("retries")),
        refunded=refunded,
        reconnected=sum(1 for e in logged if e.get("resent_on_new_connection")),
        workers_lost=_workers_lost(GUNICORN_OUTAGE_LOG),
    )


def _workers_lost(log: str) -> int:
    """Workers the gunicorn master had to kill or saw die, from its log."""
    signs = ("WORKER TIMEOUT", "was sent SIGKILL", "Exception in worker process")
    with open(log) as lines:
        return sum(1 for line in lines if any(sign in line for sign in signs))


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_figures(figures: list[tuple[str, float, float, str]]) -> int:
    """Each figure beside its bar (at most); 1 if one is missed."""
    failed = 0
    for label, value, bar, unit in figures:
        ok = value <= bar
        failed += not ok
        print(f"  {label:<66} {value:>8.2f} bar <= {bar:g} {unit:<2} {verdict(ok)}")
    return 1 if failed else 0


def main_outage() -> int:
    result = run_outage()
    print()
    print(
        f"PostgreSQL stops during load: {USERS} people, cut after {OUTAGE_AFTER:.0f} s for "
        f"{OUTAGE_LENGTH:.0f} s, {OUTAGE_THEN:.0f} s more; gunicorn + PostgreSQL behind a TCP proxy"
    )
    counts = {w: len(result.of(w)) for w in ("before", "cut", "during", "restore", "after")}
    print("  requests          " + ", ".join(f"{w} {n}" for w, n in counts.items()))
    during = result.of("during")
    friendly = sum(a.friendly for a in during)
    print(f"  during            {friendly} friendly 503s of {len(during)} answers")
    for books in result.books:
        confirmed, stored = len(books.confirmed), len(books.stored)
        print(f"  {books.action:<17} {confirmed} confirmed, {stored} in the database")
    resent = sum(
        1
        for a in result.answers
        if a.friendly and a.name.startswith("POST") and "/accedi/" not in a.name
    )
    print(f"  resent            {resent} form submissions met the outage and were sent again;")
    print(f"                    {result.retried} confirmed actions had to send a form again")
    print(f"  reconnected       {result.reconnected} GETs sent again on a new connection")
    added, confirmed_credit = result.credit_added, result.credit_confirmed
    print(f"  SIM credit        +{added} € for {confirmed_credit} € of top-ups confirmed")
    return print_figures(result.figures())


def main() -> int:
    result = run_load()
    requests, failures, p95 = result.requests, result.failures, result.p95
    median, rps = result.median, result.rps
    ok_errors, ok_p95 = failures == 0 and requests > 0, p95 < P95_BAR_MS
    print()
    print(f"Load: {USERS} people, {DURATION}, gunicorn + PostgreSQL on this machine")
    print(f"  requests          {requests} ({rps:.1f}/s), median {median:.0f} ms")
    print(f"  errors            {failures:<8} bar 0        {'ok' if ok_errors else 'MISSED'}")
    verdict = "ok" if ok_p95 else "MISSED"
    print(f"  p95               {p95:.0f} ms{'':<4} bar < {P95_BAR_MS} ms {verdict}")
    return 0 if ok_errors and ok_p95 else 1


if __name__ == "__main__":
    sys.exit(main_outage() if sys.argv[1:] == ["outage"] else main())
