"""New-device notices: a sign-in from a browser the account has not used before mails the
account's address; known devices are listed and can be forgotten. Each way in (password,
second factor, passkey, provider) is noticed through the one hook every sign-in passes.
The attacks on the notice (forged cookies, floods, races) are here too."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from spa_auth.internal.devices import labels, services
from spa_auth.models import AuditEvent, Device

from .conftest import PASSWORD, bearer, refresh_with_cookie

pytestmark = pytest.mark.django_db
UA = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
# The test client's host is not a loopback one: the cookie is the HTTPS one.
COOKIE = "__Host-spa_auth_device"
DEVICES = "/api/v1/auth/devices/"


def notices() -> list[Any]:
    return [m for m in mail.outbox if "new sign-in" in m.subject]


def sign_in(client: Client, username: str = "alice", **headers: str) -> Any:
    response = client.post(
        "/api/v1/auth/obtain_token/",
        {"username": username, "password": PASSWORD},
        content_type="application/json",
        HTTP_USER_AGENT=headers.pop("ua", UA),
        **headers,
    )
    assert response.status_code == 200, response.content
    return response


def signed_in_before(user: Any) -> Client:
    """A browser that signed in once (the account's first sign-in: no notice)."""
    browser = Client()
    sign_in(browser, user.get_username())
    return browser


def events(detail: str) -> int:
    return AuditEvent.objects.filter(kind="new_device", detail__startswith=detail).count()


def test_the_first_sign_in_after_sign_up_mails_nothing_but_sets_the_cookie(user: Any) -> None:
    response = sign_in(Client())
    morsel = response.cookies[COOKIE]
    assert morsel["httponly"] and morsel["samesite"] == "Lax" and morsel["path"] == "/"
    assert int(morsel["max-age"]) == 365 * 24 * 3600
    assert len(morsel.value) == 43
    assert notices() == [] and not AuditEvent.objects.filter(kind="new_device").exists()
    assert Device.objects.get(user=user).digest != morsel.value  # a keyed digest only


def test_a_known_device_mails_nothing(user: Any) -> None:
    browser = signed_in_before(user)
    first = browser.cookies[COOKIE].value
    sign_in(browser)
    sign_in(browser)
    assert notices() == []
    assert browser.cookies[COOKIE].value == first
    assert Device.objects.filter(user=user).count() == 1


def test_a_new_device_mails_when_where_what_and_the_sessions_page(user: Any) -> None:
    signed_in_before(user)
    sign_in(Client(), HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.9")
    [notice] = notices()
    assert notice.to == [user.email]
    assert "Firefox 128 on Ubuntu" in notice.body
    assert "203.0.113.9" in notice.body
    assert "http://localhost:8000/sessions" in notice.body
    assert events("mailed") == 1


def test_the_notice_is_translated(user: Any) -> None:
    signed_in_before(user)
    sign_in(Client(), HTTP_ACCEPT_LANGUAGE="fr")
    [notice] = mail.outbox
    assert "Firefox 128 sur Ubuntu" in notice.body and "Adresse IP" in notice.body
    assert "connexion" in notice.subject.lower()


def test_a_user_agent_cannot_write_lines_into_the_mail(
    user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parser's rules capture plain names today; should one ever capture what the
    client wrote, the label is still one plain line."""
    sent = "Evil\u202e/1.0\r\nBcc: x@example.com\u2028"
    family = SimpleNamespace(family=sent, major=None)
    monkeypatch.setattr("ua_parser.parse", lambda ua: SimpleNamespace(user_agent=family, os=family))
    signed_in_before(user)
    sign_in(Client(), ua=sent)
    [notice] = mail.outbox
    assert "Evil /1.0 Bcc: x@example.com on Evil /1.0 Bcc: x@example.com" in notice.body
    assert not {"\u202e", "\u2028", "\r"} & set(notice.body)


def test_the_answer_is_the_same_for_a_known_and_a_new_device(user: Any) -> None:
    """Nothing in the answer tells whether the browser was known or a notice went out:
    the mail is sent after the response."""
    browser = signed_in_before(user)
    known = sign_in(browser)
    new = sign_in(Client())
    assert known.status_code == new.status_code
    assert set(known.json()) == set(new.json())
    assert sorted(known.cookies) == sorted(new.cookies)
    assert {k for k, _ in known.items()} == {k for k, _ in new.items()}


@pytest.mark.parametrize(
    "value", ["", "short", "x" * 43 + "y", "a" * 4000, "!" * 43, "é" * 43, "a b" * 20]
)
def test_a_forged_or_oversized_cookie_is_a_new_device_never_a_500(user: Any, value: str) -> None:
    signed_in_before(user)
    browser = Client()
    browser.cookies[COOKIE] = value
    response = sign_in(browser)
    assert response.cookies[COOKIE].value != value and len(response.cookies[COOKIE].value) == 43
    assert len(notices()) == 1


def test_a_known_value_of_another_account_is_new_for_this_one(user_factory: Any) -> None:
    alice, bob = user_factory(username="a1"), user_factory(username="b1")
    signed_in_before(bob)
    shared = signed_in_before(alice)  # one browser, two people
    sign_in(shared, "b1")
    [notice] = notices()
    assert notice.to == [bob.email]


def test_a_flood_of_new_cookie_jars_mails_a_few_times_then_is_audited_as_suppressed(
    user: Any,
) -> None:
    signed_in_before(user)
    for _ in range(10):
        sign_in(Client())
    assert len(notices()) == 3
    assert events("suppressed: throttled") == 7
    assert Device.objects.filter(user=user).count() == 11  # every device still recorded


def test_the_throttle_is_per_account(user_factory: Any) -> None:
    alice, bob = user_factory(username="a2"), user_factory(username="b2")
    signed_in_before(alice)
    signed_in_before(bob)
    for _ in range(4):
        sign_in(Client(), "a2")
    sign_in(Client(), "b2")
    assert [m.to for m in notices()].count([bob.email]) == 1


def test_the_throttle_lets_notices_through_again_after_its_window(user: Any, clock: Any) -> None:
    signed_in_before(user)
    for _ in range(4):
        sign_in(Client())
    clock.advance(hours=1, seconds=1)
    sign_in(Client())
    assert len(notices()) == 4


def test_known_devices_are_listed_with_the_current_one(user: Any) -> None:
    browser = signed_in_before(user)
    token = sign_in(browser).json()["token"]
    sign_in(Client(), ua="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/130.0.0.0 Safari/537.36")
    listed = browser.get(DEVICES, **bearer(token)).json()
    assert [(d["browser"], d["system"], d["current"]) for d in listed] == [
        ("Chrome 130", "Windows", False),
        ("Firefox 128", "Ubuntu", True),
    ]
    assert set(listed[0]) == {"id", "browser", "system", "first_seen", "last_seen", "current"}


def test_a_copied_access_token_from_another_client_sees_no_current_device(user: Any) -> None:
    token = sign_in(signed_in_before(user)).json()["token"]
    listed = Client().get(DEVICES, **bearer(token)).json()
    assert [d["current"] for d in listed] == [False]


def test_forgetting_a_device_makes_its_next_sign_in_mail_again(user: Any) -> None:
    browser = signed_in_before(user)
    other = Client()
    token = sign_in(other).json()["token"]
    assert len(notices()) == 1
    [mine] = [d for d in other.get(DEVICES, **bearer(token)).json() if d["current"]]
    assert other.delete(f"{DEVICES}{mine['id']}/", **bearer(token)).status_code == 204
    assert AuditEvent.objects.filter(kind="device_forgotten").count() == 1
    sign_in(other)
    assert len(notices()) == 2
    sign_in(browser)
    assert len(notices()) == 2


def test_forgetting_every_device_does_not_make_the_next_sign_in_a_first(user: Any) -> None:
    browser = signed_in_before(user)
    token = sign_in(browser).json()["token"]
    [only] = browser.get(DEVICES, **bearer(token)).json()
    assert browser.delete(f"{DEVICES}{only['id']}/", **bearer(token)).status_code == 204
    assert browser.get(DEVICES, **bearer(token)).json() == []
    sign_in(browser)
    assert len(notices()) == 1


def test_another_accounts_device_or_a_bad_id_is_not_found(user_factory: Any) -> None:
    alice, bob = user_factory(username="a3"), user_factory(username="b3")
    signed_in_before(bob)
    token = sign_in(signed_in_before(alice), "a3").json()["token"]
    theirs = Device.objects.get(user=bob)
    client = Client()
    for path in (f"{DEVICES}{theirs.pk}/", f"{DEVICES}not-a-uuid/", f"{DEVICES}{'0' * 32}/"):
        response = client.delete(path, **bearer(token))
        assert response.status_code == 404
        if response["Content-Type"] == "application/json":
            assert response.json()["code"] == "not_found"
    assert Device.objects.filter(user=bob).count() == 1
    assert client.get(DEVICES).status_code == 401


def test_devices_per_account_are_bounded_the_oldest_going_first(
    user: Any, settings: Any, clock: Any
) -> None:
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "DEVICES_PER_USER": 3,
        "DEVICE_NOTICES_PER_ACCOUNT": 10,
    }
    first = signed_in_before(user)
    for _ in range(4):
        clock.advance(minutes=1)
        sign_in(Client())
    assert Device.objects.filter(user=user).count() == 3
    sign_in(first)  # the oldest went: new again
    assert len(notices()) == 5


def test_notices_can_be_turned_off(user: Any, settings: Any) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "NEW_DEVICE_NOTICE": False}
    signed_in_before(user)
    response = sign_in(Client())
    assert COOKIE not in response.cookies and notices() == []
    assert not Device.objects.exists()


def test_without_an_address_nothing_is_mailed_and_it_is_audited(user_factory: Any) -> None:
    nobody = user_factory(username="noaddr", email="")
    signed_in_before(nobody)
    sign_in(Client(), "noaddr")
    assert mail.outbox == [] and events("suppressed: no address") == 1


def test_the_cookie_is_host_prefixed_and_secure_off_loopback(user: Any) -> None:
    response = sign_in(Client(), secure=True)
    assert response.cookies[COOKIE]["secure"] and "spa_auth_device" not in response.cookies


def test_plain_http_on_loopback_uses_the_plain_name(user: Any) -> None:
    response = sign_in(Client(), HTTP_HOST="localhost")
    assert not response.cookies["spa_auth_device"]["secure"] and COOKIE not in response.cookies


def test_a_cookie_under_the_plain_name_off_loopback_is_not_this_device(user: Any) -> None:
    """A sibling subdomain can plant ``spa_auth_device`` but not ``__Host-``: the planted
    name is ignored off loopback."""
    browser = signed_in_before(user)
    planted = Client()
    planted.cookies["spa_auth_device"] = browser.cookies[COOKIE].value
    sign_in(planted, secure=True)
    assert len(notices()) == 1


def test_a_failed_or_pending_login_sets_no_device_cookie(user: Any) -> None:
    response = Client().post(
        "/api/v1/auth/obtain_token/",
        {"username": "alice", "password": "wrong"},
        content_type="application/json",
    )
    assert response.status_code == 401 and COOKIE not in response.cookies
    assert not Device.objects.exists()


def test_prune_deletes_stale_devices_but_keeps_the_accounts_marker(
    user_factory: Any, clock: Any
) -> None:
    alice = user_factory(username="p1")
    browser = signed_in_before(alice)
    clock.advance(days=200)
    sign_in(Client(), "p1")
    clock.advance(days=400)
    call_command("prune_auth", stdout=io.StringIO())
    rows = list(Device.objects.filter(user=alice))
    assert len(rows) == 1 and rows[0].digest == ""  # a marker, no device
    sign_in(browser, "p1")  # the cookie lived on by hand: still not a first sign-in
    assert len(notices()) == 2


def test_a_key_rotation_keeps_devices_known(user: Any, settings: Any) -> None:
    browser = signed_in_before(user)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    sign_in(browser)
    assert notices() == []


def test_the_hook_is_off_the_authenticated_path(user: Any, django_assert_num_queries: Any) -> None:
    browser = signed_in_before(user)
    token = sign_in(browser).json()["token"]
    with django_assert_num_queries(1):
        assert browser.get("/api/v1/user/", **bearer(token)).status_code == 200
    with django_assert_num_queries(1):
        assert refresh_with_cookie(browser).status_code == 200


@hypothesis_settings(max_examples=60, deadline=None)
@given(st.text(max_size=600))
def test_any_user_agent_gives_a_short_plain_label(user_agent: str) -> None:
    parsed = labels.parse(user_agent)
    for value in parsed.values():
        assert len(value) <= 100 and "\n" not in value and "\r" not in value


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=300))
def test_any_cookie_value_signs_in(user: Any, value: str) -> None:
    browser = Client()
    try:
        browser.cookies[COOKIE] = value
    except Exception:  # noqa: BLE001  (a value http.cookies itself cannot hold)
        return
    response = sign_in(browser)
    assert len(response.cookies[COOKIE].value) == 43


def test_the_first_sign_in_of_an_account_made_by_sign_up_mails_nothing(settings: Any) -> None:
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "SIGNUP_ENABLED": True,
        "EMAIL_VERIFICATION": "none",
    }
    body = {"username": "newbie", "email": "newbie@example.com", "password": PASSWORD}
    made = Client().post("/api/v1/auth/register/", body, content_type="application/json")
    assert made.status_code == 201, made.content
    browser = Client()
    sign_in(browser, "newbie")
    assert notices() == [] and not AuditEvent.objects.filter(kind="new_device").exists()
    sign_in(Client(), "newbie")
    assert [m.to for m in notices()] == [["newbie@example.com"]]


def test_a_racing_sign_in_that_recorded_the_device_first_makes_this_one_known(
    user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two sign-ins of one new browser at once: the other one records the device between
    this one's lookup and its insert (forced here, where the new row's digest is made).
    This one then sees a known device: no second notice, no 500."""
    signed_in_before(user)
    value = "R" * 43
    digest = services.digest

    def the_other_request_wins(text: str) -> str:
        if not Device.objects.filter(digest=digest(value)).exists():
            now = timezone.now()
            Device.objects.create(user=user, digest=digest(value), created_at=now, last_seen_at=now)
        return digest(text)

    monkeypatch.setattr(services, "digest", the_other_request_wins)
    browser = Client()
    browser.cookies[COOKIE] = value
    assert sign_in(browser).status_code == 200
    assert notices() == []
    assert Device.objects.filter(user=user, digest=digest(value)).count() == 1
