"""Sign-up, email verification, password reset, email change and account deletion, over
the request stack with Django's locmem mail backend (``mailoutbox``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail as django_mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from spa_auth.internal.accounts import tasks
from spa_auth.models import AccountEmail, AccountKey, AccountTask, AuditEvent, ThrottleCounter

from .conftest import PASSWORD, bearer, login

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-brand-new-passphrase-42"
AUTH = "/api/v1/auth"


def post(client: Client, path: str, body: Any, **headers: Any) -> Any:
    return client.post(f"{AUTH}/{path}", body, content_type="application/json", **headers)


def key_of(message: Any, path: str) -> str:
    found = re.search(rf"http://localhost:8000{path}#key=([A-Za-z0-9_-]+)", message.body)
    assert found, message.body
    return found.group(1)


def register(client: Client, username: str = "newbie", email: str = "newbie@example.com") -> Any:
    return post(client, "register/", {"username": username, "email": email, "password": PASSWORD})


def confirm(client: Client, path: str, key: str, password: str | None = PASSWORD) -> Any:
    """Post a mailed key the way the app does after the person clicks: with the password
    chosen at sign-up, or the account's."""
    body = {"key": key} if password is None else {"key": key, "password": password}
    return post(client, path, body)


def public_headers(response: Any) -> dict[str, str]:
    """Every header a client sees, but the date and the throttle's own."""
    return {k: v for k, v in response.headers.items() if k not in ("Date",)}


# Sign-up and verification


def test_signup_verify_then_login(client: Client, mailoutbox: list[Any]) -> None:
    response = register(client)
    assert response.status_code == 201
    assert response.json()["code"] == "verification_sent"
    [message] = mailoutbox
    assert message.to == ["newbie@example.com"]
    assert message.alternatives and message.alternatives[0][1] == "text/html"
    # No account before the address is proven: the chosen password opens nothing.
    assert not get_user_model().objects.filter(username="newbie").exists()
    assert login(client, "newbie").json()["code"] == "invalid_credentials"

    key = key_of(message, "/verify-email")
    assert confirm(client, "email/verify/", key).json()["code"] == "email_verified"
    assert login(client, "newbie").status_code == 200
    again = confirm(client, "email/verify/", key)
    assert (again.status_code, again.json()["code"]) == (400, "key_invalid")
    kinds = set(AuditEvent.objects.values_list("kind", flat=True))
    assert {"registered", "verification_sent", "email_verified", "login"} <= kinds


def test_signing_up_tells_nothing_about_an_address(client: Client, user: Any) -> None:
    """The attacks of a prober who chooses the username and the password: after signing
    up a known and an unknown address, neither a second sign-up with the same username
    nor a login with that password tells the two apart."""
    for n, address in enumerate([user.email, "nobody@example.com"]):
        name = f"probe{n}"
        assert register(client, name, address).status_code == 201
        again = register(client, name, f"mine{n}@attacker.example")
        assert again.status_code == 201, again.json()
        assert login(client, name).json()["code"] == "invalid_credentials"


def test_a_username_taken_while_the_mail_waits_is_said_to_the_mailbox_only(
    client: Client, user_factory: Callable[..., Any], mailoutbox: list[Any]
) -> None:
    register(client)
    user_factory(username="newbie")
    response = confirm(client, "email/verify/", key_of(mailoutbox[0], "/verify-email"))
    assert (response.status_code, response.json()["code"]) == (400, "username_taken")


def test_signup_with_a_known_address_answers_alike_and_mails_its_owner(
    client: Client, user: Any, mailoutbox: list[Any]
) -> None:
    fresh = register(client, "fresh", "fresh@example.com")
    mailoutbox.clear()
    known = register(client, "copycat", user.email.upper())
    assert (known.status_code, known.json()) == (fresh.status_code, fresh.json())
    assert public_headers(known) == public_headers(fresh)
    [message] = mailoutbox
    assert message.to == ["USER1@example.com".replace("USER1", user.email.split("@")[0].upper())]
    assert "already has an account" in message.body
    assert not get_user_model().objects.filter(username="copycat").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "x", "email": "x@example.com", "password": "123"}, "password"),
        ({"username": "alice", "email": "y@example.com", "password": PASSWORD}, "username"),
        ({"username": "ALICE", "email": "y@example.com", "password": PASSWORD}, "username"),
        ({"username": "z", "email": "not-an-address", "password": PASSWORD}, "email"),
        ({"username": ["z"], "email": "z@example.com", "password": PASSWORD}, "username"),
        ({"username": "z", "email": 7, "password": PASSWORD}, "email"),
        ({"username": "z", "email": "z@example.com", "password": None}, "password"),
        ({"username": "bad name!", "email": "z@example.com", "password": PASSWORD}, "username"),
    ],
)
def test_signup_reports_each_field(client: Client, user: Any, body: Any, field: str) -> None:
    response = post(client, "register/", body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert AccountTask.objects.count() == 0


def test_signup_password_is_checked_against_the_username(client: Client) -> None:
    response = post(
        client,
        "register/",
        {"username": "quartermaster", "email": "q@example.com", "password": "quartermaster1"},
    )
    assert response.status_code == 400
    assert "similar" in response.json()["errors"]["password"][0]


def test_signup_can_be_closed(client: Client, settings: Any) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "SIGNUP_ENABLED": False}
    response = register(client)
    assert (response.status_code, response.json()["code"]) == (403, "signup_disabled")


