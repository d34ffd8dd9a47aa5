"""Settings for every environment, read from the process environment.

`make run` needs nothing set (a DEMO on SQLite); production sets at least SECRET_KEY,
DATABASE_URL and ALLOWED_HOSTS and uses `area_clienti.production` for what truly differs.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.utils.translation import gettext_lazy as _

# Lets generic admin and form classes be subscripted at run time (ModelAdmin[Company]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
# The local demo (`make run`): a fixed key, e-mails on the console, readable logs. Its web
# server runs with DEMO on and DEBUG off, so that people meet the product's own 404 and 500
# pages, which Django replaces with its debug pages whenever DEBUG is on. DEBUG implies it.
DEMO = env_bool("DEMO") or DEBUG

# A fixed key is only acceptable for a local demo; anything else must set SECRET_KEY.
SECRET_KEY = env_str("SECRET_KEY") or (
    "django-insecure-local-demo-key-only-for-debug" if DEMO else ""
)
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG and DEMO are off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "axes",
    "csp",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "area_clienti",
    "accounts",
    "tracking",
    "security",
    "billing",
    "consumption",
    "costs",
    "lines",
    "offers",
    "support",
    "backoffice",
    "api",
]

MIDDLEWARE = [
    "area_clienti.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "area_clienti.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "area_clienti.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "area_clienti.middleware.SessionRenewalMiddleware",
    "area_clienti.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed a second factor.
    "django_otp.middleware.OTPMiddleware",
    # A session still owing its second factor reaches only the pages that settle it.
    "security.middleware.SecondFactorMiddleware",
    # The new-browser cookie after a sign-in; a session's last activity, once a minute.
    "security.sessions.SessionActivityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "area_clienti.middleware.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # axes last: it turns a lockout signalled by the authentication backend into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "area_clienti.urls"
WSGI_APPLICATION = "area_clienti.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "area_clienti.context_processors.shell",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        # A connection broken while the database was away is replaced on the next request.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, without the health check of a connection that answered a moment ago.
    DATABASES["default"]["ENGINE"] = "core.postgresql"
    # The pages' queries are short: JIT compilation costs more (100 ms and up, once the
    # statistics say a query is big) than it could ever save them.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo: the web server's threads and the task worker write to one file. A
    # transaction takes the write lock when it begins (IMMEDIATE), so two writers queue
    # for up to `timeout` seconds instead of one failing with "database is locked" when it
    # upgrades a read; WAL lets pages read while somebody writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
# A streaming replica of the primary: the usage pages read from it, anything else (and any
# read after a write) uses the primary, and so do its pages while it does not answer
# (core/dbrouting.py). Unset: one database, no router.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
        engine="core.postgresql",
    )
    # The primary's session options (jit=off), then the replica URL's own (sslmode...); a
    # replica that does not answer is given up on after 2 s, not the system's minutes.
    DATABASES["replica"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        **DATABASES["replica"].get("OPTIONS", {}),
        "connect_timeout": 2,
    }
    # Tests read the replica's tables from the test database itself.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["core.dbrouting.ReplicaRouter"]
    MIDDLEWARE.append("core.dbrouting.RecentWriteMiddleware")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # "Accedi con una passkey": the passkey is the whole sign-in (security/passkeys.py).
    "django_otp_webauthn.backends.WebAuthnBackend",
    # Global capability checks come from the role matrix, object checks from guardian.
    "accounts.backends.RoleMatrixBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "accounts.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 2

# Sessions live in the database so that logout ends them server-side (core/sessions.py:
# Django's engine, read with a plain query); the cookie's age is renewed on every request,
# so 30 minutes of inactivity end the session.
# With Redis (REDIS_URL), the cache and the sessions live there, shared by every web worker;
# without it, a per-process cache and sessions in the database.
SESSION_ENGINE = "core.sessions"
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"

SESSION_COOKIE_AGE = 30 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Two-factor sign-in (security/). Staff need a second factor whenever DEBUG is off;
# customers when their company's policy says so (Company.two_factor_policy).
STAFF_REQUIRE_SECOND_FACTOR = not DEBUG
OTP_TOTP_ISSUER = "Area Clienti Business"
OTP_WEBAUTHN_RP_NAME = "Area Clienti Business"
# The domain passkeys are bound to, and the origins they may be used from (https://...).
# Unset in the local demo: the host and port the browser asked for stand in for them
# (security/passkeys.py; open the demo at http://localhost:PORT, which browsers count as
# secure, an IP address is no passkey domain). A deployment must set both (security.E001).
OTP_WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list("WEBAUTHN_ORIGINS")
OTP_WEBAUTHN_HELPER_CLASS = "security.passkeys.PasskeyHelper"
# django-otp-webauthn wants both set everywhere, the demo and the tests too: security.E001
# asks it of a deployment (`check --deploy`) instead.
SILENCED_SYSTEM_CHECKS = ["otp_webauthn.E010", "otp_webauthn.E030"]

# django-guardian holds only the per-line Referente delegations; there is no anonymous user.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# django-axes: lock a username from an address after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Not on the password alone: wrong second-factor codes count toward the same lockout, and
# the count is reset only when the whole sign-in succeeds (security/two_factor.py).
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Lockout, rate limits and logs count the client's address, read through the trusted proxies.
AXES_CLIENT_IP_CALLABLE = "core.proxies.client_address"

# How many proxies (load balancers) in front of the app append to X-Forwarded-For: the
# client's address is the one the outermost of them saw. 0 (the default) trusts none and
# counts the socket's address; production says how many it has (core/proxies.py).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

LANGUAGE_CODE = "it"
LANGUAGES = [("it", _("Italiano")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Rome"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["area_clienti.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# assets/ holds the project's own CSS/JS and, after `make assets`, the npm packages in vendor/.
STATICFILES_DIRS = [BASE_DIR / "assets"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Without collectstatic (demo, tests) whitenoise serves straight from the finders.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# The largest request body read into memory: the usage API takes up to 10,000 records a
# call (some 2 to 3 MB of JSON); bigger bodies get a 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Files customers attach to requests to the experts.
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024

# The network's line-test system for fixed-line diagnosis (support/diagnostics.py).
DIAGNOSTICS_BACKEND = env_str("DIAGNOSTICS_BACKEND", "support.diagnostics.SimulatedDiagnostics")
# The operator's numbering and SIM inventory for new lines (lines/provisioning.py); the
# default simulator is refused by the deploy checks.
SIM_PROVISIONING = env_str("SIM_PROVISIONING", "lines.provisioning.SimulatedProvisioning")

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEMO
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Area Clienti Business <noreply@example.it>")
# The customer area's address, for links in e-mails sent with no request to read it from
# (monthly reports, alerts of the usage import). Production sets it (security.E002).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where a customer's answer to a request is announced when no operator of ours asked for it
# (a request another channel put on hold); empty: the back office's list is the notice.
BACK_OFFICE_EMAIL = env_str("BACK_OFFICE_EMAIL")

# Strict CSP: no inline script or style anywhere; Bootstrap's icons are data: URIs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Django's Tasks API: large invoices' PDFs, invoice archives, refunds and alert e-mails are
# made by a worker: `manage.py db_worker` on the database (the default), or, to scale out,
# RQ workers on Redis (TASKS_BACKEND=django_tasks_rq.RQBackend and TASKS_REDIS_URL), each
# started as `manage.py rqworker default --with-scheduler`: the scheduler (one at a time, RQ
# locks it) moves deferred tasks, such as a refund asked again later, to the queue when they
# are due. The queue has a Redis database of its own: clearing the cache (FLUSHDB) would
# drop every job waiting in it.
TASKS_BACKEND = env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
TASKS = {"default": {"BACKEND": TASKS_BACKEND}}
if TASKS_BACKEND == "django_tasks_rq.RQBackend":
    from urllib.parse import parse_qs, urlsplit

    def redis_database(url: str) -> tuple[str, int, str]:
        """Host, port and database of a Redis URL: one database however it is written."""
        parts = urlsplit(url)
        database = parse_qs(parts.query).get("db", [parts.path.strip("/") or "0"])[0]
        return parts.hostname or "localhost", parts.port or 6379, database

    TASKS_REDIS_URL = env_str("TASKS_REDIS_URL")
    if not TASKS_REDIS_URL or (
        REDIS_URL and redis_database(TASKS_REDIS_URL) == redis_database(REDIS_URL)
    ):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "The RQ task backend needs TASKS_REDIS_URL, a Redis database other than the"
            " cache's (REDIS_URL): clearing the cache would drop the queued jobs."
        )
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {
        "default": {
            "URL": TASKS_REDIS_URL,
            # Beyond this a job is stopped: the largest PDFs and archives take minutes.
            "DEFAULT_TIMEOUT": 30 * 60,
            # A job whose worker is lost runs again (area_clienti/task_queue.py).
            "QUEUE_CLASS": "area_clienti.task_queue.Queue",
        }
    }
    RQ = {
        # django-tasks-rq's jobs, and our worker, without options on the command line.
        "JOB_CLASS": "django_tasks_rq.Job",
        "WORKER_CLASS": "area_clienti.task_queue.Worker",
    }
    # No queue dashboard in the admin: its pages (job arguments, statistics for any staff)
    # would stand outside the access declarations that tests/authz sweeps.
    RQ_SHOW_ADMIN_LINK = False

# Online payments: "sandbox" (the default: test cards, nothing charged) or "stripe".
PAYMENT_GATEWAY = env_str("PAYMENT_GATEWAY", "sandbox")
SANDBOX_GATEWAY_SECRET = env_str("SANDBOX_GATEWAY_SECRET")
STRIPE_API_KEY = env_str("STRIPE_API_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")

# The operator, as it appears on its invoices.
INVOICE_SELLER = {
    "name": env_str("SELLER_NAME", "Area Business Telecomunicazioni S.p.A."),
    "address": env_str("SELLER_ADDRESS", "Via dei Mille 100, 00185 Roma (RM)"),
    "vat_number": env_str("SELLER_VAT_NUMBER", "IT09876540010"),
    "tax_code": env_str("SELLER_TAX_CODE", "09876540010"),
    "rea": env_str("SELLER_REA", "RM-1234567"),
    "share_capital": env_str("SELLER_SHARE_CAPITAL", "10.000.000,00 € i.v."),
    "iban": env_str("SELLER_IBAN", "IT60X0542811101000000123456"),
}
# Processes that render a large invoice's PDF in chunks (billing/pdf.py): by default the
# cores this process may use (more would only take turns on them).
PDF_PROCESSES = env_int(
    "PDF_PROCESSES",
    # The affinity is Linux's alone; elsewhere the machine's cores.
    len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1,
)

# Requests a client address may make (POST) per period, by group (core/ratelimits.py).
RATE_LIMITS = {
    "login": env_str("RATE_LIMIT_LOGIN", "20/m"),
    "password-reset": env_str("RATE_LIMIT_PASSWORD_RESET", "5/h"),
    "api": env_str("RATE_LIMIT_API", "600/m"),
    # ZIP archives of invoices, per person: each costs the worker a PDF and XML per invoice.
    "archives": env_str("RATE_LIMIT_ARCHIVES", "10/d"),
}

# How long clients should wait when the database is unreachable (the 503 page).
RETRY_AFTER_SECONDS = 30

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "area_clienti.observability.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "area_clienti.observability.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            # JSON lines for a log collector in production; LOG_FORMAT=text to read them.
            "formatter": env_str("LOG_FORMAT", "text" if DEMO else "json"),
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        # One line per request from RequestIdMiddleware; runserver's own lines suffice in a demo.
        "area_clienti.requests": {
            "level": env_str("ACCESS_LOG_LEVEL", "WARNING" if DEMO else "INFO")
        },
    },
}
