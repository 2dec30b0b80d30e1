"""Remove every second factor of a user who lost them (TOTP, recovery codes, passkeys)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from spa_auth.internal.accounts import tasks
from spa_auth.internal.mfa import services as mfa


class Command(BaseCommand):
    help = "Reset a user's second factors; the next login asks for the password alone. Audited."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        model = get_user_model()
        user = model._default_manager.filter(**{model.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        had = mfa.methods(user)
        mfa.reset(user, by="manage.py mfa_reset")
        tasks.run_due()  # the owner's notice: no request follows to send it
        self.stdout.write(f"Reset the second factors of {username} ({', '.join(had) or 'none'}).")
