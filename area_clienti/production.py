"""Production: what differs from the environment-driven defaults (TLS, hashed static files)."""

from .settings import *  # noqa: F403
from .settings import STORAGES, env_bool, env_int, env_str

if DEMO:  # noqa: F405 - from .settings
    # The demo's fixed key and console e-mails must never reach customers.
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DEMO and DEBUG are for the local demo only: unset them.")
DEBUG = False
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Behind a TLS-terminating load balancer that sets X-Forwarded-Proto and appends the
# client's address to X-Forwarded-For (more than one proxy in front: say how many).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
# Real payments only: no default gateway, and the app refuses to start on the sandbox, on
# a provider without its keys or with test-mode keys (billing/apps.py, billing/checks.py).
PAYMENT_GATEWAY = env_str("PAYMENT_GATEWAY")
PAYMENT_GATEWAY_REQUIRED = True
# Real numbers and SIM cards only: the app refuses to start on the provisioning simulator
# (lines/apps.py), which would hand customers invented ones.
SIM_PROVISIONING_REQUIRED = True
WHITENOISE_USE_FINDERS = False  # collectstatic has run: serve the hashed, compressed files
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
