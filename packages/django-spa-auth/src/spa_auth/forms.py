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

    error_messages: dict[str, Any]
    cleaned_data: dict[str, Any]

    def clean_old_password(self) -> str:
        """Django's check, through ``throttling.check_password`` (the login budget)."""
        old_password: str = self.cleaned_data["old_password"]
        try:
            correct = throttling.check_password(self.user, old_password, get_settings())
        except ThrottledError:
            raise ValidationError("Too many attempts. Try again later.", code="throttled") from None
        if not correct:
            raise ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password

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
