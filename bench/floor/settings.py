"""The floor under the throughput ratio in `make bench`: the app exactly as served, except
that /linee/ answers with a page-sized body after the same access check, with no queries or
template of its own. What it costs is what every signed-in page pays first (gunicorn, the
middleware, the session, the user and the role matrix)."""

from area_clienti.settings import *  # noqa: F403 - the app's own settings, one changed

ROOT_URLCONF = "bench.floor.urls"
