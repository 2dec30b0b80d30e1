"""Revoke every session of one user at once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from spa_auth.internal.sessions import services


class Command(BaseCommand):
    help = "Revoke every live session of a user; their access tokens stop working at once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        count = services.revoke_all_for_user(user, reason="admin")
        self.stdout.write(f"Revoked {count} sessions of {username}.")
