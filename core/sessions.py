"""Sessions in the database, as Django's `db` engine keeps them, read with one plain query.

Every signed-in request reads its session before anything else; building that query through
the ORM cost more than running it (0.39 ms against 0.14 ms a read, measured on the bench
database). Writes, expiry and clearing stay Django's."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.utils import timezone

from core.plainsql import fetch_one, quoted_table


class SessionStore(db.SessionStore):
    def load(self) -> dict[str, Any]:
        """The session's data, or {} (and no key: a new one is made on saving) when it is
        unknown or expired, as Django's own engine answers."""
        table = quoted_table(self.model)
        query = f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s"  # noqa: S608 - the model's own table
        row = fetch_one(self.model, query, [self.session_key, timezone.now()])
        if row is None:
            self._session_key = None
            return {}
        data: dict[str, Any] = self.decode(row[0])
        return data
