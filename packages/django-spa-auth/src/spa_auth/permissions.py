"""DRF permissions that know about the second factor."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from .conf import get_settings
from .internal.mfa import services as mfa
from .internal.mfa import step_up


class IsStaff(BasePermission):
    """DRF's ``IsAdminUser``; under ``MFA_POLICY = "required_for_staff"``, only in a session
    that passed a second factor (``amr`` holds ``mfa``). A Django session counts as such
    when the account has a factor (the admin's login form asks for its code, and the
    backend refuses a password alone): one opened through another door (a project's own
    ``LoginView``, ``force_login``) by a staff account without a factor does not."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and getattr(user, "is_staff", False)):
            return False
        if get_settings().mfa_policy != "required_for_staff":
            return True
        if mfa.staff_needs_mfa(user):
            # No factor (any more): a session that passed one before an operator's reset,
            # or the removal of the last factor, no longer counts.
            return False
        if isinstance(request.successful_authenticator, SessionAuthentication):
            return True
        amr = request.auth.get("amr") if isinstance(request.auth, dict) else None
        return isinstance(amr, list) and "mfa" in amr


class RecentAuthentication(BasePermission):
    """For a project's own sensitive views: a request that changes something needs an
    authentication at most ``REAUTHENTICATION_MAX_AGE`` old, or gets 401
    ``reauthentication_required`` with RFC 9470's challenge (the app re-authenticates and
    retries). Put it after ``IsAuthenticated``."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        step_up.require_recent(request.user, request.auth)
        return True