def test_optional_verification_lets_the_account_in(client: Client, settings: Any) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "EMAIL_VERIFICATION": "optional"}
    register(client)
    assert login(client, "newbie").status_code == 200


def test_no_verification_sends_no_mail(
    client: Client, settings: Any, mailoutbox: list[Any]
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "EMAIL_VERIFICATION": "none"}
    assert register(client).json()["code"] == "registered"
    assert mailoutbox == []
    assert login(client, "newbie").status_code == 200


def test_accounts_made_elsewhere_need_no_verification(client: Client, user: Any) -> None:
    assert login(client).status_code == 200  # the admin, createsuperuser, the shell


def test_addresses_are_unique_whatever_their_case(client: Client, mailoutbox: list[Any]) -> None:
    register(client, "first", "Same@Example.COM")
    register(client, "second", "same@example.com")
    register(client, "third", "\u212aate@example.com")  # a Kelvin sign for the K
    first, second, third = (key_of(m, "/verify-email") for m in mailoutbox)
    assert confirm(client, "email/verify/", first).status_code == 200
    late = confirm(client, "email/verify/", second)
    assert (late.status_code, late.json()["code"]) == (400, "email_in_use")
    assert get_user_model().objects.filter(email__iexact="same@example.com").count() == 1
    assert get_user_model().objects.get(username="first").email == "Same@example.com"
    assert AccountEmail.objects.get().address == "same@example.com"
    register(client, "fourth", "kate@example.com")
    assert confirm(client, "email/verify/", third).status_code == 200
    fourth = key_of(mailoutbox[-1], "/verify-email")
    assert confirm(client, "email/verify/", fourth).json()["code"] == "email_in_use"
    register(client, "fifth", "KATE@example.com")
    assert "already has an account" in mailoutbox[-1].body


def test_a_second_sign_up_of_a_proven_address_mails_its_owner(
    client: Client, mailoutbox: list[Any]
) -> None:
    register(client, "first", "one@example.com")
    confirm(client, "email/verify/", key_of(mailoutbox[0], "/verify-email"))
    register(client, "second", "ONE@example.com")
    assert "already has an account" in mailoutbox[-1].body


def test_resend_answers_alike_for_every_address(
    client: Client, settings: Any, mailoutbox: list[Any]
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "EMAIL_VERIFICATION": "optional"}
    register(client)
    mailoutbox.clear()
    unknown = post(client, "email/verify/resend/", {"email": "nobody@example.com"})
    assert mailoutbox == []
    known = post(client, "email/verify/resend/", {"email": "NEWBIE@example.com"})
    assert known.status_code == 202
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert public_headers(known) == public_headers(unknown)
    [message] = mailoutbox
    assert confirm(client, "email/verify/", key_of(message, "/verify-email")).status_code == 200


def test_a_verification_key_dies_with_the_address(
    client: Client, settings: Any, mailoutbox: list[Any]
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "EMAIL_VERIFICATION": "optional"}
    register(client)
    key = key_of(mailoutbox[0], "/verify-email")
    newbie = get_user_model().objects.get(username="newbie")
    newbie.email = "elsewhere@example.com"
    newbie.save()
    assert confirm(client, "email/verify/", key).json()["code"] == "key_invalid"


