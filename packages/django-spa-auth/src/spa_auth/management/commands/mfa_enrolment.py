"""An enrolment link for a staff account's first factor, to hand over out of band."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from spa_auth.internal.mfa import enrolment


class Command(BaseCommand):
    help = (
        "Print a one-hour, single-use link that lets a staff account set up its first second "
        "factor under MFA_POLICY=required_for_staff (for an account without a verified "
        "address). Give it to the owner in person: whoever opens it, signed in as that "
        "account, may enrol a factor. Audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        model = get_user_model()
        user = model._default_manager.filter(**{model.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if not enrolment.is_needed(user):
            raise CommandError(
                f"{username} needs no enrolment link (not staff, a factor already set up, "
                "or MFA_POLICY is not required_for_staff)."
            )
        self.stdout.write(enrolment.issue_link(user))
