"""Signals for every auth event, for a project's own receivers (audit, notifications).

Sent after the change is written. Django's own ``user_logged_in``, ``user_logged_out``
and ``user_login_failed`` are sent as well (a throttled attempt is a failed one).

- ``session_opened(sender=Session, session, user)``: a login, an admin login (``kind``
  ``browser``), or the new session after a password change.
- ``session_refreshed(sender=Session, session_id, user_id, generation, grace)``: a
  rotation; ``grace`` is True when the rotating client presented its previous token again.
- ``session_ended(sender=Session, session_ids, reason)``: sessions revoked, with the
  reason (``logout``, ``logout_all``, ``revoked``, ``admin``, ``password_change``,
  ``deactivated``, ``refresh_reused``, ``user_changed``).
- ``refresh_reused(sender=Session, session_id, user_id, ip, user_agent)``: a rotated
  refresh token came back: a copy is in someone else's hands. The session has ended.
- ``password_changed(sender=user model, user)``: a new password was set, by any route.
"""

from django.dispatch import Signal

session_opened = Signal()
session_refreshed = Signal()
session_ended = Signal()
refresh_reused = Signal()
password_changed = Signal()
