"""Two requests at once, as a double click or a retry makes them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.db import connection, models, transaction


def twice_while_locked(call: Callable[[], object], locked: models.QuerySet) -> list[object]:
    """Run `call` in two threads that both arrive while this thread holds the row lock of
    `locked` (one row), so both get past any look-up done before the lock and then queue
    on it. Returns what each call returned or raised."""
    answers: list[object] = []

    def submit() -> None:
        try:
            answers.append(call())
        except Exception as error:  # the test reports it
            answers.append(error)
        finally:
            connection.close()

    with transaction.atomic():
        locked.select_for_update().get()
        threads = [threading.Thread(target=submit) for _ in range(2)]
        for thread in threads:
            thread.start()
        wait_for_lock_waiters(2)
    for thread in threads:
        thread.join()
    return answers


def wait_for_lock_waiters(count: int, timeout: float = 10) -> None:
    """Return once `count` other sessions of this database wait on a lock (a row's, an
    advisory one): the threads under test have really met it, however slow they were to
    start. Fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Within a transaction the activity view is a snapshot: take a new one.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= count:
                return
            time.sleep(0.05)
    raise AssertionError(f"{count} sessions never waited on a lock")
