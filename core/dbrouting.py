"""Reads of the heaviest pages from a streaming replica of the database (DATABASE_REPLICA_URL;
settings install `ReplicaRouter` and `RecentWriteMiddleware` only then).

A page opts in with `@reads_from_replica`; only its GET and HEAD requests read from the
replica, and only until the request writes (a session, a log line) or opens a transaction:
from then on they read their own writes, on the primary. For a few seconds after a person's
own write (any other method: a top-up, a threshold) their pages read from the primary too,
so that the page they go back to shows it. Everything outside such a page (the other pages,
tasks, commands) reads and writes the primary, and only the primary migrates.

A replica more than REPLICA_MAX_LAG_SECONDS behind the primary is not read (asked at most
once a second per process). One that does not answer (stopped, restarting, unreachable within
its connect_timeout) is left alone for REPLICA_PAUSE_SECONDS, so that each request does not
wait for it; one that fails in the middle of a page has the page read again from the primary.

A streamed response (the CSV exports) reads its rows after the view returned: they are read
in the page's context too, from the database the page chose. A replica failing then cuts the
download (its headers are sent): the person downloads it again, from the primary.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.db import DEFAULT_DB_ALIAS, Error, InterfaceError, OperationalError, connections
from django.db.models import Model
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase

REPLICA = "replica"
REPLICA_PAUSE_SECONDS = 10
REPLICA_MAX_LAG_SECONDS = 5
# A query per page would add a round trip to each; a second more of lag is within the bound.
LAG_CHECK_SECONDS = 1
RECENT_WRITE_COOKIE = "recent_write"
RECENT_WRITE_SECONDS = 10

# The replica's lag in seconds: none when it has replayed all it received (an idle primary
# sends nothing, so the last replayed transaction's age says nothing then) or when it is no
# replica at all (promoted); NULL, so behind, when it has replayed nothing since it started.
_LAG_SQL = """
    SELECT CASE
        WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
        THEN 0
        ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())
    END
"""

logger = logging.getLogger(__name__)


@dataclass
class _PageReads:
    """Where the reads of one request to a replica page go."""

    wrote: bool = False
    # Decided at its first read, so that one page reads from one database.
    on_replica: bool | None = None


_page: ContextVar[_PageReads | None] = ContextVar("replica_page", default=None)
# Per process: time.monotonic() until which the replica is not tried; when its lag was last
# asked, and whether it was within the bound then (at first, so that falling behind at the
# first check is logged too).
_replica_paused_until = 0.0
_lag_checked_at = float("-inf")
_replica_current = True


def _pause_replica() -> None:
    global _replica_paused_until
    _replica_paused_until = time.monotonic() + REPLICA_PAUSE_SECONDS
    logger.warning(
        "The replica does not answer: reads go to the primary for %d s", REPLICA_PAUSE_SECONDS
    )


def _replica_is_current() -> bool:
    global _lag_checked_at, _replica_current
    now = time.monotonic()
    if now - _lag_checked_at >= LAG_CHECK_SECONDS:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(_LAG_SQL)
            (lag,) = cursor.fetchone()
        current = lag is not None and lag < REPLICA_MAX_LAG_SECONDS
        if _replica_current and not current:
            logger.warning("The replica is %s s behind: reads go to the primary", lag)
        _lag_checked_at, _replica_current = now, current
    return _replica_current


def _replica_answers() -> bool:
    if time.monotonic() < _replica_paused_until:
        return False
    replica = connections[REPLICA]
    try:
        # What a query would do first (a persistent connection checked once per request
        # unless it answered a moment ago, core.postgresql; then opened if need be), and
        # the lag query, done here so that a failure costs no error page: the primary serves.
        replica.close_if_health_check_failed()
        replica.ensure_connection()
        return _replica_is_current()
    except Error:
        _pause_replica()
        return False


class ReplicaRouter:
    """Django's database router for a primary ("default") and its replica."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        page = _page.get()
        if page is None or page.wrote or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        if page.on_replica is None:
            page.on_replica = _replica_answers()
        return REPLICA if page.on_replica else DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        page = _page.get()
        if page is not None:
            page.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # the same data on both

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool:
        return db == DEFAULT_DB_ALIAS


# Set on a request by shown_after_a_write_elsewhere.
_SHOWN_AFTER_WRITE = "area_clienti.shown_after_a_write_elsewhere"


def shown_after_a_write_elsewhere(request: HttpRequest) -> None:
    """This page shows the person what was written for them by someone else (a payment
    provider's callback settling their payment): their replica pages read from the primary
    for RECENT_WRITE_SECONDS, as after a write of their own, so that the next page does not
    show the credit or the invoice as they were before."""
    request.META[_SHOWN_AFTER_WRITE] = True


class RecentWriteMiddleware:
    """Marks the browser of a person who just wrote (any method but GET and HEAD), or was
    shown a write made for them (shown_after_a_write_elsewhere), for RECENT_WRITE_SECONDS,
    during which their replica pages read from the primary. The cookie is not signed: forged
    or kept, it can only send someone's reads to the primary."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD") or request.META.get(_SHOWN_AFTER_WRITE):
            response.set_cookie(
                RECENT_WRITE_COOKIE,
                "1",
                max_age=RECENT_WRITE_SECONDS,
                secure=request.is_secure(),
                httponly=True,
                samesite="Lax",
            )
        return response


def _streamed_in(page: _PageReads, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """`chunks` produced with the page's reads routed as in the view. The context is set
    around each chunk only, never held across a yield: what the server does between chunks
    is no part of the page, and it may close the generator from another context."""
    while True:
        token = _page.set(page)
        try:
            chunk = next(chunks)
        except StopIteration:
            return
        finally:
            _page.reset(token)
        yield chunk


View = Callable[..., HttpResponseBase]


def reads_from_replica(view: View) -> View:
    """A read-only page whose GET may read from the replica, where there is one (the router
    decides; without it this changes nothing). Goes under the access declaration, so that
    the person and the session are read from the primary first."""

    @wraps(view)
    def on_replica(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD") or RECENT_WRITE_COOKIE in request.COOKIES:
            return view(request, *args, **kwargs)
        page = _PageReads()
        token = _page.set(page)
        try:
            try:
                response = view(request, *args, **kwargs)
            except (OperationalError, InterfaceError):
                # The replica went away during the page (stopped, or a query cancelled by its
                # recovery): the page is read again from the primary. Only then, as its
                # connection's errors_occurred says: the primary's failure, or the page's own
                # (a DataError never gets here), would only fail twice.
                if not page.on_replica or page.wrote or not connections[REPLICA].errors_occurred:
                    raise
                _pause_replica()
                connections[REPLICA].close()
                page.on_replica = False
                response = view(request, *args, **kwargs)
        finally:
            _page.reset(token)
        # A file is read from disk, and keeps the server's sendfile.
        if isinstance(response, StreamingHttpResponse) and not isinstance(response, FileResponse):
            content = response.streaming_content
            if isinstance(content, Iterator):  # an async stream (none here) needs its own
                response.streaming_content = _streamed_in(page, content)
        return response

    return on_replica
