"""The first factor of a staff account under ``MFA_POLICY = "required_for_staff"``.

Under that policy a second factor is what stands between a staff password from a breach
and the admin. If the password alone could enrol the first factor, whoever has it would
log in, re-authenticate with it, add their own passkey and meet the policy. So the first
factor of a staff account needs one more proof: an enrolment link, mailed to the
account's verified address at the owner's request (``mfa/enrolment/``) or made by an
operator (``manage.py mfa_enrolment``). Opened by the signed-in owner, it allows the
session that opened it, and no other, to set up a factor for a short while.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from ...conf import AuthSettings, get_settings
from ...errors import EnrolmentRequiredError, KeyInvalidError
from ...models import AccountEmail, AccountKey, AuditEvent, Challenge
from .. import clock
from ..accounts import handlers, mail, tasks
from ..accounts import keys as account_keys
from ..accounts import services as accounts
from ..accounts.keys import email_of
from ..sessions import store
from . import services as mfa

Kind = AuditEvent.Kind
Purpose = AccountKey.Purpose
# How long a session may set up the first factor once the link was opened.
GRANT_LIFETIME = timedelta(minutes=15)
LINK_LIFETIME = timedelta(hours=1)


@accounts.address_rule
def require_movable_address(user: Any) -> None:
    """A staff account without its first factor, under ``required_for_staff``, keeps its
    address: else the staff password would move it to the attacker's mailbox, and the
    enrolment link for that first factor with it."""
    if mfa.staff_needs_mfa(user):
        raise EnrolmentRequiredError("an email change before the first staff factor")


def is_needed(user: Any) -> bool:
    """A staff account without a factor, under ``required_for_staff``."""
    return mfa.staff_needs_mfa(user)


def require_grant(user: Any, session_id: Any) -> None:
    """Before a factor is set up: ``EnrolmentRequiredError`` for a staff account without
    a factor, under the policy, unless this session opened an enrolment link lately."""
    if not is_needed(user):
        return
    granted = session_id and (
        Challenge.objects.filter(
            purpose=Challenge.Purpose.FACTOR_ENROLMENT,
            user=user,
            session_id=uuid.UUID(str(session_id)),
            expires_at__gt=clock.now(),
        ).exists()
    )
    if not granted:
        raise EnrolmentRequiredError("the first factor of a staff account needs an enrolment link")


def request_link(user: Any) -> None:
    """Mail an enrolment link to the account's address, if that address is verified
    (after the response, as every account mail)."""
    tasks.enqueue("factor_enrolment", user_id=str(user.pk))


def issue_link(user: Any, conf: AuthSettings | None = None) -> str:
    """A new enrolment link for ``user`` (an operator's, to hand over out of band)."""
    conf = conf or get_settings()
    key = account_keys.issue(Purpose.ENROL_FACTOR, user, lifetime=LINK_LIFETIME)
    store.record_event(Kind.MFA_ENROLMENT_LINK, now=clock.now(), user=user)
    return mail.link(conf, conf.enrol_factor_path, key)


@tasks.handles("factor_enrolment")
def _mail_link(payload: dict[str, Any]) -> None:
    user = get_user_model()._default_manager.filter(pk=payload["user_id"]).first()
    if user is None or not is_needed(user):
        return
    address = email_of(user)
    # Proven by its link, or made by an operator (createsuperuser, the admin: no row).
    unproven = AccountEmail.objects.filter(user=user, verified_at=None).exists()
    if not address or unproven:
        return  # no proven address: an operator's link (manage.py mfa_enrolment) only
    conf = get_settings()
    key = account_keys.issue(Purpose.ENROL_FACTOR, user, lifetime=LINK_LIFETIME)
    path, username = conf.enrol_factor_path, user.get_username()
    handlers.send_with_key("factor_enrolment", address, key, path, username, conf, LINK_LIFETIME)
    store.record_event(Kind.MFA_ENROLMENT_LINK, now=clock.now(), user=user)


def grant(user: Any, session_id: Any, key: Any) -> None:
    """Spend an enrolment link opened by its own signed-in owner: this session may set up
    a factor for ``GRANT_LIFETIME``. ``KeyInvalidError`` for a key of anyone else."""
    row = account_keys.find(Purpose.ENROL_FACTOR, key)
    if row.user_id != user.pk or not session_id:
        raise KeyInvalidError("an enrolment link of another account")
    now = clock.now()
    with transaction.atomic():
        account_keys.spend(row, now=now)
        Challenge.objects.create(
            digest=mfa.digest(secrets.token_urlsafe(32)),
            purpose=Challenge.Purpose.FACTOR_ENROLMENT,
            user=user,
            session_id=uuid.UUID(str(session_id)),
            created_at=now,
            expires_at=now + GRANT_LIFETIME,
        )
        store.record_event(Kind.MFA_ENROLMENT_GRANTED, now=now, user=user, session_id=session_id)
