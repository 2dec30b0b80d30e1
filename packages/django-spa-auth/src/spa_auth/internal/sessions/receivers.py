"""Receivers of Django's signals: the audit trail and session life for every way in.

- ``user_login_failed`` and ``user_logged_in``: an audit event whatever the door (the
  API, the admin, any project view); a Django session login gets a linked session row,
  so that it is listed beside the token sessions and every revocation reaches it.
- ``user_logged_out``: the linked row ends with the Django session.
- the user model's ``pre_save`` / ``post_save``: deactivation ends every session; a
  transparent re-hash of the same password (a hasher upgrade) keeps them.

Connected by ``apps.SpaAuthConfig.ready``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import get_hasher, identify_hasher
from django.http import HttpRequest

from ... import signals
from ...conf import get_settings
from ...models import AuditEvent, Session
from .. import clock
from ..throttling import network
from ..throttling.limits import throttled_error
from . import services, store

LINK_KEY = "_spa_auth_session_id"
_REHASHED_FROM = "_spa_auth_rehashed_from"


def _client(request: HttpRequest | None) -> services.Client:
    if request is None:
        return services.Client()
    return services.Client(
        ip=network.client_ip(request, get_settings()), user_agent=network.user_agent(request)
    )


def record_login_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    client = _client(request)
    username = next(
        (str(v) for k, v in credentials.items() if k != "password" and isinstance(v, str)), ""
    )
    store.record_event(
        AuditEvent.Kind.LOGIN_FAILED,
        now=clock.now(),
        username=username,
        ip=client.ip,
        user_agent=client.user_agent,
        detail="throttled" if throttled_error(request) is not None else "",
    )


def link_django_session(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """A login into a Django session (the admin's): a session row of kind ``browser``."""
    if kwargs.get("spa_auth_session") is not None or request is None:
        return  # the API's own login, which opened its token session itself
    django_session = getattr(request, "session", None)
    if django_session is None:
        return
    client = _client(request)
    now = clock.now()
    previous = django_session.get(LINK_KEY)
    if previous:  # a second login in the same browser session replaces the first row
        store.revoke_session(previous, reason="logout", now=now)
    session = store.create_session(
        user,
        now=now,
        conf=get_settings(),
        user_agent=client.user_agent,
        ip=client.ip,
        kind=Session.Kind.BROWSER,
    )
    django_session[LINK_KEY] = str(session.pk)
    store.record_event(
        AuditEvent.Kind.LOGIN,
        now=now,
        user=user,
        session_id=session.pk,
        username=user.get_username(),
        ip=client.ip,
        user_agent=client.user_agent,
        detail="django session",
    )


def end_linked_session(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    linked = getattr(request, "session", {}).get(LINK_KEY) if request is not None else None
    if linked:
        services.logout(linked, _client(request))


def note_rehash(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    """Before a save: is this Django re-hashing the same password?

    ``AbstractBaseUser.check_password`` upgrades a hash by saving only ``password`` with
    ``_password`` cleared ("hash upgrades shouldn't be considered password changes"), and
    only when the stored hash is not the preferred hasher's current form. A save of that
    shape whose new hash is in that form is the upgrade; anything else is a change.
    """
    if instance.pk is None or not update_fields or set(update_fields) != {"password"}:
        return
    if getattr(instance, "_password", None) is not None:
        return  # set_password(): a real change
    old = (
        type(instance)
        ._default_manager.filter(pk=instance.pk)
        .values_list("password", flat=True)
        .first()
    )
    if old and old != instance.password and _is_upgrade(old, instance.password):
        setattr(instance, _REHASHED_FROM, old)


def _is_upgrade(old: str, new: str) -> bool:
    preferred = get_hasher("default")
    try:
        old_hasher, new_hasher = identify_hasher(old), identify_hasher(new)
    except ValueError:
        return False
    stale = old_hasher.algorithm != preferred.algorithm or preferred.must_update(old)
    current = new_hasher.algorithm == preferred.algorithm and not preferred.must_update(new)
    return stale and current


def follow_user_change(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """After a save: keep sessions through a re-hash; end them on deactivation."""
    old = instance.__dict__.pop(_REHASHED_FROM, None)
    if old is not None:
        store.follow_rehash(instance.pk, old, instance.password)
    elif getattr(instance, "_password", None) is not None and not created:
        # set_password() then save(): Django clears the raw password only after this.
        signals.password_changed.send(sender=type(instance), user=instance)
    if not created and not services.is_active(instance):
        services.revoke_for_deactivation(instance)
