"""Django's PostgreSQL backend, with the health check of a persistent connection skipped
while the connection answered a moment ago.

Django checks a persistent connection (`CONN_HEALTH_CHECKS`) with a `SELECT 1` at the first
query of every request: a quarter of a millisecond of CPU, a sixth of what a signed-in
request pays before its page's work. A connection that served a request without an error
less than RECENT_SECONDS ago is taken as sound, as PgBouncer's `server_check_delay` takes
its server connections: a busy worker checks none, an idle one checks before its next page.
The price: a connection that broke within that second (PostgreSQL restarted under load)
fails the one request that finds it (a 503 with Retry-After, as any outage), and is
replaced at that request's end. django-tasks' db_worker calls the same hooks around each
task, so the same second applies between two tasks: a restart in it fails the worker's next
read as a read during the restart itself would fail."""

from __future__ import annotations

import time

from django.db.backends.postgresql import base

RECENT_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    answered_at = float("-inf")
    used_at: float | None = None  # the request's last cursor or transaction, if any

    def close_if_health_check_failed(self) -> None:
        # Every cursor and transaction of a request comes here first.
        if self.connection is not None and time.monotonic() - self.answered_at < RECENT_SECONDS:
            self.health_check_done = True
        else:
            super().close_if_health_check_failed()
        self.used_at = time.monotonic()

    def close_if_unusable_or_obsolete(self) -> None:
        # At a request's end (and start): a connection the request last used without an
        # error answered then. Taken here, so nothing else (a request's start after a
        # failed one, a long render after the last query) counts as an answer.
        used_at, self.used_at = self.used_at, None
        errors = self.errors_occurred
        super().close_if_unusable_or_obsolete()
        if used_at is not None and not errors and self.connection is not None:
            self.answered_at = used_at
