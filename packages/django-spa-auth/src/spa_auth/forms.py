"""Django's password-change forms behind the per-account login limit, and audited; the
admin's login form with the second factor.

The old-password field is a guess at the password like any login: without a limit, a
stolen admin session cookie would be an unthrottled oracle for the admin's password.
``ThrottledPasswordChangeForm`` is for a project's own ``PasswordChangeView``; the app
puts ``ThrottledAdminPasswordChangeForm`` behind the admin's "Change password" page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm, AdminPasswordChangeForm
from django.contrib.auth import authenticate
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .backends import MFA_ARGUMENT, throttled_error
from .conf import get_settings
from .errors import CodeInvalidError, ThrottledError
from .internal import clock
from .internal.mfa import services as mfa
from .internal.sessions import store
from .internal.throttling import limits as throttling
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
            raise ValidationError(
                _("Too many attempts. Try again later."), code="throttled"
            ) from None
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


class MfaAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's login: the password, then, for an account with a second factor, a code
    (TOTP or recovery code) in the same form. A passkey-only account uses a recovery code.
    Under ``MFA_POLICY = "required_for_staff"`` a staff account without a factor is refused
    until it sets one up in the app."""

    code = forms.CharField(
        label=gettext_lazy("Authentication code"),
        required=False,
        max_length=64,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text=gettext_lazy(
            "Only if your account has a second factor: a code from your app, or a recovery code."
        ),
    )

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        user = authenticate(
            self.request, username=username, password=password, **{MFA_ARGUMENT: "deferred"}
        )
        if user is None:
            if throttled_error(self.request) is not None:
                raise ValidationError(_("Too many attempts. Try again later."), code="throttled")
            raise self.get_invalid_login_error()
        if mfa.staff_needs_mfa(user):
            raise ValidationError(
                _("Staff accounts need a second factor: set one up in the app first."),
                code="mfa_setup_required",
            )
        if mfa.has_mfa(user):
            try:
                mfa.check_code_throttled(self.request, user, self.cleaned_data.get("code", ""))
            except CodeInvalidError:
                raise ValidationError(
                    _("Enter a valid authentication code."), code="code_invalid"
                ) from None
            except ThrottledError:
                raise ValidationError(
                    _("Too many attempts. Try again later."), code="throttled"
                ) from None
        self.confirm_login_allowed(user)
        self.user_cache = user
        return self.cleaned_data
