"""Settings read from the environment, as a server starting with it would read them."""

import os
import runpy
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

SETTINGS = Path(settings.BASE_DIR) / "area_clienti" / "settings.py"


def settings_with(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_the_replica_keeps_its_own_connection_options(monkeypatch: pytest.MonkeyPatch) -> None:
    replica = settings_with(
        monkeypatch,
        DATABASE_URL="postgres://app@primary.internal/area?sslmode=require",
        DATABASE_REPLICA_URL="postgres://app@replica.internal/area?sslmode=verify-full",
    )["DATABASES"]["replica"]
    assert replica["OPTIONS"] == {
        "sslmode": "verify-full",
        "options": "-c jit=off",
        "connect_timeout": 2,
    }


def test_pdf_processes_default_where_the_affinity_is_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not every system tells a process's CPU affinity (macOS, Windows)."""
    monkeypatch.delattr(os, "sched_getaffinity")
    monkeypatch.delenv("PDF_PROCESSES", raising=False)
    assert settings_with(monkeypatch)["PDF_PROCESSES"] == os.cpu_count()
