"""``SpaAuthMiddleware``: Django session logins obey the sessions list; credentialed
answers are never stored by a cache.

Put it right after ``django.contrib.auth.middleware.AuthenticationMiddleware``.

- A Django session (the admin's login cookie, or DRF's ``SessionAuthentication``) is
  honoured only while its linked session row is live (``receivers.link_django_session``):
  "log out everywhere", revoking it from the list or the admin, ``revoke_sessions``, a
  password change and deactivation end it on its next request, as they end tokens.
  A Django session with no linked row (made before this app was installed, or by a
  login that bypassed ``django.contrib.auth.login``) is logged out.
- A response to a request that carried credentials (an ``Authorization`` header or a
  Django session login) gets ``Cache-Control: no-store`` unless the view chose a policy.

Charsets are the WSGI wrapper's job (``spa_auth.wsgi.CharsetGuard``): Django decodes
with them before any middleware runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse

from .internal import clock
from .internal.sessions import services, store
from .internal.sessions.receivers import LINK_KEY


class SpaAuthMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        signed_in_by_cookie = _check_django_session(request)
        response = self.get_response(request)
        if signed_in_by_cookie or "HTTP_AUTHORIZATION" in request.META:
            if "Cache-Control" not in response:
                response["Cache-Control"] = "no-store, private"
        return response


def _check_django_session(request: HttpRequest) -> bool:
    """Log out a Django session whose linked session row has ended; True if it stays."""
    django_session = getattr(request, "session", None)
    if django_session is None or settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    user_id = django_session.get(SESSION_KEY)
    if user_id is None:
        return False
    if _is_linked_session_live(django_session.get(LINK_KEY), user_id):
        return True
    logout(request)
    return False


def _is_linked_session_live(linked: object, user_id: object) -> bool:
    try:
        session_id = uuid.UUID(str(linked))
    except ValueError:
        return False
    found = store.get_live_session_user(session_id, now=clock.now())
    if found is None:
        return False
    user, credential = found
    return str(user.pk) == str(user_id) and services.is_user_unchanged(user, credential)
