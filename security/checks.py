"""A deployment says where passkeys live: the domain they are bound to and the origins
they are used from. Only the local demo may take them from the request (PasskeyHelper)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


@register(Tags.security, deploy=True)
def check_passkey_origins(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEMO:
        return []
    missing = [
        name
        for name, value in (
            ("WEBAUTHN_RP_ID", settings.OTP_WEBAUTHN_RP_ID),
            ("WEBAUTHN_ORIGINS", settings.OTP_WEBAUTHN_ALLOWED_ORIGINS),
        )
        if not value
    ]
    if not missing:
        return []
    return [
        Error(
            f"{' and '.join(missing)} not set: passkeys would work nowhere.",
            hint=(
                "Set WEBAUTHN_RP_ID to the site's domain (area-clienti.example.it) and "
                "WEBAUTHN_ORIGINS to its https:// origins, comma-separated."
            ),
            id="security.E001",
        )
    ]
