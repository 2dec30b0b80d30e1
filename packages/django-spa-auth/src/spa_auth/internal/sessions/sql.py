"""The two statements on the hot paths, as SQL prepared once per process.

Reading a session with its user (every authenticated request) and rotating a refresh
token (every refresh) are each one indexed statement. The ORM's query building costs
several times SQLite's indexed lookup itself, so these are built once from the models'
metadata (``statements``; any user model works) and rows become model instances through
``Model.from_db`` with the ORM's own converters, as a queryset would build them.
Only quoted identifiers from the models are interpolated; values are parameters.
Each statement is one round trip: the connection health check that Django would send
first (``CONN_HEALTH_CHECKS``) is done here without one (``_check_idle_connection``), and
on PostgreSQL the statements are prepared once per connection (``_run``), so the server
does not plan the join again on every request, unless a transaction pooler stands in
between (``pooler``). Imported by ``store`` only.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import logging
import re
import select
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DatabaseError, connections, router

from ...models import Session
from . import pooler
from .statements import _statements

logger = logging.getLogger("spa_auth")


def _session_key(session_id: uuid.UUID, connection: Any) -> Any:
    # What Django's UUIDField stores: a native uuid, or 32 hex digits elsewhere (SQLite).
    return session_id if connection.features.has_native_uuid_field else session_id.hex


def _alias() -> str:
    """Sessions are read where they are written: a read replica that lags would let a
    revoked session through, and revocation must hold on the very next request."""
    return str(router.db_for_write(Session))


# Raw connections, and the names of the statements prepared on each (they die with it).
_prepared_on: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def _run(connection: Any, sql: str, params: list[Any]) -> Any:
    """One row of ``sql``.

    When nothing observes the connection's queries, the statement goes to the driver's
    own cursor: Django's cursor wrapper, its per-call rewrite of SQLite's placeholders
    and its context managers cost as much as SQLite's indexed lookup itself. Query
    capture (``assertNumQueries``, ``CaptureQueriesContext``, ``DEBUG``'s query log),
    ``connection.execute_wrapper()`` hooks and backends that subclass Django's see these
    statements as any other: with any of them they go through Django's cursor
    (``_on_the_drivers_cursor``). Errors are Django's either way.

    PostgreSQL plans a statement each time it receives one: for the joined lookup of the
    hot path that is about half of the round trip. On PostgreSQL the statement is prepared
    the first time a connection runs it (alongside opening the connection, one more round
    trip in its life) and executed by name after that, unless the connection goes through
    a transaction pooler, where the next transaction may run on another server
    connection (``pooler``).
    """
    _check_idle_connection(connection)
    # What Django's cursor() does first, and the prepared names need the open connection.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    if _can_prepare(connection):
        name, prepare = _prepared_form(sql)
        names = _prepared_on.setdefault(connection.connection, set())
        try:
            if name not in names:
                _execute(connection, prepare, None)
                names.add(name)
            return _execute(connection, _execute_form(name, len(params)), params)
        except DatabaseError as error:  # the SQLSTATE tells, whichever class the driver chose
            # A pooler the check did not see: the statement was prepared on another server
            # connection, or another client's is there. From now on the plain statement
            # runs; now too outside a transaction, where nothing is left half done (inside
            # one the transaction is lost either way).
            if not _lost_to_a_pooler(error):
                raise
            pooler.mark_pooled(connection)
            logger.warning(
                "Database %r lost a prepared statement: it answers through a transaction "
                "pooler; set DISABLE_SERVER_SIDE_CURSORS = True in its settings.",
                connection.alias,
            )
            if connection.in_atomic_block:
                raise
    return _execute(connection, sql, params)


# "prepared statement … does not exist", "prepared statement … already exists".
_LOST_TO_A_POOLER = frozenset({"26000", "42P05"})


def _lost_to_a_pooler(error: Exception) -> bool:
    cause = error.__cause__
    return (getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)) in (
        _LOST_TO_A_POOLER
    )


def _execute(connection: Any, sql: str, params: list[Any] | None) -> Any:
    if not _on_the_drivers_cursor(connection):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone() if cursor.description else None
    # What Django's cursor and its execute() check, then the driver's own cursor: on
    # SQLite the plain one (Django's subclass rewrites the placeholders on every call), on
    # PostgreSQL the backend's (it registers the connection's time zone).
    connection.validate_thread_sharing()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        if connection.vendor == "sqlite":
            cursor = connection.connection.cursor()
        else:
            cursor = connection.create_cursor()
        try:
            if params is None:
                cursor.execute(sql)
            else:
                cursor.execute(_native_placeholders(connection.vendor, sql), params)
            return cursor.fetchone() if cursor.description else None
        finally:
            cursor.close()


# Django's own backends: a subclass may do work per cursor (django-tenants sets the
# search_path in ``_cursor()``), so its statements take Django's way.
_STOCK_BACKENDS = frozenset(
    {"django.db.backends.sqlite3.base", "django.db.backends.postgresql.base"}
)


def _on_the_drivers_cursor(connection: Any) -> bool:
    """Whether nothing would miss a statement that skips Django's cursor: a stock backend,
    no cursor replaced on the connection (Django's ``SimpleTestCase`` forbids queries
    that way), no query capture and no execute wrappers."""
    backend = type(connection)
    return (
        backend.__module__ in _STOCK_BACKENDS
        and backend.__name__ == "DatabaseWrapper"
        and "cursor" not in vars(connection)
        and not connection.queries_logged
        and not connection.execute_wrappers
    )


@functools.lru_cache(maxsize=32)
def _native_placeholders(vendor: str, sql: str) -> str:
    """``sql`` in the driver's parameter style: SQLite's ``?`` for Django's ``%s`` (the
    rewrite Django's SQLite cursor makes on every call); psycopg takes ``%s`` itself."""
    return re.sub(r"(?<!%)%s", "?", sql).replace("%%", "%") if vendor == "sqlite" else sql


@functools.lru_cache(maxsize=32)
def _execute_form(name: str, count: int) -> str:
    return f"EXECUTE {name} ({', '.join(['%s'] * count)})"


def _can_prepare(connection: Any) -> bool:
    options = connection.settings_dict.get("OPTIONS", {})
    return bool(
        connection.vendor == "postgresql"
        # With server-side binding psycopg prepares repeated statements by itself.
        and not options.get("server_side_binding")
        # Behind a transaction pooler (PgBouncer), declared or not, a prepared statement
        # would stay on one server connection while the next transaction runs on another.
        and not pooler.is_pooled(connection)
    )


@functools.lru_cache(maxsize=16)
def _prepared_form(sql: str) -> tuple[str, str]:
    """A name that says which text it prepares, and the PREPARE statement for it."""
    name = "spa_auth_" + hashlib.sha256(sql.encode()).hexdigest()[:16]
    numbers = itertools.count(1)
    return name, f"PREPARE {name} AS " + re.sub("%s", lambda _: f"${next(numbers)}", sql)


def _check_idle_connection(connection: Any) -> None:
    """Django's health check, without its round trip.

    With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before the first query of each
    request on a persistent connection: a second round trip on every authenticated
    request. A server that restarted or ended the connection has already said so on the
    idle socket (its error message, or end of file), so a readable idle socket gives the
    same verdict without asking: the connection is closed and the query opens a new one.
    Inside a transaction, without a socket (SQLite) or with a pool, Django's own rule
    stands.
    """
    if (
        connection.connection is None
        or connection.vendor == "sqlite"  # a file, no socket: Django's check costs nothing
        or not connection.health_check_enabled
        or connection.health_check_done
        or connection.in_atomic_block
        or getattr(connection, "pool", None) is not None
        or not hasattr(select, "poll")
    ):
        return
    try:
        fileno = connection.connection.fileno()
    except (AttributeError, OSError, ValueError, connection.Database.Error):
        return
    poller = select.poll()
    poller.register(fileno, select.POLLIN)
    if poller.poll(0):
        connection.close()
    else:
        connection.health_check_done = True


def fetch_live_user(session_id: uuid.UUID, *, now: datetime) -> tuple[Any, str] | None:
    """The hot path: (user, the session's credential digest) if the session is neither
    revoked nor expired at ``now``; only the user becomes a model instance."""
    alias = _alias()
    connection = connections[alias]
    statements = _statements(alias)
    stamp = connection.ops.adapt_datetimefield_value(now)
    key = _session_key(session_id, connection)
    row = _run(connection, statements.select_live_user, [key, stamp, stamp])
    if row is None:
        return None
    return statements.user.build(list(row[1:]), connection), row[0]


def fetch_session(session_id: uuid.UUID) -> Session | None:
    """The session with its user (cached on it), in one statement."""
    alias = _alias()
    connection = connections[alias]
    statements = _statements(alias)
    row = _run(connection, statements.select, [_session_key(session_id, connection)])
    if row is None:
        return None
    split = len(statements.session.attnames)
    session = statements.session.build(list(row[:split]), connection)
    user = statements.user.build(list(row[split:]), connection)
    Session.user.field.set_cached_value(session, user)
    return session  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Rotated:
    user_id: Any
    absolute_expires_at: datetime
    credential_digest: str
    password_hash: str
    # When and how the user last authenticated, for the new access token.
    auth_time: datetime | None
    amr: str
    password_breached: bool = False


def rotate(
    session_id: uuid.UUID,
    generation: int,
    *,
    now: datetime,
    idle_until: datetime,
    rotated_by: str,
) -> Rotated | None:
    """Compare-and-swap the generation of a live token session whose user is active, in
    one statement that also returns what the caller needs to check the credential."""
    alias = _alias()
    connection = connections[alias]
    adapt = connection.ops.adapt_datetimefield_value
    stamp = adapt(now)
    params = [
        stamp,
        stamp,
        adapt(idle_until),
        rotated_by,
        _session_key(session_id, connection),
        generation,
        Session.Kind.TOKEN.value,
        stamp,
        stamp,
    ]
    statements = _statements(alias)
    if statements.active_param:
        params.append(True)
    row = _run(connection, statements.rotate, params)
    if row is None:
        return None
    expires = row[1]
    for converter in statements.absolute_expiry_converters:
        expires = converter(expires, statements.absolute_expiry_column, connection)
    # The key as the model holds it (SQLite returns a UUID key as 32 hex digits).
    user_id = statements.user.model._meta.pk.to_python(row[0])
    auth_time = row[4]
    for converter in statements.auth_time_converters:
        auth_time = converter(auth_time, statements.auth_time_column, connection)
    return Rotated(
        user_id=user_id,
        absolute_expires_at=expires,
        credential_digest=row[2],
        password_hash=row[3],
        auth_time=auth_time,
        amr=row[5],
        password_breached=bool(row[6]),
    )