def test_resend_never_mails_a_pending_sign_up_and_signing_up_again_does(
    client: Client, mailoutbox: list[Any]
) -> None:
    """The newest pending sign-up of an address may be anyone's: resend mails none. Its
    requester signs up again, which proves them by the password, and gets a new link."""
    register(client)
    post(client, "email/verify/resend/", {"email": "Newbie@example.com"})
    assert len(mailoutbox) == 1
    register(client)
    first, second = (key_of(m, "/verify-email") for m in mailoutbox)
    assert confirm(client, "email/verify/", second).status_code == 200
    assert confirm(client, "email/verify/", first).json()["code"] == "email_in_use"
    assert login(client, "newbie").status_code == 200


# Password reset


def request_reset(client: Client, email: str) -> Any:
    return post(client, "password/reset/", {"email": email})


def test_reset_answers_alike_for_every_address(
    client: Client, user: Any, mailoutbox: list[Any]
) -> None:
    unknown = request_reset(client, "nobody@example.com")
    assert mailoutbox == []
    known = request_reset(client, user.email)
    assert known.status_code == 202
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert public_headers(known) == public_headers(unknown)
    assert len(mailoutbox) == 1


def test_reset_ends_every_session_and_is_spent(
    client: Client, user: Any, mailoutbox: list[Any], clock: Any
) -> None:
    token = login(client).json()["token"]
    request_reset(client, user.email)
    key = key_of(mailoutbox[0], "/reset-password")
    done = post(client, "password/reset/confirm/", {"key": key, "new_password": NEW_PASSWORD})
    assert done.status_code == 204
    ended = client.get("/api/v1/user/", **bearer(token))
    assert (ended.status_code, ended.json()["code"]) == (401, "session_revoked")
    assert login(client).status_code == 401
    assert login(client, password=NEW_PASSWORD).status_code == 200
    replay = post(
        client, "password/reset/confirm/", {"key": key, "new_password": "x" + NEW_PASSWORD}
    )
    assert (replay.status_code, replay.json()["code"]) == (400, "key_invalid")
    assert AuditEvent.objects.filter(kind="reset_done", user=user).exists()


def test_reset_key_expires(client: Client, user: Any, mailoutbox: list[Any], clock: Any) -> None:
    request_reset(client, user.email)
    key = key_of(mailoutbox[0], "/reset-password")
    clock.advance(minutes=61)
    response = post(client, "password/reset/confirm/", {"key": key, "new_password": NEW_PASSWORD})
    assert response.json()["code"] == "key_invalid"


@pytest.mark.parametrize(
    "change",
    [
        lambda user: (user.set_password("changed-elsewhere-99"), user.save()),
        lambda user: (setattr(user, "email", "moved@example.com"), user.save()),
    ],
    ids=["password changed by another route", "address changed"],
)
def test_reset_key_dies_when_the_account_moves_on(
    client: Client, user: Any, mailoutbox: list[Any], change: Callable[[Any], Any]
) -> None:
    request_reset(client, user.email)
    key = key_of(mailoutbox[0], "/reset-password")
    change(get_user_model().objects.get(pk=user.pk))
    response = post(client, "password/reset/confirm/", {"key": key, "new_password": NEW_PASSWORD})
    assert response.json()["code"] == "key_invalid"


def test_one_reset_spends_the_other_keys_too(
    client: Client, user: Any, mailoutbox: list[Any]
) -> None:
    request_reset(client, user.email)
    request_reset(client, user.email)
    first, second = (key_of(m, "/reset-password") for m in mailoutbox)
    assert (
        post(
            client, "password/reset/confirm/", {"key": second, "new_password": NEW_PASSWORD}
        ).status_code
        == 204
    )
    stale = post(
        client, "password/reset/confirm/", {"key": first, "new_password": NEW_PASSWORD + "!"}
    )
    assert stale.json()["code"] == "key_invalid"


def test_a_weak_new_password_keeps_the_key(
    client: Client, user: Any, mailoutbox: list[Any]
) -> None:
    request_reset(client, user.email)
    key = key_of(mailoutbox[0], "/reset-password")
    weak = post(client, "password/reset/confirm/", {"key": key, "new_password": "alice"})
    assert weak.status_code == 400 and "new_password" in weak.json()["errors"]
    assert (
        post(
            client, "password/reset/confirm/", {"key": key, "new_password": NEW_PASSWORD}
        ).status_code
        == 204
    )


