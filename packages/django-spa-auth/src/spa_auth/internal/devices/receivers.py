"""The one place every sign-in reaches devices: ``sessions.services.open_session`` sends
Django's ``user_logged_in`` with the session it opened, whatever the way in (a password,
a second factor, a passkey, a provider, any later one). Connected by
``apps.SpaAuthConfig.ready``.

The browser's device cookie is read here and the value to set left on the request; the
answer of the auth endpoint sets it (``cookie.attach``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ...conf import get_settings
from .. import clock
from ..throttling import network
from . import cookie, notices, services


def see_device(
    sender: Any,
    request: HttpRequest | None,
    user: Any,
    spa_auth_session: Any = None,
    **kwargs: Any,
) -> None:
    conf = get_settings()
    if spa_auth_session is None or request is None or not conf.new_device_notice:
        return  # a Django session login (the admin's) or notices turned off
    now = clock.now()
    value = cookie.read(request) or cookie.new_value()
    seen = services.see(user, value, network.user_agent(request), now=now, conf=conf)
    cookie.to_set(request, value)  # the known one again too: its lifetime starts anew
    if seen.is_new:
        notices.notify(
            user,
            seen.device,
            is_first=seen.is_first,
            ip=network.client_ip(request, conf),
            session_id=spa_auth_session.pk,
            now=now,
            conf=conf,
        )
