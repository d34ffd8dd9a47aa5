"""Playwright on Debian's Chromium (Playwright's own browser download does not work here)."""

import os
import time
from base64 import b32decode
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django_otp.oath import TOTP
from playwright.sync_api import Page, Playwright

from area_clienti.management.commands.seed_demo import DEMO_TOTP_SECRET

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def playwright(playwright: Playwright) -> Playwright:
    """pytest-playwright's Playwright, with Django's ORM allowed beside it.

    Once started, Playwright's sync API leaves its event loop marked as running in the test
    thread for the rest of the session, and Django refuses the ORM in a thread with a running
    loop: in the browser tests, and in every test the same process runs after them.
    """
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    return playwright


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # No animations (Bootstrap drops its transitions): a click during the menu's opening or
    # closing would be ignored, which makes a test depend on the machine's speed.
    return {
        **browser_context_args,
        "locale": "it-IT",
        "timezone_id": "Europe/Rome",
        "reduced_motion": "reduce",
    }


@pytest.fixture
def page(transactional_db: None, page: Page) -> Iterator[Page]:
    """pytest-playwright's page, opened after the test database and closed before it is
    emptied, once the requests it sent as it closed (a draft saved when the page hides, a
    chat's poll) are over: one still running would deadlock with the flush's table locks."""
    yield page
    page.close()
    wait_for_other_sessions_to_finish()


def wait_for_other_sessions_to_finish(timeout: float = 10.0) -> None:
    """Until no other session of the test database (the live server's request threads) is
    running a statement or holding a transaction open, checked twice in a row."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
                "AND (state <> 'idle' OR xact_start IS NOT NULL)"
            )
            busy = cursor.fetchone()[0]
        quiet = quiet + 1 if busy == 0 else 0


def demo_totp_code() -> str:
    """What the demo's authenticator app (its secret is in the README) shows now."""
    totp = TOTP(b32decode(DEMO_TOTP_SECRET))
    return f"{totp.token():06d}"


@pytest.fixture
def demo_site(transactional_db: None, live_server: Any, settings: Any) -> str:
    """The demo data behind a live server; returns its base URL."""
    call_command("seed_demo", force=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return str(live_server.url)