def test_reset_verifies_the_address(client: Client, settings: Any, mailoutbox: list[Any]) -> None:
    """An account made under optional verification, the policy later made mandatory:
    the right password is told the address is unverified; a reset proves it."""
    settings.SPA_AUTH = {**settings.SPA_AUTH, "EMAIL_VERIFICATION": "optional"}
    register(client)
    settings.SPA_AUTH = {**settings.SPA_AUTH, "EMAIL_VERIFICATION": "mandatory"}
    assert login(client, "newbie", "wrong-password").json()["code"] == "invalid_credentials"
    refused = login(client, "newbie")
    assert (refused.status_code, refused.json()["code"]) == (403, "email_unverified")
    assert "refresh_token" not in refused.cookies
    request_reset(client, "newbie@example.com")
    key = key_of(mailoutbox[-1], "/reset-password")
    post(client, "password/reset/confirm/", {"key": key, "new_password": NEW_PASSWORD})
    assert login(client, "newbie", NEW_PASSWORD).status_code == 200


def test_two_confirmations_of_one_key_succeed_once(user: Any, mailoutbox: list[Any]) -> None:
    from spa_auth.errors import KeyInvalidError
    from spa_auth.internal.accounts import keys as account_keys
    from spa_auth.internal.clock import now

    key = account_keys.issue(
        "reset_password", user, lifetime=__import__("datetime").timedelta(hours=1)
    )
    first, second = (
        account_keys.find("reset_password", key),
        account_keys.find("reset_password", key),
    )
    account_keys.spend(first, now=now())
    with pytest.raises(KeyInvalidError):
        account_keys.spend(second, now=now())


def test_keys_are_stored_as_digests_only(user: Any, client: Client, mailoutbox: list[Any]) -> None:
    request_reset(client, user.email)
    key = key_of(mailoutbox[0], "/reset-password")
    row = AccountKey.objects.get()
    assert key not in (row.digest, row.state) and len(row.digest) == 64


def test_the_prune_command_deletes_expired_keys_spent_or_not_and_keeps_live_ones(
    client: Client, user: Any, mailoutbox: list[Any], clock: Any
) -> None:
    request_reset(client, user.email)
    spent = key_of(mailoutbox[-1], "/reset-password")
    confirm = {"key": spent, "new_password": NEW_PASSWORD}
    assert post(client, "password/reset/confirm/", confirm).status_code == 204
    request_reset(client, user.email)  # never opened
    clock.advance(minutes=61)
    request_reset(client, user.email)
    live = key_of(mailoutbox[-1], "/reset-password")
    call_command("prune_auth")
    assert AccountKey.objects.count() == 1
    confirm = {"key": live, "new_password": "x" + NEW_PASSWORD}
    assert post(client, "password/reset/confirm/", confirm).status_code == 204


def test_opening_the_link_spends_nothing(client: Client, user: Any, mailoutbox: list[Any]) -> None:
    """A mail scanner fetches the URL; the fragment never reaches the server."""
    request_reset(client, user.email)
    url = re.search(r"(http://\S+)", mailoutbox[0].body).group(1)  # type: ignore[union-attr]
    path, _, fragment = url.removeprefix("http://localhost:8000").partition("#")
    assert path == "/reset-password" and fragment.startswith("key=")
    client.get(path)
    key = fragment.removeprefix("key=")
    assert (
        post(
            client, "password/reset/confirm/", {"key": key, "new_password": NEW_PASSWORD}
        ).status_code
        == 204
    )


@pytest.mark.parametrize(
    "key", [None, 7, ["x"], {"a": 1}, "", "short", "x" * 43, "x" * 65, "\u0000" * 43]
)
def test_bad_keys_are_refused_cleanly(client: Client, key: Any) -> None:
    for path in ("email/verify/", "email/change/confirm/"):
        response = post(client, path, {"key": key, "password": PASSWORD})
        assert response.status_code == 400
        assert response.json()["code"] in (
            "key_invalid",
            "invalid",
            "required",
            "blank",
            "null",
            "max_length",
        )


# Email change


def test_email_change_confirms_at_the_new_address(
    client: Client, user: Any, mailoutbox: list[Any]
) -> None:
    token = login(client).json()["token"]
    wrong = post(
        client,
        "email/change/",
        {"new_email": "new@example.com", "password": "nope"},
        **bearer(token),
    )
    assert wrong.status_code == 400 and "not correct" in wrong.json()["errors"]["password"][0]
    response = post(
        client,
        "email/change/",
        {"new_email": "New@Example.com", "password": PASSWORD},
        **bearer(token),
    )
    assert (response.status_code, response.json()["code"]) == (202, "email_change_sent")
    notice, link = mailoutbox
    assert link.to == ["New@example.com"] and notice.to == [user.email]
    assert "#key=" not in notice.body
    key = key_of(link, "/confirm-email")
    assert get_user_model().objects.get(pk=user.pk).email == user.email  # not before the link
    done = confirm(client, "email/change/confirm/", key)
    assert done.json() == {
        "detail": done.json()["detail"],
        "code": "email_changed",
        "email": "New@example.com",
    }
    assert get_user_model().objects.get(pk=user.pk).email == "New@example.com"
    assert confirm(client, "email/change/confirm/", key).json()["code"] == "key_invalid"


