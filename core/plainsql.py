"""Plain reads for the few queries every page makes (its session, the header's counts), where
building the query through the ORM cost more CPU than PostgreSQL took to answer it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, connections, models, router


def fetch_one(
    model: type[models.Model], query: str, params: Sequence[Any] | Mapping[str, Any]
) -> tuple[Any, ...] | None:
    """The first row of `query`, read from the database the router gives `model`'s reads
    (the replica router's rules apply, as to the ORM's reads). Values come as the driver
    gives them: no field converters."""
    with connections[router.db_for_read(model)].cursor() as cursor:
        cursor.execute(query, params)
        row: tuple[Any, ...] | None = cursor.fetchone()
    return row


def quoted_table(model: type[models.Model]) -> str:
    """`model`'s table, quoted for SQL: alike on every database here (a primary and its
    replica, one engine)."""
    return connection.ops.quote_name(model._meta.db_table)
