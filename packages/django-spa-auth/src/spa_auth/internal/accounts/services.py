"""Accounts: sign-up, email verification, password reset, email change, deletion.

The requests that name an address (sign-up, resend, reset) only queue a task and answer:
whether the address belongs to an account is decided in the task, after the response,
so the answer says nothing about it, by its body, status, headers or time. The
confirmations spend a mailed key (``account_keys``) in the transaction that does what
the key allows. A key that creates an account or gives it an address proves the mailbox
only: the person confirming must also prove they are the one who asked, with the
password chosen at sign-up or the account's own, so that whoever opens someone else's
link (its owner, or a mail scanner that renders it) cannot hand the address to the
requester. No HTTP here.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.hashers import check_password
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.timesince import timesince

from ...conf import AuthSettings, get_settings
from ...errors import (
    ConfirmationRequiredError,
    EmailInUseError,
    EnrolmentRequiredError,
    KeyInvalidError,
    PasswordIncorrectError,
    UsernameTakenError,
)
from ...models import AccountEmail, AccountKey, AuditEvent
from .. import clock
from ..mfa import services as mfa
from ..sessions import store
from ..throttling import limits as throttling
from . import keys as account_keys
from . import mail, tasks
from .keys import Purpose, email_of, fold

logger = logging.getLogger("spa_auth")
Kind = AuditEvent.Kind


def normalize_email(address: str) -> str:
    """The address as stored: trimmed, the domain in lower case (Django's rule)."""
    return BaseUserManager.normalize_email(address.strip())


def email_field() -> str:
    return str(get_user_model().get_email_field_name())


def _with_address(address: str) -> Q:
    return Q(**{f"{email_field()}__iexact": fold(address)})


def email_taken(address: str, *, other_than: Any = None) -> bool:
    """Whether an account other than ``other_than`` has this address, in any case."""
    users = get_user_model()._default_manager.filter(_with_address(address))
    rows = AccountEmail.objects.filter(address=fold(address))
    if other_than is not None:
        users, rows = users.exclude(pk=other_than.pk), rows.exclude(user=other_than)
    return users.exists() or rows.exists()


def must_verify(user: Any) -> bool:
    """A signed-up account whose address is unproven, under mandatory verification."""
    if get_settings().email_verification != "mandatory":
        return False
    return AccountEmail.objects.filter(user=user, verified_at=None).exists()


# Requests: queue a task, say nothing.


def request_signup(username: str, email: str, password_hash: str) -> None:
    tasks.enqueue("signup", username=username, email=email, password=password_hash)


def request_verification(email: str) -> None:
    tasks.enqueue("verification", email=email)


def request_reset(email: str) -> None:
    tasks.enqueue("reset", email=email)


def require_movable_address(user: Any) -> None:
    """A staff account without its first factor, under ``required_for_staff``, keeps its
    address: else the staff password would move it to the attacker's mailbox, and the
    enrolment link for that first factor with it (``enrolment``)."""
    if mfa.staff_needs_mfa(user):
        raise EnrolmentRequiredError("an email change before the first staff factor")


def request_email_change(user: Any, new_email: str) -> None:
    tasks.enqueue("email_change", user_id=str(user.pk), new_email=new_email)


# Tasks: run after the response (``tasks``). Each may run again after a failure.


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


# Confirmations: spend a key.


def _confirmed_by_requester(row: AccountKey, password: Any) -> None:
    """The person spending ``row`` must be the one who asked for it: the password chosen
    at sign-up, or the account's own, checked behind the per-account login limit. Without
    one, ``ConfirmationRequiredError`` names what the key would do and spends nothing."""
    user: Any = row.user
    if user is not None and not getattr(user, "is_active", True):
        raise KeyInvalidError("the account is inactive")  # its keys open nothing
    if row.purpose == Purpose.SIGN_UP:
        action, username, address = "sign_up", row.signup["username"], row.new_email
    elif row.purpose == Purpose.CHANGE_EMAIL:
        action, username, address = "change_email", user.get_username(), row.new_email
    else:
        action, username, address = "verify_email", user.get_username(), email_of(user)
    if not isinstance(password, str) or not password:
        raise ConfirmationRequiredError(action, username, address)
    if user is None:
        proven = check_password(password, row.signup["password"])
    else:
        proven = throttling.check_password(user, password, get_settings())
    if not proven:
        raise PasswordIncorrectError(f"{action} with a wrong password")


def verify_email(key: Any, password: Any = None) -> Any:
    """Spend a verification key: a pending sign-up becomes its account, or an account's
    address counts as proven. ``password`` must be the one chosen at sign-up, or the
    account's."""
    row = account_keys.find((Purpose.SIGN_UP, Purpose.VERIFY_EMAIL), key)
    _confirmed_by_requester(row, password)
    if row.purpose == Purpose.SIGN_UP:
        return _complete_signup(row)
    now = clock.now()
    with transaction.atomic():
        account_keys.spend(row, now=now)
        AccountEmail.objects.filter(user=row.user, verified_at=None).update(verified_at=now)
        store.record_event(Kind.EMAIL_VERIFIED, now=now, user=row.user)
    return row.user


def _complete_signup(row: AccountKey) -> Any:
    """Make the account of a sign-up whose address was just proven. The username or the
    address may have been taken since: only the owner of the address hears it."""
    user_model = get_user_model()
    address, username = row.new_email, row.signup["username"]
    now = clock.now()
    try:
        with transaction.atomic():
            account_keys.spend(row, now=now)
            if email_taken(address):
                raise EmailInUseError("the address got an account meanwhile")
            if user_model._default_manager.filter(
                **{f"{user_model.USERNAME_FIELD}__iexact": username}
            ).exists():
                raise UsernameTakenError(f"{username!r} was taken meanwhile")
            user = user_model(**{user_model.USERNAME_FIELD: username, email_field(): address})
            user.password = row.signup["password"]
            user.save()
            AccountEmail.objects.create(user=user, address=fold(address), verified_at=now)
            AccountKey.objects.filter(pk=row.pk).update(signup={})  # the hash lives on the user
            store.record_event(Kind.REGISTERED, now=now, user=user, username=username)
            store.record_event(Kind.EMAIL_VERIFIED, now=now, user=user)
    except IntegrityError:  # taken at this very moment
        raise EmailInUseError("the address or username was taken at this moment") from None
    return user


def reset_key(key: Any) -> AccountKey:
    """The live reset key (its ``user`` for the password validators); not spent yet. A
    deactivated account's keys open nothing."""
    row = account_keys.find(Purpose.RESET_PASSWORD, key)
    if not getattr(row.user, "is_active", True):
        raise KeyInvalidError("the account is inactive")
    return row


def reset_password(row: AccountKey, new_password: str, *, ip: str | None, user_agent: str) -> None:
    """Spend the key, set the password, end every session: whoever holds one, the next
    login needs the new password. The mail proved the address, so it counts as verified."""
    user: Any = row.user  # a reset key always has its user
    now = clock.now()
    user.set_password(new_password)
    with transaction.atomic():
        account_keys.spend(row, now=now)
        user.save(update_fields=["password"])
        revoked = store.revoke_user_sessions(user.pk, reason="password_reset", now=now)
        if AccountEmail.objects.filter(user=user, verified_at=None).update(verified_at=now):
            # The address is proven for the first time: whoever set up the account before
            # (a sign-up with someone else's address, under optional verification) may
            # have added second factors; none of them survives its owner's reset.
            mfa.reset(user, by="first proof of the address")
        store.record_event(
            Kind.RESET_DONE,
            now=now,
            user=user,
            ip=ip,
            user_agent=user_agent,
            detail=f"{len(revoked)} sessions ended",
        )


def change_email(key: Any, password: Any = None) -> Any:
    """Spend an email-change key: the account takes its new address. ``password`` must be
    the account's: the link proves the new mailbox, the password proves the account that
    asked, so no account can be moved onto an address whose owner merely opened a link."""
    row = account_keys.find(Purpose.CHANGE_EMAIL, key)
    _confirmed_by_requester(row, password)
    user: Any = row.user  # an email-change key always has its user
    require_movable_address(user)  # asked for before the policy: the same rule as the request
    new_email = row.new_email
    now = clock.now()
    try:
        with transaction.atomic():
            account_keys.spend(row, now=now)
            if email_taken(new_email, other_than=user):
                raise EmailInUseError("the new address has an account now")
            setattr(user, email_field(), new_email)
            user.save(update_fields=[email_field()])
            AccountEmail.objects.update_or_create(
                user=user, defaults={"address": fold(new_email), "verified_at": now}
            )
            store.record_event(Kind.EMAIL_CHANGED, now=now, user=user)
    except IntegrityError:  # another account took the address at this very moment
        raise EmailInUseError("the new address has an account now") from None
    return user


def delete_account(user: Any) -> None:
    """End every session, strip the user's audit trail of personal data, delete the user."""
    now = clock.now()
    with transaction.atomic():
        store.revoke_user_sessions(user.pk, reason="account_deleted", now=now)
        AuditEvent.objects.filter(Q(user=user) | Q(username__iexact=user.get_username())).update(
            user=None, username="", ip=None, user_agent="", detail=""
        )
        user.delete()
        store.record_event(Kind.ACCOUNT_DELETED, now=now)
