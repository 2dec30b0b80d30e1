"""The account tasks, run after the response (``tasks``); each may run again after a
failure.

Only here is it decided whether an address that a sign-up, a resend or a reset named
belongs to an account, and which mail it gets: the request itself answered the same
whatever the address. Registered when imported (``apps.SpaAuthConfig.ready``).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.timesince import timesince

from ...conf import AuthSettings, get_settings
from ...models import AccountEmail, AuditEvent
from .. import clock
from ..sessions import store
from . import keys as account_keys
from . import mail, tasks
from .keys import Purpose, email_of, fold
from .services import _with_address, email_field, email_taken

logger = logging.getLogger("spa_auth")
Kind = AuditEvent.Kind


@tasks.handles("signup")
def _signup(payload: dict[str, Any]) -> None:
    conf = get_settings()
    address = payload["email"]
    if email_taken(address):
        _send_account_exists(address, conf)
        return
    if conf.email_verification == "mandatory":
        # No account until the address is proven: a pending sign-up holds no username and
        # no address, so no later sign-up or login can tell that this one happened.
        _send_signup_key(address, payload["username"], payload["password"], conf)
        return
    # "optional" and "none" make the account at once (and so cannot hide that they did).
    _create_account(address, payload["username"], payload["password"], conf)


def _send_signup_key(address: str, username: str, password_hash: str, conf: AuthSettings) -> None:
    lifetime = conf.verification_key_lifetime
    key = account_keys.issue_signup(
        address, username=username, password_hash=password_hash, lifetime=lifetime
    )
    send_with_key("verify_email", address, key, conf.verify_email_path, username, conf, lifetime)
    store.record_event(Kind.VERIFICATION_SENT, now=clock.now(), username=username)


def _create_account(address: str, username: str, password_hash: str, conf: AuthSettings) -> None:
    user_model = get_user_model()
    now = clock.now()
    fields = {user_model.USERNAME_FIELD: username, email_field(): address}
    try:
        with transaction.atomic():
            user = user_model(**fields)
            user.password = password_hash
            user.save()
            # Unproven under "none" too: nothing proved it, so the first reset that does
            # removes whatever factors a sign-up with someone else's address set up.
            AccountEmail.objects.create(user=user, address=fold(address), verified_at=None)
            store.record_event(Kind.REGISTERED, now=now, user=user, username=user.get_username())
            if conf.email_verification == "optional":
                # Its own task: a mail that fails is retried without signing up twice.
                tasks.enqueue("verification_mail", user_id=str(user.pk))
    except IntegrityError:  # the address or the username was taken in the meantime
        if email_taken(address):
            _send_account_exists(address, conf)
        else:
            logger.warning("sign-up dropped: the username was taken in the meantime")


def _send_account_exists(address: str, conf: AuthSettings) -> None:
    """A second sign-up with a known address: a word to its owner, and no second account."""
    mail.send(
        "account_exists",
        address,
        {"reset_url": f"{(conf.frontend_url or '').rstrip('/')}/forgot-password"},
        conf,
    )


@tasks.handles("verification_mail")
def _verification_mail(payload: dict[str, Any]) -> None:
    user = get_user_model()._default_manager.filter(pk=payload["user_id"]).first()
    if user is not None:
        _send_verification(user, get_settings())


@tasks.handles("verification")
def _verification(payload: dict[str, Any]) -> None:
    # Only an account's own verification: a pending sign-up is not mailed again, since the
    # newest one for an address may be anyone's. Its requester signs up again, which
    # mails a new link and proves them by the password they choose.
    conf = get_settings()
    address = payload["email"]
    row = (
        AccountEmail.objects.select_related("user")
        .filter(address=fold(address), verified_at=None)
        .first()
    )
    if row is not None:
        _send_verification(row.user, conf)


def _send_verification(user: Any, conf: AuthSettings) -> None:
    unverified = AccountEmail.objects.filter(
        user=user, address=fold(email_of(user)), verified_at=None
    )
    if not unverified.exists():
        return  # verified meanwhile, or the address changed
    lifetime = conf.verification_key_lifetime
    key = account_keys.issue(Purpose.VERIFY_EMAIL, user, lifetime=lifetime)
    send_with_key(
        "verify_email",
        email_of(user),
        key,
        conf.verify_email_path,
        user.get_username(),
        conf,
        lifetime,
    )
    store.record_event(Kind.VERIFICATION_SENT, now=clock.now(), user=user)


@tasks.handles("reset")
def _reset(payload: dict[str, Any]) -> None:
    conf = get_settings()
    address = payload["email"]
    owners = get_user_model()._default_manager.filter(
        _with_address(address)
        | Q(pk__in=AccountEmail.objects.filter(address=fold(address)).values("user"))
    )
    for user in owners:
        if not getattr(user, "is_active", True):
            continue
        lifetime = conf.reset_key_lifetime
        key = account_keys.issue(Purpose.RESET_PASSWORD, user, lifetime=lifetime)
        send_with_key(
            "password_reset",
            email_of(user),
            key,
            conf.reset_password_path,
            user.get_username(),
            conf,
            lifetime,
        )
        store.record_event(Kind.RESET_REQUESTED, now=clock.now(), user=user)


@tasks.handles("email_change")
def _email_change(payload: dict[str, Any]) -> None:
    conf = get_settings()
    user = get_user_model()._default_manager.filter(pk=payload["user_id"]).first()
    new_email = payload["new_email"]
    if user is None or fold(new_email) == fold(email_of(user)):
        return
    # The current address hears of every request, whether the new one is free or not: a
    # notice sent only for a free address would tell the requester which addresses have
    # accounts.
    if email_of(user):
        mail.send("email_change_notice", email_of(user), {"user": user}, conf)
    if email_taken(new_email, other_than=user):
        mail.send("email_in_use", new_email, {}, conf)
        return
    lifetime = conf.email_change_key_lifetime
    key = account_keys.issue(Purpose.CHANGE_EMAIL, user, lifetime=lifetime, new_email=new_email)
    send_with_key(
        "email_change_confirm",
        new_email,
        key,
        conf.confirm_email_path,
        user.get_username(),
        conf,
        lifetime,
    )
    store.record_event(Kind.EMAIL_CHANGE_REQUESTED, now=clock.now(), user=user)


def send_with_key(
    name: str, to: str, key: str, path: str, username: str, conf: AuthSettings, lifetime: timedelta
) -> None:
    """Mail the link of a key just issued; a mail that fails forgets the key, so that the
    task's retry issues and mails a new one."""
    try:
        now = clock.now()
        context = {
            "username": username,
            "url": mail.link(conf, path, key),
            "expires_in": timesince(now - lifetime, now),
        }
        mail.send(name, to, context, conf)
    except Exception:
        account_keys.forget(key)  # a retry mails a new one
        raise
