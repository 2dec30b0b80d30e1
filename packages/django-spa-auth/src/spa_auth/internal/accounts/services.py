"""Accounts: sign-up, email verification, password reset, email change, deletion.

The requests that name an address (sign-up, resend, reset) only queue a task and answer:
whether the address belongs to an account is decided in the task, after the response,
so the answer says nothing about it, by its body, status, headers or time. The
confirmations spend a mailed key (``keys``) in the transaction that does what
the key allows. A key that creates an account or gives it an address proves the mailbox
only: the person confirming must also prove they are the one who asked, with the
password chosen at sign-up or the account's own, so that whoever opens someone else's
link (its owner, or a mail scanner that renders it) cannot hand the address to the
requester. No HTTP here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.hashers import check_password
from django.db import IntegrityError, transaction
from django.db.models import Q

from ...conf import get_settings
from ...errors import (
    ConfirmationRequiredError,
    EmailInUseError,
    KeyInvalidError,
    PasswordIncorrectError,
    UsernameTakenError,
)
from ...models import AccountEmail, AccountKey, AuditEvent
from .. import clock
from ..sessions import store
from ..throttling import limits as throttling
from . import keys as account_keys
from . import tasks
from .keys import Purpose, email_of, fold

logger = logging.getLogger("spa_auth")

# Rules of the wings above this one, which it must not import: ``mfa`` adds them when it
# is imported (``apps.SpaAuthConfig.ready`` imports it), as ``tasks.handles`` adds
# handlers. Keyed by name, so that importing a module twice adds nothing twice.
Rule = Callable[[Any], None]
_address_rules: dict[str, Rule] = {}
_first_proof_rules: dict[str, Rule] = {}


def address_rule(rule: Rule) -> Rule:
    """Add ``rule(user)``, which raises to keep the user's address where it is: it runs
    on an email-change request and again on its confirmation."""
    _address_rules[f"{rule.__module__}.{rule.__qualname__}"] = rule
    return rule


def first_proof_rule(rule: Rule) -> Rule:
    """Add ``rule(user)``, run in the transaction of a password reset that proves the
    user's address for the first time."""
    _first_proof_rules[f"{rule.__module__}.{rule.__qualname__}"] = rule
    return rule


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
    """Each ``address_rule`` may keep the address where it is (``mfa.enrolment``: a staff
    account without its first factor)."""
    for rule in _address_rules.values():
        rule(user)


def request_email_change(user: Any, new_email: str) -> None:
    tasks.enqueue("email_change", user_id=str(user.pk), new_email=new_email)


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
            # have added second factors: none survives its owner's reset (``mfa``).
            for rule in _first_proof_rules.values():
                rule(user)
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
