"""Django admin: sessions with a "revoke" action; audit events read-only; provider
identities to look at and delete; a "reset second factors" action on the user model's
admin. Flows at providers stay out: they hold verifiers and nonces, and live minutes."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .internal import clock
from .internal.mfa import services as mfa
from .internal.sessions import store
from .models import AuditEvent, ProviderIdentity, Session

_HIDDEN = ["credential_digest", "rotated_by"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "user",
        "kind",
        "created_at",
        "last_used_at",
        "ip",
        "revoked_at",
        "revoke_reason",
    ]
    list_filter = ["kind", "revoke_reason", "created_at"]
    search_fields = ["user__username", "ip", "id"]
    list_select_related = ["user"]
    # The digests are keyed and say nothing to a person; they stay out of the page.
    exclude = _HIDDEN
    readonly_fields = [f.name for f in Session._meta.fields if f.name not in _HIDDEN]
    actions = ["revoke"]

    @admin.action(description=_("Revoke the selected sessions"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        now = clock.now()
        count = sum(store.revoke_session(s.pk, reason="admin", now=now) for s in queryset)
        message = gettext("Revoked %(count)d sessions.") % {"count": count}
        self.message_user(request, message, messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "user", "username", "ip", "detail"]
    list_filter = ["kind", "created_at"]
    search_fields = ["username", "ip", "session_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProviderIdentity)
class ProviderIdentityAdmin(admin.ModelAdmin):
    """An operator may remove an identity (one a thief connected); nothing else is
    edited here: an identity is made only by its provider's answer."""

    list_display = ["user", "provider", "email", "created_at", "last_used_at"]
    list_filter = ["provider", "created_at"]
    search_fields = ["user__username", "email", "subject"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in ProviderIdentity._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.action(description=_("Reset the second factors of the selected users"))
def reset_mfa(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    """For a user who lost every factor: TOTP, recovery codes and passkeys are removed (and
    audited); the next login asks for the password alone."""
    by = request.user.get_username() if request.user.is_authenticated else "admin"
    for user in queryset:
        mfa.reset(user, by=by)
    message = gettext("Reset the second factors of %(count)d users.") % {"count": queryset.count()}
    modeladmin.message_user(request, message, messages.SUCCESS)


def _offer_reset_mfa() -> None:
    """Put the action on the user model's admin, whichever admin class the project uses."""
    user_admin = admin.site._registry.get(get_user_model())
    if user_admin is not None and reset_mfa not in (user_admin.actions or []):
        user_admin.actions = [*(user_admin.actions or []), reset_mfa]


_offer_reset_mfa()
