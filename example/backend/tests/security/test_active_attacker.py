"""Attacks an adversary with a script, time and a copy of one token would try, over the
full request stack (middleware, DRF, the database). One attack per test; the numbers in
the names follow docs/security.md's "active attacker" table."""

from __future__ import annotations

import base64
import bz2
import hmac
import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command
from django.test import Client
from spa_auth.conf import get_settings
from spa_auth.internal.tokens import keys
from spa_auth.models import AuditEvent, Session, ThrottleCounter

from tests.conftest import PASSWORD, bearer, login

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/obtain_token/"
REFRESH = "/api/v1/auth/refresh_token/"


def post_raw(client: Client, path: str, raw: bytes, content_type: str, **extra: Any) -> Any:
    return client.generic("POST", path, raw, content_type=content_type, **extra)


def refresh(client: Client, token: str, **extra: Any) -> Any:
    return client.post(REFRESH, {"refresh": token}, content_type="application/json", **extra)


def attempt(client: Client, username: str = "alice", password: str = PASSWORD, **extra: Any):
    return client.post(
        LOGIN,
        {"username": username, "password": password},
        content_type="application/json",
        **extra,
    )


def body_login(client: Client, **extra: Any) -> tuple[str, str]:
    """(access, refresh) of a new session."""
    response = attempt(client, **extra)
    return response.json()["token"], response.cookies["refresh_token"].value


# --- 1. bytes-to-bytes codecs -----------------------------------------------------------


@pytest.mark.parametrize("charset", ["bz2", "zlib", "base64", "rot13", "latin-1", "utf-16"])
def test_1_a_body_in_any_charset_but_utf8_is_a_415_before_decoding(client, user, charset):
    bomb = bz2.compress(b'{"username": "' + b"a" * 50_000_000 + b'"}')
    assert len(bomb) < 200
    response = post_raw(client, LOGIN, bomb, f"application/json; charset={charset}")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", "utf8"])
def test_1_utf8_under_any_of_its_names_is_accepted(client, user, charset):
    body = json.dumps({"username": "alice", "password": PASSWORD}).encode()
    response = post_raw(client, LOGIN, body, f"application/json; charset={charset}")
    assert response.status_code == 200


def through_wsgi(method: str, path: str, charset: str) -> tuple[str, bytes]:
    """(status line, body) of the deployed WSGI application for a request in ``charset``."""
    from config.wsgi import application
    from django.test import RequestFactory

    environ = RequestFactory()._base_environ(
        REQUEST_METHOD=method,
        PATH_INFO=path,
        QUERY_STRING="next=%2Fadmin%2F&x=1",
        CONTENT_TYPE=f"application/x-www-form-urlencoded; charset={charset}",
    )
    started: list[str] = []
    body = b"".join(application(environ, lambda status, headers: started.append(status)))
    return started[0], body


@pytest.mark.parametrize("charset", ["bz2", "rot13", "undefined", "punycode", "idna", "nope"])
@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/api/v1/health/"), ("POST", "/admin/login/")]
)
def test_1_the_wsgi_application_refuses_unusable_charsets_before_django_decodes(
    db, charset, method, path
):
    """Django decodes the query string with the request's charset inside its request
    constructor, before any middleware: only the WSGI wrapper can refuse it in time."""
    status, body = through_wsgi(method, path, charset)
    assert status == "415 Unsupported Media Type"
    assert json.loads(body)["code"] == "unsupported_media_type"
    # In UTF-8 the same request reaches Django, which answers it (the form: no CSRF token).
    expected = {"GET": "200 OK", "POST": "403 Forbidden"}[method]
    assert through_wsgi(method, path, "utf-8")[0] == expected


# --- 2. the grace window belongs to the client that rotated ----------------------------


VICTIM = {"REMOTE_ADDR": "198.51.100.10", "HTTP_USER_AGENT": "VictimBrowser/1"}
THIEF = {"REMOTE_ADDR": "203.0.113.66", "HTTP_USER_AGENT": "VictimBrowser/1"}


