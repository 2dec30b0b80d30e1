"""Sessions (one per login, the refresh-token family), audit events, throttle counters,
and account records: mailed keys and codes, verified addresses, the mail queue, devices.

No queries here: every query lives in ``store.py``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Session(models.Model):
    class Kind(models.TextChoices):
        TOKEN = "token", "Access and refresh tokens"
        # A Django session cookie (the admin's login), linked so that it is listed and
        # revoked like any other; see ``middleware.SpaAuthMiddleware``.
        BROWSER = "browser", "Django session cookie"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="auth_sessions"
    )
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField()
    idle_expires_at = models.DateTimeField()
    absolute_expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=32, blank=True)
    # Generation of the newest refresh token; the previous one stays valid for the grace window.
    generation = models.PositiveBigIntegerField(default=0)
    rotated_at = models.DateTimeField(null=True, blank=True)
    # A keyed digest of the user's id and password hash (``keys.credential_digest``): a new
    # password ends the session wherever it was set (API, admin, shell), at no extra query
    # on the hot path. Keyed, so the row holds no password-hash material.
    credential_digest = models.CharField(max_length=64, blank=True)
    # A keyed digest of the address and user agent that made the last rotation: only that
    # client may use the previous refresh token within the grace window.
    rotated_by = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TOKEN)
    # When and how the user last proved who they are (OIDC auth_time, RFC 8176 amr, space
    # separated): carried into every access token of the session, refreshed by a
    # re-authentication, read by step-up checks.
    auth_time = models.DateTimeField(null=True, blank=True)
    amr = models.CharField(max_length=64, blank=True, default="pwd")
    # The provider (its id in ``PROVIDERS``) of a session opened by signing in with one.
    provider = models.CharField(max_length=32, blank=True, default="")
    # The password this session logged in with was found in known breaches (checked after
    # its hash matched): every access token of the session says so, for the app's banner.
    password_breached = models.BooleanField(default=False)
    user_agent = models.CharField(max_length=512, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"], name="spa_auth_session_user_live")]

    def __str__(self) -> str:
        return f"session {self.id} of user {self.user_id}"


class AuditEvent(models.Model):
    class Kind(models.TextChoices):
        LOGIN = "login"
        LOGIN_FAILED = "login_failed"
        REFRESH = "refresh"
        REFRESH_REUSED = "refresh_reused"
        LOGOUT = "logout"
        LOGOUT_ALL = "logout_all"
        REVOKE = "revoke"
        PASSWORD_CHANGE = "password_change"
        REFRESH_GRACE = "refresh_grace"
        DEACTIVATED = "deactivated"
        REGISTERED = "registered"
        VERIFICATION_SENT = "verification_sent"
        EMAIL_VERIFIED = "email_verified"
        RESET_REQUESTED = "reset_requested"
        RESET_DONE = "reset_done"
        EMAIL_CHANGE_REQUESTED = "email_change_requested"
        EMAIL_CHANGED = "email_changed"
        ACCOUNT_DELETED = "account_deleted"
        MFA_LOGIN = "mfa_login"
        MFA_FAILED = "mfa_failed"
        TOTP_ENABLED = "totp_enabled"
        TOTP_DISABLED = "totp_disabled"
        RECOVERY_CODES = "recovery_codes"
        RECOVERY_CODE_USED = "recovery_code_used"
        PASSKEY_ADDED = "passkey_added"
        PASSKEY_REMOVED = "passkey_removed"
        PASSKEY_COUNTER = "passkey_counter"
        REAUTHENTICATED = "reauthenticated"
        MFA_RESET = "mfa_reset"
        MFA_ENROLMENT_LINK = "mfa_enrolment_link"
        MFA_ENROLMENT_GRANTED = "mfa_enrolment_granted"
        PROVIDER_LOGIN_FAILED = "provider_login_failed"
        PROVIDER_CONNECTED = "provider_connected"
        PROVIDER_DISCONNECTED = "provider_disconnected"
        PASSWORD_BREACHED = "password_breached"
        BREACH_CHECK_FAILED = "breach_check_failed"
        NEW_DEVICE = "new_device"
        DEVICE_FORGOTTEN = "device_forgotten"
        LOGIN_CODE_SENT = "login_code_sent"
        LOGIN_CODE_FAILED = "login_code_failed"

    created_at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    session_id = models.UUIDField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class ThrottleCounter(models.Model):
    """One rate-limit counter. A table, not the cache: a cache may evict entries (Django's
    database cache culls a third of them at 300), and a lock that can be evicted is no lock."""

    key = models.CharField(max_length=128, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    # Attempts numbered above this are refused; a lock raises it by one, so that after
    # the lock exactly one more guess is let through at a time.
    allowed = models.PositiveIntegerField(default=0)
    # Seconds since the epoch: the counter restarts at ``expires_at``; attempts are
    # refused until ``locked_until``.
    expires_at = models.FloatField(db_index=True)
    locked_until = models.FloatField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class AccountEmail(models.Model):
    """An account's address, folded, unique across accounts, and whether its owner proved
    it. Written at sign-up and at an email change; an account without a row (made in the
    admin or the shell) counts as verified."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    address = models.CharField(max_length=254, unique=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"address of user {self.user_id}"


class AccountKey(models.Model):
    """A single-use key mailed to a user, or to the address of a sign-up. Only a digest of
    the key is stored, with a digest of the state it was issued for
    (``accounts.keys.state_of``): a new password or address makes every key issued before
    it stale."""

    class Purpose(models.TextChoices):
        # A sign-up waiting for its address to be proven: no account exists until then.
        SIGN_UP = "sign_up"
        VERIFY_EMAIL = "verify_email"
        RESET_PASSWORD = "reset_password"
        CHANGE_EMAIL = "change_email"
        # Lets a staff account set up its first second factor under required_for_staff.
        ENROL_FACTOR = "enrol_factor"

    digest = models.CharField(max_length=64, primary_key=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    # None for a sign-up: the account is made when the key is spent.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(max_length=64)
    # The address a sign-up or an email change is for.
    new_email = models.CharField(max_length=254, blank=True)
    # A sign-up's username and password hash (never the password itself).
    signup = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.purpose} key of user {self.user_id}"