def test_email_change_to_a_taken_address_changes_nothing(
    client: Client, user: Any, user_factory: Callable[..., Any], mailoutbox: list[Any]
) -> None:
    other = user_factory(email="taken@example.com")
    token = login(client).json()["token"]
    response = post(
        client,
        "email/change/",
        {"new_email": "TAKEN@example.com", "password": PASSWORD},
        **bearer(token),
    )
    assert response.status_code == 202
    notice, message = mailoutbox
    assert notice.to == [user.email] and "#key=" not in notice.body
    assert message.to == ["TAKEN@example.com"] and "#key=" not in message.body
    assert get_user_model().objects.get(pk=other.pk).email == "taken@example.com"


def test_email_change_needs_a_login(client: Client) -> None:
    response = post(client, "email/change/", {"new_email": "a@example.com", "password": PASSWORD})
    assert response.status_code == 401


def test_email_change_guesses_share_the_login_budget(client: Client, user: Any) -> None:
    token = login(client).json()["token"]
    codes = [
        post(
            client,
            "email/change/",
            {"new_email": "a@example.com", "password": f"guess{n}"},
            **bearer(token),
        ).status_code
        for n in range(7)
    ]
    assert codes[:5] == [400] * 5 and codes[-1] == 429


# Deletion


def delete_account(client: Client, token: str, password: str = PASSWORD) -> Any:
    return client.delete(
        f"{AUTH}/account/", {"password": password}, content_type="application/json", **bearer(token)
    )


def test_account_deletion(client: Client, user: Any) -> None:
    token = login(client).json()["token"]
    login(client, "alice", "a-wrong-guess")
    assert delete_account(client, token, "not-it").status_code == 400
    assert get_user_model().objects.filter(pk=user.pk).exists()
    response = delete_account(client, token)
    assert response.status_code == 204
    assert response.cookies["refresh_token"].value == ""
    assert not get_user_model().objects.filter(pk=user.pk).exists()
    assert client.get("/api/v1/user/", **bearer(token)).status_code == 401
    assert AuditEvent.objects.filter(kind="account_deleted").exists()
    leftovers = AuditEvent.objects.exclude(username="", ip=None, user_agent="", user=None)
    assert not leftovers.exists()


# Requests that name an address: the same work for a known and an unknown one


def work_done(client: Client, path: str, body: dict[str, Any], address: str) -> dict[str, Any]:
    """What the request did to the database before its task ran: every statement, as SQL
    without its values, and the task and throttle counter rows it left, the address (and
    its digest in a counter's key) masked."""
    statements: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    AccountTask.objects.all().delete()
    ThrottleCounter.objects.all().delete()
    with connection.execute_wrapper(record):
        response = post(client, path, body)
    assert response.status_code in (201, 202), response.content
    queued = [
        (task.kind, {k: masked(k, v, address) for k, v in task.payload.items()})
        for task in AccountTask.objects.all()
    ]
    counters = sorted(
        (row.key.partition(":")[0], row.count, row.allowed, row.expires_at, row.locked_until)
        for row in ThrottleCounter.objects.all()
    )
    return {"tasks": queued, "counters": counters, "statements": statements}


def masked(name: str, value: Any, address: str) -> Any:
    if value == address:
        return "<address>"
    return value.partition("$")[0] if name == "password" else value  # the salt is random


@pytest.mark.parametrize(
    ("path", "known"),
    [
        ("register/", "user1@example.com"),
        ("email/verify/resend/", "pending@example.com"),
        ("password/reset/", "user1@example.com"),
    ],
    ids=["sign-up", "resend", "reset"],
)
def test_a_request_naming_an_address_does_the_same_work_known_or_not(
    client: Client,
    user_factory: Callable[..., Any],
    clock: Any,
    monkeypatch: Any,
    path: str,
    known: str,
) -> None:
    user_factory(email="user1@example.com")
    register(client, "pending", "pending@example.com")  # a sign-up waiting for its link
    monkeypatch.setattr(tasks, "run_due", lambda **kwargs: 0)  # the task waits: not measured
    fields = {"username": "newbie", "password": PASSWORD} if path == "register/" else {}
    post(client, path, {**fields, "email": "warm-up@example.com"})  # caches filled alike
    mine, theirs = (
        work_done(client, path, {**fields, "email": address}, address)
        for address in (known, "nobody@example.com")
    )
    assert mine["tasks"] == theirs["tasks"] and len(mine["tasks"]) == 1
    assert mine["counters"] == theirs["counters"]
    assert mine["statements"] == theirs["statements"]


