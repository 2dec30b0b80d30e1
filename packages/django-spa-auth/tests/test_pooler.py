"""Behind a transaction pooler (PgBouncer) the session SQL prepares nothing.

The live tier runs the API through a real PgBouncer; these pin the two decisions on any
database: how a pooler is recognised, and what a statement lost to one does.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.db import ProgrammingError, connection, transaction
from spa_auth.internal.sessions import pooler
from spa_auth.internal.sessions import sql as sessions_sql

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_verdicts(monkeypatch):
    monkeypatch.setattr(pooler, "_verdicts", {})


class _Cursor:
    def __init__(self, pid: int) -> None:
        self.pid = pid

    def __enter__(self) -> _Cursor:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass

    def execute(self, sql: str) -> None:
        assert sql == "SELECT pg_backend_pid()"

    def fetchone(self) -> tuple[int]:
        return (self.pid,)


def _postgresql(announced: int, actual: int, **settings: Any) -> Any:
    """A PostgreSQL connection whose startup announced one backend process id and whose
    server says another (or the same)."""
    raw = SimpleNamespace(
        info=SimpleNamespace(backend_pid=announced), cursor=lambda: _Cursor(actual)
    )
    return SimpleNamespace(
        alias="pooled-test",
        vendor="postgresql",
        connection=raw,
        needs_rollback=False,
        settings_dict=settings,
        wrap_database_errors=connection.wrap_database_errors,
    )


def test_a_connection_whose_startup_names_another_process_goes_through_a_pooler():
    assert pooler.is_pooled(_postgresql(announced=-1686996322, actual=24651)) is True


def test_a_direct_connection_is_not_pooled_and_is_asked_once():
    direct = _postgresql(announced=24652, actual=24652)
    assert pooler.is_pooled(direct) is False
    direct.connection.cursor = None  # a second question would fail
    assert pooler.is_pooled(direct) is False


def test_disable_server_side_cursors_declares_a_pooler_without_asking():
    declared = _postgresql(announced=1, actual=1, DISABLE_SERVER_SIDE_CURSORS=True)
    declared.connection.cursor = None
    assert pooler.is_pooled(declared) is True


class _DriverError(Exception):
    """What the driver raised under Django's error: psycopg's carry the SQLSTATE."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _lost(sqlstate: str) -> ProgrammingError:
    error = ProgrammingError("prepared statement")
    error.__cause__ = _DriverError(sqlstate)
    return error


def _prepared_statements_get_lost(monkeypatch, sqlstate: str) -> list[str]:
    """Let ``_run`` prepare, and lose every prepared statement as a pooler would."""
    sent: list[str] = []

    def execute(conn: Any, sql: str, params: Any) -> Any:
        sent.append(sql.split()[0])
        if sql.startswith(("PREPARE", "EXECUTE")) and sent[-1] == (
            "PREPARE" if sqlstate == "42P05" else "EXECUTE"
        ):
            raise _lost(sqlstate)
        return ("row",)

    monkeypatch.setattr(sessions_sql, "_can_prepare", lambda conn: not pooler._verdicts)
    monkeypatch.setattr(sessions_sql, "_execute", execute)
    monkeypatch.setattr(sessions_sql, "_prepared_on", {})
    return sent


# Outside a transaction, as a request runs without ATOMIC_REQUESTS.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("sqlstate", ["26000", "42P05"], ids=["does-not-exist", "exists"])
def test_a_statement_lost_to_a_pooler_runs_plain_and_nothing_is_prepared_again(
    monkeypatch, caplog, sqlstate
):
    sent = _prepared_statements_get_lost(monkeypatch, sqlstate)
    assert sessions_sql._run(connection, "SELECT 1 WHERE 1 = %s", [1]) == ("row",)
    assert sent[-1] == "SELECT"
    assert pooler._verdicts == {connection.alias: True}
    assert "set DISABLE_SERVER_SIDE_CURSORS = True" in caplog.text
    sent.clear()
    assert sessions_sql._run(connection, "SELECT 1 WHERE 1 = %s", [1]) == ("row",)
    assert sent == ["SELECT"]


def test_inside_a_transaction_a_lost_statement_is_an_error_and_the_last_one(monkeypatch):
    """The transaction is already lost on the server: running on would hide it."""
    sent = _prepared_statements_get_lost(monkeypatch, "26000")
    with pytest.raises(ProgrammingError), transaction.atomic():
        sessions_sql._run(connection, "SELECT 1 WHERE 1 = %s", [1])
    assert pooler._verdicts == {connection.alias: True}
    sent.clear()
    with transaction.atomic():
        assert sessions_sql._run(connection, "SELECT 1 WHERE 1 = %s", [1]) == ("row",)
    assert sent == ["SELECT"]


def test_any_other_programming_error_is_not_taken_for_a_pooler(monkeypatch):
    _prepared_statements_get_lost(monkeypatch, "42P01")  # undefined table
    with pytest.raises(ProgrammingError):
        sessions_sql._run(connection, "SELECT 1 WHERE 1 = %s", [1])
    assert pooler._verdicts == {}
