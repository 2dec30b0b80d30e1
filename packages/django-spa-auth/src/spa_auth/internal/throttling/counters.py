"""Throttle counters in their own table, each change one atomic statement.

``INSERT … ON CONFLICT DO UPDATE … RETURNING`` (SQLite ≥ 3.35, PostgreSQL) reads and
changes a counter in one step, so concurrent attempts each get their own number: there
is no window between a check and an increment for a burst of requests to slip through.
Times are seconds since the epoch. Imported by ``throttling`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connections, router

from ...models import ThrottleCounter


@dataclass(frozen=True)
class Count:
    count: int
    allowed: int
    expires_at: float
    locked_until: float


def _table() -> tuple[str, str, str]:
    alias = str(router.db_for_write(ThrottleCounter))
    connection = connections[alias]
    greatest = "max" if connection.vendor == "sqlite" else "greatest"
    return alias, connection.ops.quote_name(ThrottleCounter._meta.db_table), greatest


# Column names are SQL words ("key", "count"): always quoted, as the ORM would.
_KEY, _COUNT, _ALLOWED = '"key"', '"count"', '"allowed"'
_EXPIRES, _LOCKED = '"expires_at"', '"locked_until"'


def increment(key: str, *, now: float, window: float, allowed: int) -> Count:
    """Add one to ``key``, unless it is locked. A counter past ``expires_at`` restarts at
    one, with ``allowed`` attempts and its window ending at ``now + window``."""
    alias, t, _ = _table()
    expired = f"{t}.{_EXPIRES} <= %s"
    sql = (
        f"INSERT INTO {t} ({_KEY}, {_COUNT}, {_ALLOWED}, {_EXPIRES}, {_LOCKED}) "  # noqa: S608
        f"VALUES (%s, 1, %s, %s, 0) ON CONFLICT ({_KEY}) DO UPDATE SET "
        f"{_COUNT} = CASE WHEN {expired} THEN 1 WHEN {t}.{_LOCKED} > %s THEN {t}.{_COUNT} "
        f"ELSE {t}.{_COUNT} + 1 END, "
        f"{_ALLOWED} = CASE WHEN {expired} THEN excluded.{_ALLOWED} ELSE {t}.{_ALLOWED} END, "
        f"{_LOCKED} = CASE WHEN {expired} THEN 0 ELSE {t}.{_LOCKED} END, "
        f"{_EXPIRES} = CASE WHEN {expired} THEN excluded.{_EXPIRES} ELSE {t}.{_EXPIRES} END "
        f"RETURNING {_COUNT}, {_ALLOWED}, {_EXPIRES}, {_LOCKED}"
    )
    params: list[Any] = [key, allowed, now + window, now, now, now, now, now]
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        count, allowed_now, expires_at, locked_until = cursor.fetchone()
    return Count(int(count), int(allowed_now), float(expires_at), float(locked_until))


def decrement(key: str, *, now: float) -> None:
    """Give back one attempt (a reservation that was refused, or that succeeded); a counter
    back at zero and not locked is deleted, so successes leave no rows behind."""
    alias, t, _ = _table()
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"UPDATE {t} SET {_COUNT} = {_COUNT} - 1 "  # noqa: S608
            f"WHERE {_KEY} = %s AND {_COUNT} > 0",
            [key],
        )
        cursor.execute(
            f"DELETE FROM {t} WHERE {_KEY} = %s AND {_COUNT} = 0 "  # noqa: S608
            f"AND {_LOCKED} <= %s",
            [key, now],
        )


def lock(key: str, *, until: float, keep_until: float, allowed: int) -> None:
    """Refuse ``key`` until ``until``, then allow attempts up to number ``allowed``, and
    keep its count until ``keep_until``. Never shortens or lowers any of them: of two
    concurrent failures, the longer lock wins."""
    alias, t, greatest = _table()
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"UPDATE {t} SET {_LOCKED} = {greatest}({_LOCKED}, %s), "  # noqa: S608
            f"{_EXPIRES} = {greatest}({_EXPIRES}, %s), "
            f"{_ALLOWED} = {greatest}({_ALLOWED}, %s) WHERE {_KEY} = %s",
            [until, keep_until, allowed, key],
        )


def extend(key: str, *, keep_until: float) -> None:
    """Keep the count of ``key`` until at least ``keep_until``."""
    alias, t, greatest = _table()
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"UPDATE {t} SET {_EXPIRES} = {greatest}({_EXPIRES}, %s) "  # noqa: S608
            f"WHERE {_KEY} = %s",
            [keep_until, key],
        )


def live_count(key: str, *, now: float) -> int:
    """The count of ``key`` while its window lasts, else 0; reads, changes nothing."""
    alias, t, _ = _table()
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"SELECT {_COUNT} FROM {t} WHERE {_KEY} = %s AND {_EXPIRES} > %s",  # noqa: S608
            [key, now],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0
