"""Production takes real money: the sandbox gateway (which accepts test cards and signs its
callbacks with a secret derived from SECRET_KEY) must never be the one configured there, nor
a real provider in its test mode (Stripe's test keys take test cards just the same)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from billing.gateway import REAL_GATEWAYS, get_gateway, stripe_key_is_live


def payment_gateway_problem() -> str:
    """What is wrong with the configured gateway for real customers; "" when nothing."""
    name = settings.PAYMENT_GATEWAY
    if name not in REAL_GATEWAYS:
        return (
            f"PAYMENT_GATEWAY is {name!r}: a deployment needs a real payment provider "
            f"({', '.join(REAL_GATEWAYS)}); the sandbox takes test cards as payment. Set "
            "PAYMENT_GATEWAY=stripe with STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET."
        )
    try:
        get_gateway(name)
    except LookupError as missing:
        return f"PAYMENT_GATEWAY is {name!r} but it is not configured: {missing}"
    if name == "stripe" and not stripe_key_is_live(settings.STRIPE_API_KEY):
        return (
            "PAYMENT_GATEWAY is 'stripe' but STRIPE_API_KEY is not a live-mode key "
            "(sk_live_... or rk_live_...): in test mode Stripe takes its test cards, so a "
            "test payment would mark a real invoice paid."
        )
    return ""


@register(Tags.security, deploy=True)
def check_payment_gateway(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    problem = payment_gateway_problem()
    if not problem:
        return []
    return [
        Error(
            problem,
            hint="The sandbox gateway is for the demo and the tests only.",
            id="billing.E001",
        )
    ]
