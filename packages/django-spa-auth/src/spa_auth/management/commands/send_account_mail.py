"""Run the account tasks (sign-ups, mail) that are due, e.g. from cron or after an outage."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from spa_auth.internal import clock
from spa_auth.internal.accounts import (
    handlers,  # noqa: F401  (its tasks)
    tasks,
)
from spa_auth.models import AccountTask


class Command(BaseCommand):
    help = (
        "Run the account tasks that are due. Tasks run by themselves after each request; "
        "this is for a cron job, or for --retry-now once a mail server is back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--retry-now",
            action="store_true",
            help="Run the tasks waiting to be retried now instead of at their time.",
        )

    def handle(self, *args: Any, retry_now: bool, **options: Any) -> None:
        if retry_now:
            AccountTask.objects.update(due_at=clock.now())
        done = tasks.run_due()
        left = AccountTask.objects.count()
        self.stdout.write(f"Ran {done} account tasks; {left} waiting.")
