"""Whether a database answers through a connection pooler such as PgBouncer.

A transaction pooler (PgBouncer's ``pool_mode = transaction``) gives each transaction
whichever server connection is free: what a client leaves on one between transactions (a
prepared statement, a cursor ``WITH HOLD``) is gone on its next transaction, or belongs
to another client's. The session SQL prepares its statements only where they stay, so it
asks here first. Imported by ``sql`` and the system checks; imports nothing of
the package.
"""

from __future__ import annotations

from typing import Any

# alias -> whether its connections go through a pooler, as the first one answered.
_verdicts: dict[str, bool] = {}


def is_declared(connection: Any) -> bool:
    """Whether the settings say so: ``DISABLE_SERVER_SIDE_CURSORS`` is Django's switch for
    a transaction pooler."""
    return bool(connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"))


def is_pooled(connection: Any) -> bool:
    """Whether statements on ``connection`` (open) may run on different server
    connections: declared in the settings, or seen.

    A pooler answers the client's startup itself, with a backend process id of its own
    (the key a cancel request names, which the pooler must route), while a direct
    connection is handed the id of the server process that serves it. The first open
    connection of each alias in a process compares the two, in one statement, and the
    verdict stands for the process (``mark_pooled`` overrides it).
    """
    if is_declared(connection):
        return True
    verdict = _verdicts.get(connection.alias)
    if verdict is None:
        verdict = _ask(connection)
        if verdict is None:
            return True  # no answer now: assume the pooler, which only costs the planning
        _verdicts[connection.alias] = verdict
    return verdict


def mark_pooled(connection: Any) -> None:
    """Remember that ``connection``'s alias answers through a pooler after all: a
    statement prepared on one of its connections went missing."""
    _verdicts[connection.alias] = True


def _ask(connection: Any) -> bool | None:
    raw = connection.connection
    if connection.vendor != "postgresql" or raw is None or connection.needs_rollback:
        return None
    info = getattr(raw, "info", None)  # psycopg 3; psycopg2 has get_backend_pid()
    announced = info.backend_pid if info is not None else raw.get_backend_pid()
    # The driver's own cursor: a check made once per process is not one of the
    # application's queries (nothing captures it, no query count includes it).
    with connection.wrap_database_errors, raw.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (actual,) = cursor.fetchone()
    return bool(actual != announced)
