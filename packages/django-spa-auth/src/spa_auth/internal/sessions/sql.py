"""The two statements on the hot paths, as SQL prepared once per process.

Reading a session with its user (every authenticated request) and rotating a refresh
token (every refresh) are each one indexed statement. The ORM's query building costs
several times SQLite's indexed lookup itself, so these are built once from the models'
metadata (any user model works) and rows become model instances through
``Model.from_db`` with the ORM's own converters, as a queryset would build them.
Only quoted identifiers from the models are interpolated; values are parameters.
Each statement is one round trip: the connection health check that Django would send
first (``CONN_HEALTH_CHECKS``) is done here without one (``_check_idle_connection``), and
on PostgreSQL the statements are prepared once per connection (``_run``), so the server
does not plan the join again on every request. Imported by ``store`` only.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import select
import uuid
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, router
from django.db.models import Model

from ...models import Session

# Fields whose converted values are immutable (datetimes, booleans, UUIDs, decimals):
# the same stored text always converts to the same value, so it may be reused.
_REUSABLE = frozenset(
    {"BooleanField", "DateField", "DateTimeField", "DecimalField", "TimeField", "UUIDField"}
)
_REMEMBERED_ROWS = 1024


@dataclass(frozen=True, eq=False)
class _Columns:
    """How to read one model's columns out of a joined row."""

    model: type[Model]
    sql: list[str]
    attnames: list[str]
    converters: list[tuple[int, Any, Any]]  # (position, converter, column): those that have one
    # The positions whose converters are all of reusable fields, and what their stored
    # values converted to: a user's row comes back on every request, and converting its
    # two datetimes and three booleans is half the cost of building the user.
    reusable: tuple[int, ...] = ()
    converted: dict[tuple[Any, ...], list[Any]] = field(default_factory=dict)
    others: list[tuple[int, Any, Any]] = field(default_factory=list)  # the other converters

    @classmethod
    def of(
        cls, model: type[Model], table_alias: str, alias: str, *, reuse: bool = False
    ) -> _Columns:
        """``reuse``: keep converted values (for the user, whose row comes back unchanged;
        a session's times change with every refresh)."""
        connection = connections[alias]
        quote = connection.ops.quote_name
        fields = model._meta.concrete_fields
        converters = []
        for index, model_field in enumerate(fields):
            column = model_field.get_col(model._meta.db_table)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            converters += [(index, converter, column) for converter in found]
        reusable = tuple(
            sorted(
                {
                    index
                    for index, _, _ in converters
                    if reuse and fields[index].get_internal_type() in _REUSABLE
                }
            )
        )
        return cls(
            model,
            [f"{table_alias}.{quote(str(f.column))}" for f in fields],
            [f.attname for f in fields],
            converters,
            reusable,
            others=[each for each in converters if each[0] not in reusable],
        )

    def build(self, values: list[Any], connection: Any) -> Any:
        if self.reusable:
            # The converters read the connection's time zone and USE_TZ: part of the key.
            key = (connection.timezone_name, settings.USE_TZ, *[values[i] for i in self.reusable])
            converted = self.converted.get(key)
            if converted is None:
                converted = self._convert(list(values), connection)
                if len(self.converted) >= _REMEMBERED_ROWS:
                    self.converted.clear()
                self.converted[key] = converted
            for index, value in zip(self.reusable, converted, strict=True):
                values[index] = value
        for index, converter, column in self.others:
            values[index] = converter(values[index], column, connection)
        return self.model.from_db(connection.alias, self.attnames, values)

    def _convert(self, values: list[Any], connection: Any) -> list[Any]:
        """The reusable positions' values, converted."""
        for index, converter, column in self.converters:
            if index in self.reusable:
                values[index] = converter(values[index], column, connection)
        return [values[index] for index in self.reusable]


@dataclass(frozen=True)
class _Statements:
    select: str
    select_live_user: str
    rotate: str
    active_param: bool
    session: _Columns
    user: _Columns
    absolute_expiry_column: Any
    absolute_expiry_converters: list[Any]
    auth_time_column: Any
    auth_time_converters: list[Any]


