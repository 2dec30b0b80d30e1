"""The new-device notice: a sign-in from a browser the account has not used before mails
the account's address, after the response (``accounts.tasks``): when, the browser and
system, the client's address, and a link to the sessions page.

Not for the account's first sign-in (sign-up's, whose ``login`` event is its record),
and at most ``DEVICE_NOTICES_PER_ACCOUNT`` per ``DEVICE_NOTICE_WINDOW``: a script signing
in from a thousand fresh cookie jars records a thousand devices but mails a few times.
Every later new device is audited (``new_device``, its detail says whether it was mailed
or why not).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model

from ...conf import AuthSettings, get_settings
from ...models import AuditEvent, Device
from ..accounts import mail, tasks
from ..sessions import store
from ..throttling import limits
from . import labels

MAILED = "mailed"
THROTTLED = "suppressed: throttled"
NO_MAIL = "suppressed: no address or FRONTEND_URL"


def notice_limit(conf: AuthSettings) -> limits.Limit:
    return limits.Limit("device-notice", conf.device_notices_per_account, conf.device_notice_window)


def _address(user: Any) -> str:
    return str(getattr(user, user.get_email_field_name(), "") or "")


def notify(
    user: Any,
    device: Device,
    *,
    is_first: bool,
    ip: str | None,
    session_id: Any,
    now: datetime,
    conf: AuthSettings,
) -> str | None:
    """Mail (or not) the notice of a new device; what was decided, as audited. The
    account's first device is its sign-up's: nothing to tell, nothing audited."""
    if is_first:
        return None
    if not conf.frontend_url or not _address(user):
        outcome = NO_MAIL
    elif limits.count_failure(notice_limit(conf), str(user.pk)) is not None:
        outcome = THROTTLED
    else:
        tasks.enqueue(
            "new_device",
            user_id=str(user.pk),
            user_agent=device.user_agent,
            ip=ip or "",
            at=now.isoformat(),
        )
        outcome = MAILED
    store.record_event(
        AuditEvent.Kind.NEW_DEVICE,
        now=now,
        user=user,
        session_id=session_id,
        ip=ip,
        user_agent=device.user_agent,
        detail=outcome,
    )
    return outcome


@tasks.handles("new_device")
def _mail_notice(payload: dict[str, Any]) -> None:
    user = get_user_model()._default_manager.filter(pk=payload["user_id"]).first()
    address = _address(user) if user is not None else ""
    conf = get_settings()
    if not address or not conf.frontend_url:
        return
    context = {
        "user": user,
        "device": labels.describe(payload["user_agent"]),
        "ip": payload["ip"],
        "at": datetime.fromisoformat(payload["at"]),
        "sessions_url": f"{conf.frontend_url.rstrip('/')}{conf.sessions_path}",
    }
    mail.send("new_device", address, context, conf)