def test_2_a_thief_presenting_the_previous_token_in_the_window_ends_the_session(
    client, user, clock
):
    _, stolen = body_login(client, **VICTIM)
    rotated = refresh(client, stolen, **VICTIM)  # the victim rotates
    assert rotated.status_code == 200
    clock.advance(seconds=2)
    assert refresh(client, stolen, **VICTIM).status_code == 200  # the victim's own retry
    theft = refresh(Client(), stolen, **THIEF)  # the copy, well inside the window
    assert theft.status_code == 401
    assert theft.json()["code"] == "refresh_reused"
    # The session is over for the victim too: the thief cannot ride along any longer.
    assert refresh(client, rotated.json()["refresh"], **VICTIM).status_code == 401
    event = AuditEvent.objects.get(kind="refresh_reused")
    assert event.ip == "203.0.113.66" and "another client" in event.detail


def test_2_another_user_agent_from_the_same_address_is_another_client(client, user):
    _, stolen = body_login(client, **VICTIM)
    assert refresh(client, stolen, **VICTIM).status_code == 200
    assert refresh(client, stolen, **VICTIM).status_code == 200  # the same agent: grace
    forged = {**VICTIM, "HTTP_USER_AGENT": "curl/8"}
    assert refresh(Client(), stolen, **forged).json()["code"] == "refresh_reused"


def test_2_the_rotating_client_retrying_in_the_window_gets_the_same_token_on_record(
    client, user, clock
):
    _, token = body_login(client, **VICTIM)
    first = refresh(client, token, **VICTIM)
    clock.advance(seconds=3)
    again = refresh(client, token, **VICTIM)  # a lost response, or a second tab
    assert again.status_code == 200
    assert again.json()["refresh"] == first.json()["refresh"]
    event = AuditEvent.objects.get(kind="refresh_grace")
    assert (event.ip, event.user_agent) == ("198.51.100.10", "VictimBrowser/1")


def test_2_an_ipv6_client_is_known_by_its_slash_64_in_the_window(client, user, clock):
    home = {"REMOTE_ADDR": "2001:db8:1:2::10", "HTTP_USER_AGENT": "VictimBrowser/1"}
    _, token = body_login(client, **home)
    first = refresh(client, token, **home)
    clock.advance(seconds=2)
    # A new temporary address in the same /64 (RFC 8981): the same client, the same answer.
    moved = {**home, "REMOTE_ADDR": "2001:db8:1:2:ffff:ffff:ffff:1"}
    again = refresh(client, token, **moved)
    assert again.status_code == 200 and again.json()["refresh"] == first.json()["refresh"]
    # The next /64 is another subscriber: the previous token from there is a copy.
    neighbour = {**home, "REMOTE_ADDR": "2001:db8:1:3::10"}
    copy = refresh(Client(), token, **neighbour)
    assert (copy.status_code, copy.json().get("code")) == (401, "refresh_reused")


def test_2_the_sessions_list_shows_rotation_times_to_the_minute_only(client, user, clock):
    clock.current = clock.current.replace(second=37, microsecond=123456)
    access, token = body_login(client)
    clock.advance(seconds=5)
    refresh(client, token)
    body = client.get("/api/v1/auth/sessions/", **bearer(access)).json()
    session = body["results"][0]
    for name in ("last_used", "expires"):
        assert session[name].endswith(":00Z"), session[name]


def test_2_a_rotation_stamped_by_a_clock_far_ahead_gives_no_grace(client, user, clock):
    _, token = body_login(client)
    assert refresh(client, token).status_code == 200
    clock.advance(seconds=-3)  # 3 s behind: within the leeway, the grace answer
    assert refresh(client, token).status_code == 200
    clock.advance(seconds=-27)  # this instance's clock is 30 s behind the one that rotated
    assert refresh(client, token).json()["code"] == "refresh_reused"


# --- 3. counters that cannot be evicted -------------------------------------------------


def test_3_a_lock_survives_a_flood_of_failures_from_rotating_addresses(client, user, settings):
    settings.SPA_AUTH = {**settings.SPA_AUTH, "TRUSTED_PROXY_COUNT": 1}
    for _ in range(5):
        login(client, password="wrong")
    for n in range(400):  # each from its own address: each its own counter
        address = f"2001:db8:{n:x}::1"
        refresh(Client(), "garbage", HTTP_X_FORWARDED_FOR=address)
    assert ThrottleCounter.objects.filter(key__startswith="refresh-ip:").count() == 400
    assert login(client).status_code == 429


