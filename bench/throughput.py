"""The throughput bars of `make bench`, measured in one run and served the same way (gunicorn
with gunicorn.conf.py, 2 workers, wrk with 16 connections):

- the floor (bench/floor: session, user, middleware, role matrix, no page work) against
  bare Django rendering a 50-row table (bench/bare): what every signed-in page pays first;
- the 50-row line list of 5,000 lines against the floor: the page's own work;
- the home (every card, 5,000 SIMs) against the floor.

`python bench/throughput.py` measures them alone, against the bench database made by
`make bench` (DATABASE_URL to use a copy), with a session of its own for 'bench-lr'.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.run import report  # noqa: E402 - the bench's environment (settings, database) too

# Bars to reach rather than stay under: report() compares ">=" figures the other way.
FLOOR_OF_BARE = 0.6
LINE_LIST_OF_FLOOR = 0.5
HOME_OF_FLOOR = 0.5


# gunicorn.conf.py's settings, the same for all four, and two of them set for a measurement
# that holds from one burst to the next (bare Django alone, 4 s bursts: 990 to 2,930 requests
# a second as it was, 2,860 to 2,940 so): no worker replaced during the run (a restart every
# 5,000 requests costs a second of starting Django, and fell in some bursts only), and each
# worker on a socket of its own (one worker could take all the connections of a burst).
SERVED = {"WEB_CONCURRENCY": "2", "WEB_MAX_REQUESTS": "0", "WEB_REUSE_PORT": "1"}


def free_port() -> int:
    """A port nothing listens on now: other benches and servers may share the machine."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(wsgi: str, env: dict[str, str]) -> Iterator[str]:
    """gunicorn (gunicorn.conf.py with SERVED) serving `wsgi` on a free port, for the
    duration; yields its base URL."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own server
        [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", wsgi],
        cwd=ROOT,
        env={**env, "BIND": f"127.0.0.1:{port}", **SERVED},
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def wrk(url: str, headers: list[str], seconds: int, connections: int = 16) -> float:
    """Requests per second of `url` under wrk (2 threads); every answer must be a 200."""
    header_args = [arg for header in headers for arg in ("-H", header)]
    output = subprocess.run(  # noqa: S603
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", *header_args, url],  # noqa: S607
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    if "Non-2xx" in output:
        raise RuntimeError(f"{url}: some answers were not 200\n{output}")
    return float(output.split("Requests/sec:")[1].split()[0])


def wait_for_200(url: str, headers: list[str]) -> None:
    header_args = [arg for header in headers for arg in ("-H", header)]
    for _ in range(120):
        probe = subprocess.run(  # noqa: S603
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", *header_args, url],  # noqa: S607
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if probe.stdout == "200":
            return
        time.sleep(0.5)
    raise RuntimeError(f"{url} never answered 200")


def serve_and_measure(
    targets: dict[str, tuple[str, str, dict[str, str], list[str]]],
    seconds: int = 15,
    rounds: int = 5,
) -> dict[str, float]:
    """Requests per second of each target (name: wsgi, path, environment, headers), each
    served by its own gunicorn, all started at once. The targets take turns, `rounds`
    bursts of `seconds / rounds` each, and each figure is the median of its bursts: on a
    shared machine, a spell of other work then weighs on every figure alike instead of on
    whichever was measured during it. Each target is warmed up first (workers started,
    templates loaded)."""
    with ExitStack() as stack:
        urls = {
            name: stack.enter_context(served(wsgi, env)) + path
            for name, (wsgi, path, env, _headers) in targets.items()
        }
        for name, url in urls.items():
            wait_for_200(url, targets[name][3])
            wrk(url, targets[name][3], 1, connections=4)
        bursts: dict[str, list[float]] = {name: [] for name in targets}
        for _ in range(rounds):
            for name, url in urls.items():
                bursts[name].append(wrk(url, targets[name][3], max(1, seconds // rounds)))
    return {name: statistics.median(figures) for name, figures in bursts.items()}


def throughput_figures(session_key: str, seconds: int = 15) -> list[tuple[str, float, float, str]]:
    """The three ratios (label, ratio, bar, ">="), measured in the same run; prints the raw
    requests per second. `session_key`: a signed-in session of 'bench-lr'."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    app_env = {**env, "ALLOWED_HOSTS": "127.0.0.1", "ACCESS_LOG_LEVEL": "INFO"}  # as served
    app = {**app_env, "DJANGO_SETTINGS_MODULE": "area_clienti.settings"}
    cookie = [f"Cookie: sessionid={session_key}"]
    rps = serve_and_measure(
        {
            "bare": (
                "bench.bare.wsgi:application",
                "/",
                {**env, "DJANGO_SETTINGS_MODULE": "bench.bare.settings"},
                [],
            ),
            "floor": (
                "area_clienti.wsgi",
                "/linee/",
                {**app_env, "DJANGO_SETTINGS_MODULE": "bench.floor.settings"},
                cookie,
            ),
            "lines": ("area_clienti.wsgi", "/linee/", app, cookie),
            "home": ("area_clienti.wsgi", "/", app, cookie),
        },
        seconds,
    )
    print(
        f"throughput, requests/s: bare Django {rps['bare']:.0f}; floor (session, user,"
        f" middleware, matrix, no page work) {rps['floor']:.0f}; /linee/ (50 of 5,000 lines)"
        f" {rps['lines']:.0f}; home (5,000 SIMs) {rps['home']:.0f};"
        f" load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    return [
        ("floor (signed in, no page work) vs bare Django: throughput ratio",
         rps["floor"] / rps["bare"], FLOOR_OF_BARE, ">="),
        ("50-row line list (5,000 lines) vs its floor: throughput ratio",
         rps["lines"] / rps["floor"], LINE_LIST_OF_FLOOR, ">="),
        ("home, every card (5,000 SIMs) vs the floor: throughput ratio",
         rps["home"] / rps["floor"], HOME_OF_FLOOR, ">="),
    ]  # fmt: skip


def bench_session_key() -> str:
    """A signed-in session of 'bench-lr', as a browser has it after its first page."""
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="bench-lr"))
    client.get("/")
    return client.cookies["sessionid"].value


def main() -> int:
    import django

    django.setup()
    return report(throughput_figures(bench_session_key()))


if __name__ == "__main__":
    sys.exit(main())
