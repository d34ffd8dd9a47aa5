"""Django's deployment checklist passes with the production settings, which take real
payments only: without a real payment provider production does not start, and `check
--deploy` reports the sandbox gateway wherever it is configured."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "area_clienti.production",
    "SECRET_KEY": "a-long-random-production-secret-key-for-the-deploy-check-0123456789",
    "ALLOWED_HOSTS": "area-clienti.example.it",
    "DEBUG": "false",
    "WEBAUTHN_RP_ID": "area-clienti.example.it",
    "WEBAUTHN_ORIGINS": "https://area-clienti.example.it",
    "SITE_URL": "https://area-clienti.example.it",
    # The operator's provisioning client, installed beside the project (never imported by
    # the check): the simulator is refused (lines.E001).
    "SIM_PROVISIONING": "operator_clients.provisioning.Client",
}
# A real provider, configured (dummy keys: the check never calls it).
STRIPE = {
    "PAYMENT_GATEWAY": "stripe",
    "STRIPE_API_KEY": "sk_live_dummy",
    "STRIPE_WEBHOOK_SECRET": "whsec_dummy",
}
PAYMENT_VARIABLES = {*STRIPE, "SANDBOX_GATEWAY_SECRET"}


def check_deploy(**env: str) -> subprocess.CompletedProcess[str]:
    inherited = {
        key: value
        for key, value in os.environ.items()
        if key != "DJANGO_ALLOW_ASYNC_UNSAFE" and key not in PAYMENT_VARIABLES
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(settings.BASE_DIR),
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean() -> None:
    result = check_deploy(**PRODUCTION, **STRIPE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "payment",
    [
        {},
        {"PAYMENT_GATEWAY": "sandbox"},
        {"PAYMENT_GATEWAY": "stripe"},  # no keys
        {**STRIPE, "STRIPE_API_KEY": "sk_test_123"},  # test mode takes test cards
    ],
    ids=["unset", "sandbox", "stripe-without-keys", "stripe-test-mode"],
)
def test_production_does_not_start_without_a_real_payment_provider(
    payment: dict[str, str],
) -> None:
    result = check_deploy(**PRODUCTION, **payment)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "PAYMENT_GATEWAY" in result.stderr


def test_check_deploy_reports_the_sandbox_gateway() -> None:
    """Settings other than production's (DEBUG off, nothing about payments set): the
    deployment check fails on the sandbox, with its own id."""
    result = check_deploy(**{**PRODUCTION, "DJANGO_SETTINGS_MODULE": "area_clienti.settings"})
    assert result.returncode != 0
    assert "billing.E001" in result.stderr + result.stdout


@pytest.mark.parametrize(
    "value", [None, "lines.provisioning.SimulatedProvisioning"], ids=["unset", "simulator"]
)
def test_production_does_not_start_on_the_provisioning_simulator(value: str | None) -> None:
    """Unset, the setting falls back to the simulator: a completed order would give a
    customer an invented number and SIM."""
    env = {**PRODUCTION, **STRIPE}
    if value is None:
        del env["SIM_PROVISIONING"]
    else:
        env["SIM_PROVISIONING"] = value
    result = check_deploy(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SIM_PROVISIONING" in result.stderr


@pytest.mark.parametrize("flag", ["DEMO", "DEBUG"])
def test_production_refuses_the_demo(flag: str) -> None:
    """The demo's fixed secret key and console e-mails never reach production."""
    result = check_deploy(**{**PRODUCTION, **STRIPE, flag: "true"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "DEMO and DEBUG" in result.stderr