# Abuse


def test_mails_per_address_are_capped_known_or_not(
    client: Client, user: Any, settings: Any
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "MAILS_PER_ADDRESS": 3}
    for address in (user.email, "nobody@example.com"):
        codes = [request_reset(client, address).status_code for _ in range(4)]
        assert codes == [202, 202, 202, 429]


def test_requests_per_client_address_are_capped(client: Client, settings: Any) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "ACCOUNT_REQUESTS_PER_IP": 4}
    codes = [request_reset(client, f"n{n}@example.com").status_code for n in range(5)]
    assert codes == [202] * 4 + [429]


def test_cross_site_requests_are_refused(client: Client) -> None:
    response = post(
        client, "password/reset/", {"email": "a@example.com"}, HTTP_ORIGIN="https://evil.example"
    )
    assert response.status_code == 403


def test_no_mail_without_a_frontend_url(client: Client, settings: Any) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "FRONTEND_URL": None}
    response = request_reset(client, "a@example.com")
    assert (response.status_code, response.json()["code"]) == (503, "mail_not_configured")


class _DownBackend:
    def __init__(self, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("mail server down")


def test_a_mail_server_that_is_down_loses_nothing(
    client: Client, user: Any, settings: Any, clock: Any, mailoutbox: list[Any], caplog: Any
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}._DownBackend"
    response = request_reset(client, user.email)
    assert response.status_code == 202
    task = AccountTask.objects.get()
    assert task.attempts == 1 and "retrying" in caplog.text
    assert AccountKey.objects.count() == 0  # the unsent key was forgotten
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    django_mail.outbox = mailoutbox
    clock.advance(minutes=2)
    assert tasks.run_due() == 1
    [message] = mailoutbox
    key = key_of(message, "/reset-password")
    assert (
        post(
            client, "password/reset/confirm/", {"key": key, "new_password": NEW_PASSWORD}
        ).status_code
        == 204
    )


def test_a_task_failing_every_time_is_dropped_and_logged(
    client: Client, user: Any, settings: Any, clock: Any, caplog: Any
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}._DownBackend"
    request_reset(client, user.email)
    for _ in tasks.RETRY_DELAYS:
        clock.advance(hours=13)
        tasks.run_due()
    assert not AccountTask.objects.exists()
    assert "dropped" in caplog.text


def test_a_deactivated_account_cannot_be_reset(
    client: Client, user: Any, mailoutbox: list[Any]
) -> None:
    request_reset(client, user.email)
    key = key_of(mailoutbox[0], "/reset-password")
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    response = post(client, "password/reset/confirm/", {"key": key, "new_password": NEW_PASSWORD})
    assert response.json()["code"] == "key_invalid"
    assert not get_user_model().objects.get(pk=user.pk).check_password(NEW_PASSWORD)


def test_a_pre_registered_account_loses_its_factors_at_its_owners_reset(
    client: Client, settings: Any, mailoutbox: list[Any], clock: Any
) -> None:
    """Under optional verification an attacker signs up with the victim's address and has a
    second factor on it (the API refuses to add one before the address is proven: see
    test_mfa; here it is planted in the table); the victim's reset, the first proof of
    the address, removes it."""
    from spa_auth.internal.mfa import services as mfa
    from spa_auth.models import Passkey

    settings.SPA_AUTH = {**settings.SPA_AUTH, "EMAIL_VERIFICATION": "optional"}
    register(client, "squatter", "victim@example.com")
    squatter = get_user_model().objects.get(username="squatter")
    Passkey.objects.create(
        user=squatter,
        credential_id=b"planted",
        public_key=b"key",
        name="planted",
        created_at=clock(),
    )
    assert mfa.has_mfa(squatter)
    request_reset(client, "victim@example.com")
    key = key_of(mailoutbox[-1], "/reset-password")
    post(client, "password/reset/confirm/", {"key": key, "new_password": NEW_PASSWORD})
    assert not mfa.has_mfa(squatter)
    assert login(client, "squatter", NEW_PASSWORD).status_code == 200
    assert AuditEvent.objects.filter(kind="mfa_reset", user=squatter).exists()
