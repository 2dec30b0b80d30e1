"""The documented extension points: the user payload, extra access-token claims, signals."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client
from rest_framework import serializers
from spa_auth import signals

from tests.conftest import PASSWORD, bearer, login

pytestmark = pytest.mark.django_db


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def payload_with_initials(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "initials": user.first_name[:1] + user.last_name[:1]}


class NameOnly(serializers.Serializer):
    username = serializers.CharField()


def tenant_claims(user: Any) -> dict[str, Any]:
    return {"tenant": f"t-{user.pk}", "roles": ["reader"]}


def replaces_sub(user: Any) -> dict[str, Any]:
    return {"sub": "someone-else"}


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (f"{__name__}.payload_with_initials", {"initials": "AL"}),
        (f"{__name__}.NameOnly", {"username": "alice"}),
    ],
)
def test_the_user_payload_is_whatever_the_setting_names(client, user, settings, setting, expected):
    settings.SPA_AUTH = {**settings.SPA_AUTH, "USER_PAYLOAD": setting}
    body = login(client).json()
    assert expected.items() <= body["user"].items()
    me = client.get("/api/v1/user/", **bearer(body["token"])).json()
    assert me == body["user"]


def test_extra_claims_ride_in_every_access_token_login_and_refresh(client, user, settings):
    settings.SPA_AUTH = {**settings.SPA_AUTH, "ACCESS_TOKEN_CLAIMS": f"{__name__}.tenant_claims"}
    response = login(client)
    assert claims_of(response.json()["token"])["tenant"] == f"t-{user.pk}"
    refreshed = client.post(
        "/api/v1/auth/refresh_token/",
        {"refresh": response.cookies["refresh_token"].value},
        content_type="application/json",
    )
    token = refreshed.json()["token"]
    assert claims_of(token)["roles"] == ["reader"]
    assert client.get("/api/v1/user/", **bearer(token)).status_code == 200


def test_extra_claims_may_not_replace_a_registered_claim(user, settings):
    from spa_auth.conf import get_settings
    from spa_auth.internal import clock
    from spa_auth.internal.tokens import codec, keys

    conf = get_settings()
    with pytest.raises(ValueError, match="sub"):
        codec.encode_access_token(
            user_id="1",
            session_id="00000000-0000-0000-0000-000000000000",
            now=clock.now(),
            key=keys.access_keys(conf)[0],
            conf=conf,
            extra={"sub": "x"},
        )


def test_every_session_event_is_a_signal(client, user):
    seen: list[tuple[str, Any]] = []

    def note(name: str) -> Any:
        def receiver(sender: Any, **kwargs: Any) -> None:
            seen.append((name, kwargs.get("reason") or kwargs.get("grace")))

        return receiver

    receivers = {name: note(name) for name in ("opened", "refreshed", "ended", "reused")}
    signals.session_opened.connect(receivers["opened"])
    signals.session_refreshed.connect(receivers["refreshed"])
    signals.session_ended.connect(receivers["ended"])
    signals.refresh_reused.connect(receivers["reused"])
    try:
        response = login(client)
        first = response.cookies["refresh_token"].value

        def refresh(token: str) -> Any:
            return client.post(
                "/api/v1/auth/refresh_token/", {"refresh": token}, content_type="application/json"
            )

        refresh(first)
        refresh(first)  # the same client again, inside the grace window
        access = login(Client()).json()["token"]
        Client().post("/api/v1/auth/logout/", **bearer(access))
    finally:
        for signal, name in (
            (signals.session_opened, "opened"),
            (signals.session_refreshed, "refreshed"),
            (signals.session_ended, "ended"),
            (signals.refresh_reused, "reused"),
        ):
            signal.disconnect(receivers[name])
    assert seen == [
        ("opened", None),
        ("refreshed", False),
        ("refreshed", True),
        ("opened", None),
        ("ended", "logout"),
    ]


def test_reuse_and_password_changes_are_signals(client, user, clock):
    reused, changed = [], []
    signals.refresh_reused.connect(
        lambda sender, **kw: reused.append(kw["session_id"]), weak=False, dispatch_uid="t1"
    )
    signals.password_changed.connect(
        lambda sender, **kw: changed.append(kw["user"]), weak=False, dispatch_uid="t2"
    )
    try:
        token = login(client).cookies["refresh_token"].value
        client.post(
            "/api/v1/auth/refresh_token/", {"refresh": token}, content_type="application/json"
        )
        clock.advance(seconds=30)
        client.post(
            "/api/v1/auth/refresh_token/", {"refresh": token}, content_type="application/json"
        )
        user.set_password(PASSWORD + "-new")
        user.save()
    finally:
        signals.refresh_reused.disconnect(dispatch_uid="t1")
        signals.password_changed.disconnect(dispatch_uid="t2")
    assert len(reused) == 1 and changed == [user]