class LoginCode(models.Model):
    """A sign-in with a mailed code: its request's ``flow`` and the code, as keyed digests.
    Written alike for every address; only for a proven, active account's address does the
    mail task name the ``user`` and its ``state`` (``accounts.keys.state_of``)."""

    digest = models.CharField(max_length=64, primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    code_digest = models.CharField(max_length=64)
    state = models.CharField(max_length=64, blank=True, default="")
    # The login's per-account failure budget, keyed by the address asked for.
    throttle_key = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return "login code flow"


class AccountTask(models.Model):
    """Work done after the response (sign-up, mail): written in the request, so a request
    is never lost, and done later, so a known and an unknown address answer alike."""

    kind = models.CharField(max_length=32)
    payload = models.JSONField()
    created_at = models.DateTimeField()
    due_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # A worker that takes the task holds it until then; a crashed one lets it go.
    claimed_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} task {self.pk}"


class TotpDevice(models.Model):
    """A user's TOTP secret (RFC 6238), encrypted with a key derived from the server secret.
    ``confirmed_at`` is set by the first correct code; ``last_step`` is the time step of the
    last code accepted, raised atomically, so no code is ever accepted twice."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    encrypted_secret = models.TextField()
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"TOTP of user {self.user_id}"


class RecoveryCode(models.Model):
    """One single-use recovery code, stored as a keyed digest."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code of user {self.user_id}"


class Passkey(models.Model):
    """A WebAuthn credential: its id, public key and sign counter."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    credential_id = models.BinaryField(max_length=1023, unique=True)
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    name = models.CharField(max_length=64)
    # Whether the authenticator says the credential is synced (a "multi-device" passkey).
    backed_up = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"passkey {self.name!r} of user {self.user_id}"


class Challenge(models.Model):
    """A single-use secret a second step must present, kept only as a digest: the
    ``mfa_token`` of a login waiting for its second factor, or a WebAuthn challenge."""

    class Purpose(models.TextChoices):
        MFA_LOGIN = "mfa_login"
        PASSKEY_REGISTER = "passkey_register"
        PASSKEY_SECOND_FACTOR = "passkey_mfa"
        PASSKEY_LOGIN = "passkey_login"
        PASSKEY_REAUTH = "passkey_reauth"
        # A session allowed to set up its account's first factor (an enrolment link).
        FACTOR_ENROLMENT = "factor_enrolment"

    digest = models.CharField(max_length=64, primary_key=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The WebAuthn challenge bytes, for the verifier (empty for an mfa_token).
    challenge = models.BinaryField(blank=True, default=b"")
    # An mfa_token's: a keyed digest of the account's password and address when the first
    # step passed, so that a pending login dies with a password change.
    state = models.CharField(max_length=64, blank=True, default="")
    # What the first step proved (RFC 8176 amr values), and the session it belongs to.
    amr = models.CharField(max_length=64, blank=True)
    session_id = models.UUIDField(null=True, blank=True)
    # The provider a pending login's first step signed in with, for its session.
    provider = models.CharField(max_length=32, blank=True, default="")
    # A pending login's password was found in known breaches: its session will say so.
    password_breached = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.purpose} challenge"


class ProviderIdentity(models.Model):
    """An account's identity at a sign-in provider: the pair (issuer, subject), which is
    the identity, never the address the provider reports (nOAuth). The address and name
    are what the provider said last, for the account page only."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_identities"
    )
    provider = models.CharField(max_length=32)
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    email = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="spa_auth_identity_issuer_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} identity of user {self.user_id}"


class ProviderFlow(models.Model):
    """A sign-in (or a connection) begun at a provider and not yet back: its ``state``
    (the key, kept as a keyed digest), the browser that began it (a keyed digest of its
    flow cookie), and the secrets the callback needs, which never reach the browser."""

    class Intent(models.TextChoices):
        LOGIN = "login"
        CONNECT = "connect"
        # A signed-in user proving who they are again (step-up) at a provider.
        REAUTHENTICATE = "reauthenticate"

    digest = models.CharField(max_length=64, primary_key=True)
    browser = models.CharField(max_length=64)
    provider = models.CharField(max_length=32)
    intent = models.CharField(max_length=16, choices=Intent.choices)
    # The signed-in user a connection or re-authentication is for (and the session a
    # re-authentication freshens); None for a sign-in.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    session_id = models.UUIDField(null=True, blank=True)
    code_verifier = models.CharField(max_length=128)
    nonce = models.CharField(max_length=64)
    next = models.CharField(max_length=512, blank=True)
    # What a form-post callback (Apple) carried besides the code: the name, given once.
    extra = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.intent} flow at {self.provider}"


class Device(models.Model):
    """A browser an account signed in from, known by its device cookie (kept as a keyed
    digest). An empty ``digest`` marks an account that has signed in before, so its next
    sign-in is not the first after sign-up: never listed, never matched."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, blank=True)
    # The user agent of the last sign-in; what it says is read when shown, off the sign-in.
    user_agent = models.CharField(max_length=512, blank=True)
    created_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "digest"],
                condition=~models.Q(digest=""),
                name="spa_auth_device_user_digest",
            )
        ]

    def __str__(self) -> str:
        return f"device {self.id} of user {self.user_id}"
