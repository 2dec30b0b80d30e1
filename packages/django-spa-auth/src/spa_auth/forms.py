"""Django's password-change forms behind the per-account login limit, and audited.

The old-password field is a guess at the password like any login: without a limit, a
stolen admin session cookie would be an unthrottled oracle for the admin's password.
``ThrottledPasswordChangeForm`` is for a project's own ``PasswordChangeView``; the app
puts ``ThrottledAdminPasswordChangeForm`` behind the admin's "Change password" page.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.forms import AdminPasswordChangeForm
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError

from .conf import get_settings
from .errors import ThrottledError
from .internal import clock, store, throttling
from .models import AuditEvent


class ThrottledOldPasswordMixin:
    user: Any

    def clean_old_password(self) -> str:
        conf = get_settings()
        try:
            reservation = throttling.reserve(
                (
                    throttling.login_account_limit(conf),
                    throttling.account_key(self.user.get_username()),
                )
            )
        except ThrottledError:
            raise ValidationError("Too many attempts. Try again later.", code="throttled") from None
        try:
            value: str = super().clean_old_password()  # type: ignore[misc]
        except ValidationError:
            reservation.failed()
            raise
        reservation.succeeded()
        return value

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit)  # type: ignore[misc]
        if commit:
            store.record_event(
                AuditEvent.Kind.PASSWORD_CHANGE, now=clock.now(), user=user, detail="django form"
            )
        return user


class ThrottledPasswordChangeForm(ThrottledOldPasswordMixin, PasswordChangeForm):
    pass


class ThrottledAdminPasswordChangeForm(ThrottledOldPasswordMixin, AdminPasswordChangeForm):
    pass
