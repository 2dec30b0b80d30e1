"""Django admin: sessions can be revoked; audit events are read-only."""

from __future__ import annotations

import pytest
from django.test import Client
from spa_auth.models import AuditEvent, Session

from tests.conftest import bearer, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, user_factory):
    admin = user_factory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_the_revoke_action_ends_the_selected_sessions_at_once(admin_client, user):
    api = Client()
    token = login(api).json()["token"]
    session = Session.objects.get(user=user)
    response = admin_client.post(
        "/admin/spa_auth/session/",
        {"action": "revoke", "_selected_action": [str(session.pk)]},
    )
    assert response.status_code == 302
    assert Session.objects.get(pk=session.pk).revoke_reason == "admin"
    assert api.get("/api/v1/user/", **bearer(token)).status_code == 401
    # The message survives the redirect (api.middleware.LazyMessageMiddleware).
    assert "Revoked 1 sessions." in admin_client.get(response["Location"]).content.decode()


def test_api_calls_between_an_admin_action_and_its_next_page_keep_its_message(admin_client, user):
    """API calls in between never build the message storage: they neither show the
    message nor drop it."""
    login(Client())
    session = Session.objects.get(user=user)
    response = admin_client.post(
        "/admin/spa_auth/session/",
        {"action": "revoke", "_selected_action": [str(session.pk)]},
    )
    assert "messages" in response.cookies
    for _ in range(2):
        assert "messages" not in admin_client.get("/api/v1/health/").cookies
    assert "Revoked 1 sessions." in admin_client.get(response["Location"]).content.decode()


def test_deactivating_a_user_in_the_admin_refuses_their_tokens(admin_client, user):
    from django.test import Client

    api = Client()
    token = login(api).json()["token"]
    user.is_active = False
    user.save()
    assert api.get("/api/v1/user/", **bearer(token)).json()["code"] == "session_revoked"


def test_audit_events_are_listed_but_read_only(admin_client, user):
    from django.test import Client

    login(Client())
    event = AuditEvent.objects.get(user=user)
    assert admin_client.get("/admin/spa_auth/auditevent/").status_code == 200
    assert admin_client.get(f"/admin/spa_auth/auditevent/{event.pk}/delete/").status_code == 403
    response = admin_client.post(
        f"/admin/spa_auth/auditevent/{event.pk}/change/", {"kind": "logout"}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).kind == "login"


def test_an_operator_sees_provider_identities_and_may_only_delete_one(admin_client, user):
    from django.utils import timezone
    from spa_auth.models import ProviderIdentity

    identity = ProviderIdentity.objects.create(
        user=user,
        provider="google",
        issuer="https://accounts.google.com",
        subject="1234",
        email="alice@gmail.example",
        created_at=timezone.now(),
    )
    listed = admin_client.get("/admin/spa_auth/provideridentity/")
    assert listed.status_code == 200 and b"alice@gmail.example" in listed.content
    assert admin_client.get("/admin/spa_auth/provideridentity/add/").status_code == 403
    changed = admin_client.post(
        f"/admin/spa_auth/provideridentity/{identity.pk}/change/", {"subject": "9999"}
    )
    assert changed.status_code == 403
    assert ProviderIdentity.objects.get().subject == "1234"
    deleted = admin_client.post(
        f"/admin/spa_auth/provideridentity/{identity.pk}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 302 and not ProviderIdentity.objects.exists()
    # The flows, which hold verifiers and nonces, are not in the admin at all.
    assert admin_client.get("/admin/spa_auth/providerflow/").status_code == 404
