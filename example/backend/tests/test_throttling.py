"""Login throttling per account and per address, counted before any password work."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from spa_auth.conf import get_settings
from spa_auth.errors import ThrottledError
from spa_auth.internal.throttling import limits as throttling
from spa_auth.models import ThrottleCounter

from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.django_db


def attempt(client: Client, username: str, password: str = "wrong", **extra: str):
    return client.post(
        "/api/v1/auth/obtain_token/",
        {"username": username, "password": password},
        content_type="application/json",
        **extra,
    )


def test_an_account_locks_after_five_failures_and_refuses_the_right_password(client, user):
    for _ in range(5):
        assert attempt(client, "alice").status_code == 401
    response = attempt(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert response.json() == {
        "detail": "Too many attempts. Try again later.",
        "code": "throttled",
    }
    assert 0 < int(response["Retry-After"]) <= 15 * 60


def test_the_lock_ends_after_the_window_and_the_right_password_works_again(client, user, clock):
    for _ in range(5):
        attempt(client, "alice")
    clock.advance(minutes=15, seconds=1)
    assert login(client).status_code == 200


def test_the_back_off_grows_with_each_failure_past_the_limit(client, user, clock):
    for _ in range(5):
        attempt(client, "alice")
    first = int(attempt(client, "alice").headers["Retry-After"])
    clock.advance(seconds=first + 1)
    attempt(client, "alice")  # one more failure after the lock: a longer lock
    second = int(attempt(client, "alice").headers["Retry-After"])
    assert second > first


def test_unknown_usernames_are_throttled_the_same_way(client, db):
    for _ in range(5):
        assert attempt(client, "ghost").status_code == 401
    assert attempt(client, "ghost").status_code == 429


def test_the_account_key_ignores_case_and_surrounding_space(client, user):
    for name in ["alice", "ALICE", " Alice", "alicE ", "aLiCe"]:
        attempt(client, name)
    assert attempt(client, "alice", PASSWORD).status_code == 429


def test_a_successful_login_keeps_the_failures_of_the_window(client, user):
    for _ in range(4):
        attempt(client, "alice")
    assert login(client).status_code == 200  # gives back its own place, nothing more
    assert attempt(client, "alice").status_code == 401
    assert attempt(client, "alice", PASSWORD).status_code == 429


def test_logging_in_to_a_look_alike_account_never_refunds_guesses(client, user, user_factory):
    user_factory(username="Alice", password="attackers-own-password")  # folds to "alice"
    guesses = []
    for _ in range(3):
        guesses += [attempt(client, "alice").status_code for _ in range(2)]
        attempt(client, "Alice", "attackers-own-password")
    assert guesses.count(401) <= 5 and guesses[-1] == 429


def test_a_login_that_succeeds_leaves_no_counter_row_behind(client, user):
    assert login(client).status_code == 200
    assert ThrottleCounter.objects.count() == 0


def test_an_address_is_limited_across_many_accounts(client, db, settings):
    settings.SPA_AUTH = {**settings.SPA_AUTH, "LOGIN_FAILURES_PER_IP": 10}
    for n in range(10):
        assert attempt(client, f"user-{n}").status_code == 401
    assert attempt(client, "someone-new").status_code == 429


def test_a_spoofed_x_forwarded_for_never_resets_the_address_limit(client, db, settings):
    settings.SPA_AUTH = {**settings.SPA_AUTH, "LOGIN_FAILURES_PER_IP": 10}
    for n in range(10):
        attempt(client, f"user-{n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = attempt(client, "fresh", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(client, db, settings):
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "LOGIN_FAILURES_PER_IP": 3,
        "TRUSTED_PROXIES": ("127.0.0.1/32",),
    }
    for n in range(3):
        attempt(client, f"user-{n}", HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert attempt(client, "x", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429
    assert attempt(client, "y", HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 401


def test_a_client_cannot_prepend_addresses_past_a_trusted_proxy(client, db, settings):
    settings.SPA_AUTH = {**settings.SPA_AUTH, "LOGIN_FAILURES_PER_IP": 3, "TRUSTED_PROXY_COUNT": 1}
    for n in range(3):
        # The proxy appends the real client (203.0.113.1); the client wrote the first entry.
        attempt(client, f"user-{n}", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 203.0.113.1")
    assert attempt(client, "x", HTTP_X_FORWARDED_FOR="10.0.0.99, 203.0.113.1").status_code == 429


def test_failed_password_changes_are_throttled(client, user):
    token = login(client).json()["token"]
    for _ in range(5):
        response = client.post(
            "/api/v1/auth/password/change/",
            {"old_password": "wrong", "new_password": "a-new-long-passphrase"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        assert response.status_code == 400
    response = client.post(
        "/api/v1/auth/password/change/",
        {"old_password": PASSWORD, "new_password": "a-new-long-passphrase"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 429


def test_places_reserved_before_the_password_check_use_up_the_budget_unsettled(db, clock):
    """A burst of guesses whose password checks have not finished yet: each took its
    place before hashing, so the sixth is refused before it hashes anything."""
    limit, key = throttling.login_account_limit(get_settings()), throttling.account_key("alice")
    held = [throttling.reserve((limit, key)) for _ in range(5)]
    with pytest.raises(ThrottledError):
        throttling.reserve((limit, key))
    held[0].succeeded()  # a check that succeeded gives its place back
    throttling.reserve((limit, key))


def test_the_prune_command_deletes_run_out_counters_and_keeps_live_ones(client, db, clock):
    attempt(client, "ghost")
    clock.advance(minutes=15, seconds=1)  # ghost's window, and the address's, are over
    attempt(client, "alice")
    call_command("prune_auth")
    assert sorted(ThrottleCounter.objects.values_list("key", "count")) == [
        (f"login-account:{throttling.account_key('alice')}", 1),
        ("login-ip:127.0.0.1", 1),
    ]
