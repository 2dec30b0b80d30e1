"""The SQL of the two hot statements, and how their rows become model instances.

Built once per process (per database alias and ``AUTH_USER_MODEL``) from the models'
metadata, so that any user model works: the statement texts, the columns to read, and
the ORM's own converters for each column, as a queryset would use them. Only quoted
identifiers from the models are interpolated; values are parameters. Imported by
``sql`` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections
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
        f"{quote('auth_time')}, {quote('amr')}, {quote('password_breached')}"
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
