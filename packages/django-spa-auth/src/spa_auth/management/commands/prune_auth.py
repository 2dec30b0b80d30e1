"""Delete expired or revoked sessions and old audit events, in small batches."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from spa_auth.conf import get_settings
from spa_auth.internal import clock
from spa_auth.internal.accounts import keys as account_keys
from spa_auth.internal.accounts import login_codes
from spa_auth.internal.devices import services as devices
from spa_auth.internal.providers import flows
from spa_auth.internal.sessions import store


class Command(BaseCommand):
    help = (
        "Delete expired and revoked sessions, audit events past their retention, "
        "throttle counters that have run out, expired account keys, challenges, sign-in "
        "flows and sign-in code flows, and devices unseen for longer than their cookie lives."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        now = clock.now()
        sessions = store.prune_sessions(now=now, batch_size=batch_size)
        events = store.prune_events(
            before=now - get_settings().audit_retention, batch_size=batch_size
        )
        counters = store.prune_throttle_counters(now=now, batch_size=batch_size)
        keys = account_keys.prune(now=now)
        challenges = store.prune_challenges(now=now, batch_size=batch_size)
        provider_flows = flows.prune(now=now)
        stale_devices = devices.prune(now=now, conf=get_settings())
        code_flows = login_codes.prune(now=now)
        self.stdout.write(
            f"Deleted {sessions} sessions, {events} audit events, {counters} throttle counters, "
            f"{keys} account keys, {challenges} challenges, {provider_flows} sign-in flows, "
            f"{code_flows} sign-in code flows and {stale_devices} devices."
        )
