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
        time.sleep(0.5)
    for thread in threads:
        thread.join()
    return answers
