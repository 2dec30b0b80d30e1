"""DRF permissions that know about the second factor."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .conf import get_settings


class IsStaff(BasePermission):
    """DRF's ``IsAdminUser``; under ``MFA_POLICY = "required_for_staff"``, only in a session
    that passed a second factor (``amr`` holds ``mfa``). A Django session (the admin's
    login form, which asks for the code) counts as such."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and getattr(user, "is_staff", False)):
            return False
        if get_settings().mfa_policy != "required_for_staff":
            return True
        if isinstance(request.successful_authenticator, SessionAuthentication):
            return True
        amr = request.auth.get("amr") if isinstance(request.auth, dict) else None
        return isinstance(amr, list) and "mfa" in amr
