"""Breached passwords: what a password found in known breaches, or a range server that
cannot say, means here (the range API itself is ``pwned``'s).

A password being set is refused when it is listed (``PwnedPasswordValidator``, which
every door that sets a password runs through Django's ``validate_password``). A password
that logged in, checked after its hash matched, marks the new session instead, so that
the app can ask its owner to change it. A range server that is down, slow or answers
garbage never fails a login, and fails a password being set only under ``fail_closed``;
every such failure is logged and audited (without the prefix asked for).

The check is on when the validator is listed in ``AUTH_PASSWORD_VALIDATORS`` and
``SPA_AUTH["PWNED_PASSWORDS"]["url"]`` is not empty.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ...conf import get_settings
from ...errors import BreachCheckUnavailableError
from ...models import AuditEvent
from .. import clock
from ..sessions import store
from . import pwned

logger = logging.getLogger("spa_auth")
Kind = AuditEvent.Kind

# The field error codes of a password being set.
BREACHED = "password_breached"
UNAVAILABLE = BreachCheckUnavailableError.code


class PwnedPasswordValidator:
    """A Django password validator: refuses a password that appears in known breaches
    (``password_breached``); under ``fail_closed``, also one that could not be checked
    (``breach_check_unavailable``). Takes no options: ``SPA_AUTH["PWNED_PASSWORDS"]``
    says where and how."""

    def validate(self, password: str, user: Any = None) -> None:
        options = get_settings().pwned_passwords
        if not options.url:
            return
        try:
            count = pwned.breach_count(password, options)
        except pwned.RangeError as error:
            record_failure(error, user, during="a new password")
            if options.fail_closed:
                raise ValidationError(
                    _(
                        "This password could not be checked against known data breaches just "
                        "now. Try again in a minute."
                    ),
                    code=UNAVAILABLE,
                ) from None
            return
        if count > 0:
            raise ValidationError(
                _(
                    "This password has appeared in a data breach, so attackers try it early. "
                    "Choose one you have not used elsewhere."
                ),
                code=BREACHED,
            )

    def get_help_text(self) -> str:
        return _("Your password can't be one that has appeared in a known data breach.")


def is_enabled() -> bool:
    """Whether passwords are checked: the validator is listed and the URL is set."""
    if not get_settings().pwned_passwords.url:
        return False
    listed = password_validation.get_default_password_validators()
    return any(isinstance(validator, PwnedPasswordValidator) for validator in listed)


def is_breached_at_login(user: Any, password: str) -> bool:
    """Whether the password that just logged in (its hash matched) is listed now; False
    when the check is off or the range server cannot say (logged and audited). A login
    waits for the range server at most its timeout, and never fails because of it."""
    if not is_enabled():
        return False
    try:
        count = pwned.breach_count(password, get_settings().pwned_passwords)
    except pwned.RangeError as error:
        record_failure(error, user, during="a login")
        return False
    if count > 0:
        logger.info("user %s logged in with a password found in breaches", user.pk)
        store.record_event(Kind.PASSWORD_BREACHED, now=clock.now(), user=user)
    return count > 0


def record_failure(error: pwned.RangeError, user: Any, *, during: str) -> None:
    """The range server could not say: a line in the log, an audit event."""
    logger.warning("breached-password check failed during %s: %s", during, error)
    saved = user if getattr(user, "pk", None) is not None else None
    username = user.get_username() if user is not None and hasattr(user, "get_username") else ""
    store.record_event(
        Kind.BREACH_CHECK_FAILED,
        now=clock.now(),
        user=saved,
        username=username or "",
        detail=f"during {during}: {error}",
    )
