"""Bare Django, the reference of the throughput ratio in `make bench`: one view rendering a
50-row template, no database, no middleware beyond security."""

SECRET_KEY = "bench-bare-only"  # noqa: S105 - serves a static table on localhost, for a benchmark
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.bare.urls"
WSGI_APPLICATION = "bench.bare.wsgi.application"
INSTALLED_APPS: list[str] = []
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
DATABASES: dict[str, dict[str, str]] = {}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [__file__.rsplit("/", 1)[0] + "/templates"],
    }
]
USE_TZ = True