def test_3_ipv6_clients_are_limited_by_their_slash_64(client, db, settings):
    settings.SPA_AUTH = {**settings.SPA_AUTH, "LOGIN_FAILURES_PER_IP": 3, "TRUSTED_PROXY_COUNT": 1}
    for n in range(3):
        attempt(client, f"user-{n}", "wrong", HTTP_X_FORWARDED_FOR=f"2001:db8:1:2:{n:x}::{n + 1:x}")
    same_64 = attempt(client, "x", "wrong", HTTP_X_FORWARDED_FOR="2001:db8:1:2:ffff:ffff:ffff:1")
    assert same_64.status_code == 429
    next_64 = attempt(client, "x", "wrong", HTTP_X_FORWARDED_FOR="2001:db8:1:3::1")
    assert next_64.status_code == 401


# --- 4. the admin login is the same door -----------------------------------------------


def admin_login(client: Client, username: str, password: str) -> Any:
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def is_signed_in_to_admin(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


@pytest.fixture
def staff(user_factory):
    return user_factory(username="root", is_staff=True, is_superuser=True)


def test_4_admin_login_failures_lock_the_account_for_the_api_too(client, staff):
    assert attempt(Client(), "root").status_code == 200
    for _ in range(5):
        admin_login(Client(), "root", "wrong")
    assert attempt(client, "root").status_code == 429
    failures = AuditEvent.objects.filter(kind="login_failed", username="root")
    assert sorted(failures.values_list("detail", flat=True)) == [""] * 5 + ["throttled"]


def test_4_an_account_locked_by_api_guesses_refuses_the_admin_login(client, staff):
    before = Client()
    admin_login(before, "root", PASSWORD)
    assert is_signed_in_to_admin(before)
    for _ in range(5):
        attempt(Client(), "root", "wrong")
    browser = Client()
    admin_login(browser, "root", PASSWORD)
    assert not is_signed_in_to_admin(browser)


def test_4_an_admin_session_is_listed_and_ends_with_log_out_everywhere(client, staff):
    browser = Client()
    admin_login(browser, "root", PASSWORD)
    assert is_signed_in_to_admin(browser)
    assert browser.get("/api/v1/user/").status_code == 200  # SessionAuthentication
    access, _ = body_login(client, username="root")
    listed = client.get("/api/v1/auth/sessions/", **bearer(access)).json()["results"]
    assert sorted(s["kind"] for s in listed) == ["browser", "token"]
    assert client.post("/api/v1/auth/logout_all/", **bearer(access)).status_code == 204
    assert not is_signed_in_to_admin(browser)
    assert browser.get("/api/v1/user/").status_code in (401, 403)


@pytest.mark.parametrize("how", ["revoke_one", "command", "admin_action", "password"])
def test_4_every_revocation_reaches_an_admin_session(client, staff, how, user_factory):
    browser = Client()
    admin_login(browser, "root", PASSWORD)
    assert is_signed_in_to_admin(browser)
    linked = Session.objects.get(kind="browser")
    if how == "revoke_one":
        access, _ = body_login(client, username="root")
        client.delete(f"/api/v1/auth/sessions/{linked.pk}/", **bearer(access))
    elif how == "command":
        call_command("revoke_sessions", "root")
    elif how == "admin_action":
        other = Client()
        other.force_login(user_factory(username="boss", is_staff=True, is_superuser=True))
        other.post(
            "/admin/spa_auth/session/",
            {"action": "revoke", "_selected_action": [str(linked.pk)]},
        )
    else:
        staff.set_password("another-long-passphrase")
        staff.save()
    assert not is_signed_in_to_admin(browser)


def test_4_a_django_session_without_a_linked_row_is_logged_out(client, staff):
    browser = Client()
    admin_login(browser, "root", PASSWORD)
    assert is_signed_in_to_admin(browser)
    Session.objects.filter(kind="browser").delete()
    assert not is_signed_in_to_admin(browser)


def test_4_admin_logout_ends_the_linked_session(client, staff):
    browser = Client()
    admin_login(browser, "root", PASSWORD)
    browser.post("/admin/logout/")
    assert Session.objects.get(kind="browser").revoke_reason == "logout"


# --- 5. deactivation ends, it does not pause -------------------------------------------


def test_5_reactivating_a_user_revives_none_of_their_tokens(client, user):
    access, token = body_login(client)
    assert client.get("/api/v1/user/", **bearer(access)).status_code == 200
    user.is_active = False
    user.save()
    user.is_active = True
    user.save()
    assert client.get("/api/v1/user/", **bearer(access)).json()["code"] == "session_revoked"
    assert refresh(client, token).status_code == 401
    assert AuditEvent.objects.filter(kind="deactivated").count() == 1


def test_5_a_deactivation_that_skipped_signals_still_ends_the_session_at_first_use(client, user):
    access, _ = body_login(client)
    assert client.get("/api/v1/user/", **bearer(access)).status_code == 200
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    assert client.get("/api/v1/user/", **bearer(access)).status_code == 401
    get_user_model().objects.filter(pk=user.pk).update(is_active=True)
    assert client.get("/api/v1/user/", **bearer(access)).status_code == 401


# --- 6. JSON values of the wrong type in a token header ---------------------------------


def _token_with_header(header: dict[str, Any], access: str) -> str:
    """The claims of ``access`` under ``header``, signed with the server's key: only the
    header can be wrong."""

    def segment(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    payload = access.split(".")[1]
    signing_input = f"{segment(json.dumps(header).encode())}.{payload}"
    key = keys.access_keys(get_settings())[0].signing
    return f"{signing_input}.{segment(hmac.new(key, signing_input.encode(), 'sha256').digest())}"


@pytest.mark.parametrize(
    "header",
    [
        {"alg": ["HS256"], "typ": "at+jwt"},
        {"alg": {"HS256": 1}, "typ": "at+jwt"},
        {"alg": "HS256", "typ": ["at+jwt"]},
        {"alg": "HS256", "typ": {"a": 1}},
        {"alg": "HS256", "typ": "at+jwt", "kid": {"a": 1}},
        {"alg": None, "typ": None},
    ],
)
def test_6_header_members_of_the_wrong_json_type_are_a_401(client, user, header):
    access, _ = body_login(client)
    well_typed = _token_with_header({"alg": "HS256", "typ": "at+jwt"}, access)
    assert client.get("/api/v1/user/", **bearer(well_typed)).status_code == 200
    token = _token_with_header(header, access)
    response = client.get("/api/v1/user/", **bearer(token))
    assert response.status_code == 401 and response.json()["code"] == "token_invalid"
    verify = client.post(
        "/api/v1/auth/verify_token/", {"token": token}, content_type="application/json"
    )
    assert verify.status_code == 401


# --- 8. forwarded addresses are parsed, not trusted verbatim ---------------------------


@pytest.mark.parametrize(
    ("forwarded", "stored"),
    [
        ("203.0.113.9:51234", "203.0.113.9"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("garbage", "127.0.0.1"),
        ("", "127.0.0.1"),
    ],
)
def test_8_forwarded_addresses_are_stored_canonically(client, user, settings, forwarded, stored):
    settings.SPA_AUTH = {**settings.SPA_AUTH, "TRUSTED_PROXY_COUNT": 1}
    assert attempt(client, HTTP_X_FORWARDED_FOR=forwarded).status_code == 200
    assert Session.objects.get().ip == stored


def test_8_a_chain_shorter_than_the_proxy_count_falls_back_to_the_socket(client, user, settings):
    settings.SPA_AUTH = {**settings.SPA_AUTH, "TRUSTED_PROXY_COUNT": 3}
    attempt(client, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert Session.objects.get().ip == "127.0.0.1"


def test_8_control_characters_never_reach_the_database(client, user):
    attempt(client, HTTP_USER_AGENT="Mozilla\x00/5.0\x1b[31m")
    assert Session.objects.get().user_agent == "Mozilla/5.0[31m"


# --- 9. no password-hash material; a re-hash is not a password change ------------------


class _CheapPBKDF2(PBKDF2PasswordHasher):
    iterations = 1000


PBKDF2_FIRST = [f"{__name__}._CheapPBKDF2", "django.contrib.auth.hashers.MD5PasswordHasher"]


def test_9_the_session_row_and_its_admin_page_hold_no_part_of_the_hash(client, user, staff):
    body_login(client)
    session = Session.objects.get(user=user)
    stored = get_user_model().objects.get(pk=user.pk).password
    for size in range(8, len(stored)):
        assert stored[-size:] not in session.credential_digest
    admin = Client()
    admin.force_login(staff)
    response = admin.get(f"/admin/spa_auth/session/{session.pk}/change/")
    page = response.content.decode()
    assert response.status_code == 200 and session.user_agent in page and str(session.ip) in page
    assert session.credential_digest not in page and "credential" not in page.lower()


def test_9_django_upgrading_the_hash_at_login_keeps_the_other_sessions(client, user, settings):
    access, token = body_login(client)  # stored with MD5, the test suite's hasher
    settings.PASSWORD_HASHERS = PBKDF2_FIRST  # a new preferred hasher: re-hash on login
    assert attempt(Client()).status_code == 200
    assert get_user_model().objects.get(pk=user.pk).password.startswith("pbkdf2_sha256$")
    assert client.get("/api/v1/user/", **bearer(access)).status_code == 200
    assert refresh(client, token).status_code == 200


def test_9_a_password_change_failing_validation_after_a_re_hash_ends_nothing(
    client, user, settings
):
    access, _ = body_login(client)
    other, _ = body_login(Client())
    settings.PASSWORD_HASHERS = PBKDF2_FIRST
    response = client.post(
        "/api/v1/auth/password/change/",
        {"old_password": PASSWORD, "new_password": "123"},
        content_type="application/json",
        **bearer(access),
    )
    assert response.status_code == 400
    for token in (access, other):
        assert client.get("/api/v1/user/", **bearer(token)).status_code == 200


def test_9_a_password_set_behind_the_models_back_still_ends_sessions(client, user):
    access, _ = body_login(client)
    assert client.get("/api/v1/user/", **bearer(access)).status_code == 200
    from django.contrib.auth.hashers import make_password

    get_user_model().objects.filter(pk=user.pk).update(password=make_password("elsewhere-123"))
    assert client.get("/api/v1/user/", **bearer(access)).status_code == 401


# --- 10. list parameters that overflow --------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["limit=99999999999999999999", "offset=99999999999999999999", "limit=-1", "offset=x"],
)
def test_10_out_of_range_pagination_is_answered_not_a_503(client, user, query):
    access, _ = body_login(client)
    response = client.get(f"/api/v1/auth/sessions/?{query}", **bearer(access))
    assert response.status_code == 200
    assert len(response.json()["results"]) <= 100


# --- 11. one token, one spelling --------------------------------------------------------


def test_11_a_refresh_token_spelled_another_way_is_refused(client, user):
    _, token = body_login(client)
    sid, generation, mac = token.split(".")
    assert generation == "0"
    for variant in (f"{sid}.00.{mac}", f"{sid.upper()}.0.{mac}", f"{sid}.+0.{mac}"):
        assert refresh(client, variant).json()["code"] == "refresh_invalid"
    rotated = refresh(client, token).json()["refresh"]
    sid, _, mac = rotated.split(".")
    assert refresh(client, f"{sid}.01.{mac}").json()["code"] == "refresh_invalid"
    assert refresh(client, f"{sid}.1.{mac}").status_code == 200


# --- 14. RFC 6750 and caching ----------------------------------------------------------


def test_14_a_refused_token_says_invalid_token_and_a_missing_one_says_nothing(client, db):
    refused = client.get("/api/v1/user/", HTTP_AUTHORIZATION="Bearer nope")
    assert refused["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
    missing = client.get("/api/v1/user/")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"] == 'Bearer realm="api"'


def test_14_authenticated_answers_are_never_stored(client, user):
    access, _ = body_login(client)
    response = client.get("/api/v1/user/", **bearer(access))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


# --- 15. every failure takes one time ---------------------------------------------------


def test_15_failures_are_padded_to_one_floor_whatever_the_stored_hash(
    client, user_factory, settings, monkeypatch
):
    from spa_auth import backends

    settings.PASSWORD_HASHERS = PBKDF2_FIRST
    settings.SPA_AUTH = {**settings.SPA_AUTH, "LOGIN_FAILURE_FLOOR": 5.0}
    user_factory(username="legacy")  # PBKDF2, as a long-lived account would be
    slept: list[float] = []
    monkeypatch.setattr(backends, "sleep", slept.append)
    for name in ("legacy", "nobody"):
        assert attempt(client, name, "wrong").status_code == 401
    assert len(slept) == 2 and all(4.0 < seconds <= 5.0 for seconds in slept)
    assert attempt(client, "legacy", PASSWORD).status_code == 200
    assert len(slept) == 2  # a success is never delayed


def test_15_the_measured_floor_covers_the_slowest_configured_hasher(settings):
    from spa_auth.backends import failure_floor

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    fast = failure_floor()
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        f"{__name__}._SlowPBKDF2",
    ]
    assert failure_floor() > fast


def test_15_a_configured_hasher_without_its_library_does_not_break_failed_logins(
    client, user, settings
):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",  # bcrypt is not installed
    ]
    assert attempt(client, "alice", "wrong").status_code == 401


class _SlowPBKDF2(PBKDF2PasswordHasher):
    iterations = 200_000


def test_digest_helpers_accept_fallback_secrets(settings, user):
    digest = keys.credential_digest(user.pk, user.password)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "n" * 60, [settings.SECRET_KEY]
    assert keys.matches_credential(digest, user.pk, user.password)
    assert not keys.matches_credential(digest, user.pk, user.password + "x")


# --- sessions are read where they are written ------------------------------------------


class ReplicaRouter:
    """A project's read-replica router: reads go to an alias that lags (here: none)."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return "replica"

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"


def test_session_checks_read_the_primary_even_with_a_replica_router(client, user, settings):
    access, token = body_login(client)
    settings.DATABASE_ROUTERS = [f"{__name__}.ReplicaRouter"]  # reads would fail loudly
    assert client.get("/api/v1/user/", **bearer(access)).status_code == 200
    assert refresh(client, token).status_code == 200


def test_4_the_admin_password_change_form_is_throttled_and_audited(client, staff):
    assert attempt(Client(), "root").status_code == 200
    browser = Client()
    browser.force_login(staff)
    answers = [
        browser.post(
            "/admin/password_change/",
            {"old_password": "wrong", "new_password1": "x-long-pass-1", "new_password2": "x"},
        )
        for _ in range(6)
    ]
    assert all(a.status_code == 200 for a in answers)  # the form, with its error
    assert "Too many attempts" in answers[-1].content.decode()
    assert attempt(client, "root").status_code == 429  # one budget with the login


def test_4_a_password_change_in_the_admin_is_on_the_record(client, staff):
    browser = Client()
    browser.force_login(staff)
    response = browser.post(
        "/admin/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-brand-new-passphrase",
            "new_password2": "a-brand-new-passphrase",
        },
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(kind="password_change", user=staff).exists()


def test_4_a_second_admin_login_in_one_browser_replaces_the_first_row(client, staff):
    browser = Client()
    admin_login(browser, "root", PASSWORD)
    admin_login(browser, "root", PASSWORD)
    live = Session.objects.filter(kind="browser", revoked_at__isnull=True)
    assert live.count() == 1


def test_8_a_hop_count_believes_no_header_from_a_peer_on_the_internet(client, user, settings):
    settings.SPA_AUTH = {**settings.SPA_AUTH, "TRUSTED_PROXY_COUNT": 1}
    # 1.2.3.4 stands for any global address (the documentation ranges count as private).
    attempt(client, REMOTE_ADDR="1.2.3.4", HTTP_X_FORWARDED_FOR="198.51.100.10")
    attempt(client, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.10")
    assert sorted(Session.objects.values_list("ip", flat=True)) == ["1.2.3.4", "198.51.100.10"]


def test_8_a_unix_socket_peer_is_the_local_proxy(client, user, settings):
    settings.SPA_AUTH = {**settings.SPA_AUTH, "TRUSTED_PROXY_COUNT": 1}
    attempt(client, REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="198.51.100.10")
    assert Session.objects.get().ip == "198.51.100.10"
