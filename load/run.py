"""`make load`: 50 people of mixed profiles for 2 minutes against gunicorn and PostgreSQL
on this machine. Prints the figures beside their bars (zero errors, p95 under 300 ms) and
exits 1 if one is missed.

The demo data is loaded into its own database (area_clienti_load); gunicorn runs with
gunicorn.conf.py and DEBUG off, as in production but for plain HTTP on localhost.
"""

from __future__ import annotations

import csv
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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


def ensure_database() -> None:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


@dataclass(frozen=True)
class LoadResult:
    requests: int
    failures: int
    median: float
    p95: float
    rps: float


def run_load() -> LoadResult:
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "",
        "BIND": f"127.0.0.1:{PORT}",
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "3"),
        "ACCESS_LOG_LEVEL": "WARNING",
        # Many people sign in from this one address: not an attack.
        "AXES_FAILURE_LIMIT": "1000",
        "RATE_LIMIT_LOGIN": "1000/m",
    }
    ensure_database()
    manage = [str(BIN / "python"), "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "seed_demo", "--force"], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "area_clienti.wsgi"],
        cwd=ROOT,
        env=env,
        stderr=open("/tmp/acb-load-gunicorn.log", "w"),  # noqa: SIM115 - lives as long as gunicorn
    )
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/readyz", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        stats = "/tmp/acb-load"
        subprocess.run(
            [
                str(BIN / "locust"), "-f", "load/locustfile.py", "--headless",
                "-u", str(USERS), "-r", SPAWN_RATE, "-t", DURATION,
                "--host", f"http://127.0.0.1:{PORT}", "--csv", stats, "--only-summary",
            ],
            cwd=ROOT,
            check=False,
        )  # fmt: skip
        with open(f"{stats}_stats.csv") as rows:
            total = next(row for row in csv.DictReader(rows) if row["Name"] == "Aggregated")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return LoadResult(
        requests=int(total["Request Count"]),
        failures=int(total["Failure Count"]),
        median=float(total["50%"]),
        p95=float(total["95%"]),
        rps=float(total["Requests/s"]),
    )


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
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
