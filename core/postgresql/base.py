"""Django's PostgreSQL backend, with the health check of a persistent connection skipped
while the connection answered a moment ago.

Django checks a persistent connection (`CONN_HEALTH_CHECKS`) with a `SELECT 1` at the first
query of every request: a quarter of a millisecond of CPU, a sixth of what a signed-in
request pays before its page's work. A connection that served a request without an error
less than RECENT_SECONDS ago is taken as sound, as PgBouncer's `server_check_delay` takes
its server connections: a busy worker checks none, an idle one checks before its next page.
The price: a connection that broke within that second (PostgreSQL restarted under load)
fails the one request that finds it (a 503 with Retry-After, as any outage), and is
replaced at that request's end."""

from __future__ import annotations

import time

from django.db.backends.postgresql import base

RECENT_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    answered_at = float("-inf")

    def close_if_health_check_failed(self) -> None:
        if self.connection is not None and time.monotonic() - self.answered_at < RECENT_SECONDS:
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close_if_unusable_or_obsolete(self) -> None:
        # At a request's end (and start): a connection the request used without an error
        # has just answered. `health_check_done` says it was used (checked, or opened).
        answered = self.connection is not None and self.health_check_done
        answered = answered and not self.errors_occurred
        super().close_if_unusable_or_obsolete()
        if answered and self.connection is not None:
            self.answered_at = time.monotonic()