_prepared: dict[tuple[str, str], _Statements] = {}


def _statements(alias: str) -> _Statements:
    # Keyed by the setting's text: get_user_model() looks the model up in the app registry.
    key = (alias, settings.AUTH_USER_MODEL)
    if key in _prepared:
        return _prepared[key]
    user_model = get_user_model()
    quote = connections[alias].ops.quote_name
    session = _Columns.of(Session, "s", alias)
    user = _Columns.of(user_model, "u", alias, reuse=True)
    table = quote(Session._meta.db_table)
    joined = (
        f"FROM {table} s INNER JOIN {quote(user_model._meta.db_table)} u "
        f"ON u.{quote(str(user_model._meta.pk.column))} = s.{quote('user_id')} "
        f"WHERE s.{quote('id')} = %s"
    )
    select = f"SELECT {', '.join(session.sql + user.sql)} {joined}"
    select_live_user = (
        f"SELECT s.{quote('credential_digest')}, {', '.join(user.sql)} {joined}"
        f" AND s.{quote('revoked_at')} IS NULL"
        f" AND s.{quote('idle_expires_at')} > %s AND s.{quote('absolute_expires_at')} > %s"
    )
    user_table, user_pk = quote(user_model._meta.db_table), quote(str(user_model._meta.pk.column))
    fields = {f.name: f for f in user_model._meta.concrete_fields}
    active = (
        f" AND u.{quote(str(fields['is_active'].column))} = %s" if "is_active" in fields else ""
    )
    password = quote(str(fields["password"].column))
    owner = f"u.{user_pk} = {table}.{quote('user_id')}"
    # The credential digest is keyed, so SQL cannot compute it: the statement returns the
    # user's password hash (a scalar subquery, one round trip) and Python compares.
    rotate = (
        f"UPDATE {table} SET {quote('generation')} = {quote('generation')} + 1, "  # noqa: S608
        f"{quote('rotated_at')} = %s, {quote('last_used_at')} = %s, "
        f"{quote('idle_expires_at')} = %s, {quote('rotated_by')} = %s "
        f"WHERE {quote('id')} = %s AND {quote('generation')} = %s "
        f"AND {quote('kind')} = %s AND {quote('revoked_at')} IS NULL "
        f"AND {quote('idle_expires_at')} > %s AND {quote('absolute_expires_at')} > %s "
        f"AND EXISTS (SELECT 1 FROM {user_table} u WHERE {owner}{active}) "
        f"RETURNING {quote('user_id')}, {quote('absolute_expires_at')}, "
        f"{quote('credential_digest')}, "
        f"(SELECT u.{password} FROM {user_table} u WHERE {owner}), "
        f"{quote('auth_time')}, {quote('amr')}"
    )
    expiry = Session._meta.get_field("absolute_expires_at").get_col(Session._meta.db_table)
    auth_time = Session._meta.get_field("auth_time").get_col(Session._meta.db_table)
    prepared = _Statements(
        select,
        select_live_user,
        rotate,
        bool(active),
        session,
        user,
        expiry,
        connections[alias].ops.get_db_converters(expiry)
        + expiry.get_db_converters(connections[alias]),
        auth_time,
        connections[alias].ops.get_db_converters(auth_time)
        + auth_time.get_db_converters(connections[alias]),
    )
    _prepared[key] = prepared
    return prepared


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
    trip in its life) and executed by name after that.
    """
    _check_idle_connection(connection)
    # What Django's cursor() does first, and the prepared names need the open connection.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    if _can_prepare(connection):
        name, prepare = _prepared_form(sql)
        names = _prepared_on.setdefault(connection.connection, set())
        if name not in names:
            _execute(connection, prepare, None)
            names.add(name)
        sql = _execute_form(name, len(params))
    return _execute(connection, sql, params)


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
        # Django's switch for a transaction pooler (PgBouncer): a prepared statement would
        # stay on one server connection while the next transaction runs on another.
        and not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
        # With server-side binding psycopg prepares repeated statements by itself.
        and not options.get("server_side_binding")
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
    )
