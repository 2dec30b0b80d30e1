"""Account work done after the response: creating a signed-up account, sending mail.

A request writes one ``AccountTask`` row and answers; whether the address is known is
decided only here, later, so every answer of sign-up, resend and reset costs the same.
The task runs once the response is sent (Django's ``request_finished``), in a worker
thread of the process (``MAIL_QUEUE = "thread"``) or in the request's own thread
(``"inline"``). A task that fails is kept and retried with back-off, and logged; after
the last attempt it is dropped with an error in the log. ``manage.py send_account_mail``
runs whatever is due, for deployments that want a cron job to guarantee progress.
A task runs in the language of the request that queued it, so its mail reads as the
answer did.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import translation

from ...conf import get_settings
from ...models import AccountTask
from .. import clock

logger = logging.getLogger("spa_auth.mail")

# Waits before each retry; a task failing every attempt is dropped after the last.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
_CLAIM = timedelta(minutes=5)
# The payload member that holds the language of the request; handlers never see it.
_LANGUAGE = "_language"
_BATCH = 50

Handler = Callable[[dict[str, Any]], None]
_handlers: dict[str, Handler] = {}
_pending = threading.local()


def handles(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that does tasks of ``kind``."""

    def register(handler: Handler) -> Handler:
        _handlers[kind] = handler
        return handler

    return register


def enqueue(kind: str, **payload: Any) -> None:
    """Write the task; it runs once the current response is sent, in the language active
    now (the request's, with ``LocaleMiddleware``)."""
    now = clock.now()
    payload[_LANGUAGE] = translation.get_language()
    AccountTask.objects.create(kind=kind, payload=payload, created_at=now, due_at=now)
    _pending.due = True


def after_request(**kwargs: Any) -> None:
    """``request_finished``: the response is out; start the work it left, if any."""
    if not getattr(_pending, "due", False):
        return
    _pending.due = False
    if get_settings().mail_queue != "inline":
        _worker.wake()
        return
    try:
        run_due()
    except Exception:  # the response is sent; the task stays and runs at the next chance
        logger.exception("account tasks could not run")


def run_due(*, limit: int | None = None) -> int:
    """Run every task that is due (at most ``limit``); the number run successfully."""
    done = 0
    while limit is None or done < limit:
        batch = _claim(_BATCH)
        if not batch:
            break
        for task in batch:
            done += _run(task)
    return done


def next_due_in() -> float | None:
    """Seconds until the next task falls due, or None when there is none."""
    first = AccountTask.objects.order_by("due_at").values_list("due_at", flat=True).first()
    return None if first is None else max(0.0, (first - clock.now()).total_seconds())


def _claim(count: int) -> list[AccountTask]:
    """Take up to ``count`` due tasks; a task another worker holds is skipped."""
    now = clock.now()
    due = AccountTask.objects.filter(due_at__lte=now).order_by("due_at")
    claimed = []
    for task in due.exclude(claimed_until__gt=now)[:count]:
        taken = AccountTask.objects.filter(pk=task.pk, claimed_until=task.claimed_until).update(
            claimed_until=now + _CLAIM
        )
        if taken:
            claimed.append(task)
    return claimed


def _run(task: AccountTask) -> int:
    handler = _handlers.get(task.kind)
    try:
        if handler is None:
            raise LookupError(f"no handler for account task {task.kind!r}")
        # No transaction around the handler: it must not hold the database (SQLite's
        # write lock) while it talks to a mail server. Each handler is safe to run again.
        payload = dict(task.payload)
        # A task queued before tasks kept their language runs in the default one.
        language = payload.pop(_LANGUAGE, None) or settings.LANGUAGE_CODE
        with translation.override(language):
            handler(payload)
        AccountTask.objects.filter(pk=task.pk).delete()
    except Exception:  # noqa: BLE001  (whatever failed, mail server or template, is retried)
        _retry_later(task)
        return 0
    return 1


def _retry_later(task: AccountTask) -> None:
    attempt = task.attempts + 1
    if attempt > len(RETRY_DELAYS):
        logger.exception(
            "account task %s (%s) failed %d times and is dropped", task.pk, task.kind, attempt
        )
        AccountTask.objects.filter(pk=task.pk).delete()
        return
    delay = RETRY_DELAYS[attempt - 1]
    logger.exception(
        "account task %s (%s) failed (attempt %d); retrying in %s",
        task.pk,
        task.kind,
        attempt,
        delay,
    )
    AccountTask.objects.filter(pk=task.pk).update(
        attempts=attempt, due_at=clock.now() + delay, claimed_until=None
    )


class _Worker:
    """One daemon thread per process that runs due tasks when woken, and sleeps until
    the next retry falls due. A forked child starts its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._event = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def wake(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._event = threading.Event()
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._loop, name="spa-auth-mail", daemon=True
                )
                self._thread.start()
        self._event.set()

    def _loop(self) -> None:
        while True:
            self._event.clear()
            wait: float | None = 60.0  # after a failure
            try:
                close_old_connections()
                run_due()
                wait = next_due_in()
            except Exception:
                logger.exception("account task worker failed; trying again in a minute")
            finally:
                connections.close_all()
            # Nothing queued: sleep until the next request leaves work.
            self._event.wait(timeout=None if wait is None else min(max(wait, 0.5), 3600.0))


_worker = _Worker()
