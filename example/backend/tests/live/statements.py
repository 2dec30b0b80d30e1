"""How many statements PostgreSQL receives while something runs, counted by the server.

A statement the application sends is a round trip, whoever sends it: a query of the
app, or a connection health check's ``SELECT 1`` (which Django's query capture does not
see). The server logs each one while ``log_statement = 'all'``; this counts the lines
written by every backend but the counter's own, leaving out the one PREPARE each new
connection sends and the one question each process asks to tell whether a pooler stands
in between (``spa_auth.internal.sessions.pooler``). Used by the live tier and by the bench.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

_LOGGED = re.compile(r"\[(\d+)\] LOG:  (?:statement|execute [^:]*): (.*)")
_ONCE = re.compile(r"PREPARE |SELECT pg_backend_pid\(\)$", re.IGNORECASE)


@contextmanager
def _statement_log(url: str) -> Iterator[Any]:
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("ALTER SYSTEM SET log_statement = 'all'")
        admin.execute("SELECT pg_reload_conf()")
        time.sleep(0.2)  # backends read the new setting before their next statement
        try:
            yield admin
        finally:
            admin.execute("ALTER SYSTEM RESET log_statement")
            admin.execute("SELECT pg_reload_conf()")


def count_statements(url: str, log: Path, action: Callable[[], Any]) -> int:
    """Statements the server received from other connections while ``action`` ran."""
    with _statement_log(url) as admin:
        own = str(admin.execute("SELECT pg_backend_pid()").fetchone()[0])  # type: ignore[index]
        start = log.stat().st_size
        action()
        with log.open(errors="replace") as lines:
            lines.seek(start)
            logged = [m.groups() for m in map(_LOGGED.search, lines) if m is not None]
    # A PREPARE is sent once in a connection's life (the first request a worker serves
    # on it), the pooler question once in a process's: neither once per request.
    return sum(pid != own and not _ONCE.match(text.strip()) for pid, text in logged)
