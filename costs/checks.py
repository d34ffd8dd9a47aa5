"""E-mails sent with no request to read the address from (the monthly reports, the alerts
of the usage import) link to SITE_URL: a deployment must say it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


@register(Tags.security, deploy=True)
def check_site_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEMO or settings.SITE_URL.startswith("https://"):
        return []
    return [
        Error(
            f"SITE_URL is {settings.SITE_URL!r}: e-mails would link to it.",
            hint="Set SITE_URL to the customer area's https:// address.",
            id="costs.E001",
        )
    ]
