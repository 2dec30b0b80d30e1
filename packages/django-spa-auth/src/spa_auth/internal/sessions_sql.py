"""The two statements on the hot paths, as SQL prepared once per process.

Reading a session with its user (every authenticated request) and rotating a refresh
token (every refresh) are each one indexed statement. The ORM's query building costs
several times SQLite's indexed lookup itself, so these are built once from the models'
metadata (any user model works) and rows become model instances through
``Model.from_db`` with the ORM's own converters, as a queryset would build them.
Only quoted identifiers from the models are interpolated; values are parameters.
Imported by ``store`` only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.db.models import Model

from ..models import Session


@dataclass(frozen=True)
class _Columns:
    """How to read one model's columns out of a joined row."""

    model: type[Model]
    sql: list[str]
    attnames: list[str]
    converters: list[tuple[list[Any], Any]]

    @classmethod
    def of(cls, model: type[Model], table_alias: str, alias: str) -> _Columns:
        connection = connections[alias]
        quote = connection.ops.quote_name
        fields = model._meta.concrete_fields
        converters = []
        for field in fields:
            column = field.get_col(model._meta.db_table)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            converters.append((found, column))
        return cls(
            model,
            [f"{table_alias}.{quote(str(f.column))}" for f in fields],
            [f.attname for f in fields],
            converters,
        )

    def build(self, values: list[Any], alias: str) -> Any:
        connection = connections[alias]
        for index, (converters, column) in enumerate(self.converters):
            for converter in converters:
                values[index] = converter(values[index], column, connection)
        return self.model.from_db(alias, self.attnames, values)


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


_prepared: dict[tuple[str, str], _Statements] = {}


def _statements(alias: str) -> _Statements:
    user_model = get_user_model()
    key = (alias, user_model._meta.label)
    if key in _prepared:
        return _prepared[key]
    quote = connections[alias].ops.quote_name
    session, user = _Columns.of(Session, "s", alias), _Columns.of(user_model, "u", alias)
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
        f"(SELECT u.{password} FROM {user_table} u WHERE {owner})"
    )
    expiry = Session._meta.get_field("absolute_expires_at").get_col(Session._meta.db_table)
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


def fetch_live_user(session_id: uuid.UUID, *, now: datetime) -> tuple[Any, str] | None:
    """The hot path: (user, the session's credential digest) if the session is neither
    revoked nor expired at ``now``; only the user becomes a model instance."""
    alias = _alias()
    connection = connections[alias]
    statements = _statements(alias)
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            statements.select_live_user, [_session_key(session_id, connection), stamp, stamp]
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return statements.user.build(list(row[1:]), alias), row[0]


def fetch_session(session_id: uuid.UUID) -> Session | None:
    """The session with its user (cached on it), in one statement."""
    alias = _alias()
    connection = connections[alias]
    statements = _statements(alias)
    with connection.cursor() as cursor:
        cursor.execute(statements.select, [_session_key(session_id, connection)])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(statements.session.attnames)
    session = statements.session.build(list(row[:split]), alias)
    user = statements.user.build(list(row[split:]), alias)
    Session.user.field.set_cached_value(session, user)
    return session  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Rotated:
    user_id: Any
    absolute_expires_at: datetime
    credential_digest: str
    password_hash: str


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
    with connection.cursor() as cursor:
        cursor.execute(statements.rotate, params)
        row = cursor.fetchone()
    if row is None:
        return None
    expires = row[1]
    for converter in statements.absolute_expiry_converters:
        expires = converter(expires, statements.absolute_expiry_column, connection)
    # The key as the model holds it (SQLite returns a UUID key as 32 hex digits).
    user_id = get_user_model()._meta.pk.to_python(row[0])
    return Rotated(
        user_id=user_id, absolute_expires_at=expires, credential_digest=row[2], password_hash=row[3]
    )
