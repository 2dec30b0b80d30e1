"""Passkeys from the browser's autofill, from the attacker's side: a login page that sits open
asks for a challenge each time it loads and again before each one expires, and answers it
whenever the user finally picks a passkey. The endpoints are the passwordless login's; these
tests hold them to what such a page needs and to what an attacker could do with it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import QuerySet
from django.test import Client
from spa_auth.models import Challenge

from ..test_passkeys import _relying_party, error, login_options, post, with_passkey

# The relying party from FRONTEND_URL, and a user with a passkey, as in test_passkeys.
__all__ = ["_relying_party", "with_passkey"]


@pytest.fixture
def tight_budget(settings: Any, db: None) -> int:
    """Two login failures per address: twenty options requests."""
    settings.SPA_AUTH = {**settings.SPA_AUTH, "LOGIN_FAILURES_PER_IP": 2}
    return 20


def test_a_login_page_left_open_cannot_fill_the_challenge_table(
    client: Client, tight_budget: int
) -> None:
    for _ in range(tight_budget):
        assert post(client, "passkey/login/options/").status_code == 200
    refused = post(client, "passkey/login/options/")
    assert error(refused) == (429, "throttled") and int(refused["Retry-After"]) > 0
    assert Challenge.objects.filter(purpose="passkey_login").count() == tight_budget
    # Another address keeps its own budget: one noisy page does not lock everyone out.
    other = post(client, "passkey/login/options/", REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 200


def test_an_abandoned_autofill_challenge_expires_and_is_pruned(
    client: Client, with_passkey: Any, clock: Any
) -> None:
    abandoned = login_options(client)  # the page was left: nothing ever answers it
    clock.advance(minutes=5, seconds=1)
    live = login_options(client)
    call_command("prune_auth")
    assert Challenge.objects.filter(purpose="passkey_login").count() == 1
    late = with_passkey["key"].assertion(abandoned)
    assert error(post(client, "passkey/login/", {"credential": late})) == (401, "code_invalid")
    fresh = with_passkey["key"].assertion(live)
    assert post(client, "passkey/login/", {"credential": fresh}).status_code == 200


def test_a_page_open_past_the_lifetime_signs_in_on_the_fresh_challenge_it_fetched(
    client: Client, with_passkey: Any, clock: Any
) -> None:
    """What the client does: fresh options before the first expire; the old one is dead."""
    first = login_options(client)
    clock.advance(minutes=4, seconds=30)
    renewed = login_options(client)
    clock.advance(minutes=4)  # the first has expired, the renewed one has not
    key = with_passkey["key"]
    old = post(client, "passkey/login/", {"credential": key.assertion(first)})
    assert error(old) == (401, "code_invalid")
    response = post(client, "passkey/login/", {"credential": key.assertion(renewed)})
    assert response.status_code == 200, response.content


def test_the_autofill_options_list_no_passkey_and_require_user_verification(
    client: Client, with_passkey: Any
) -> None:
    """Conditional mediation wants an empty allow list: the options name no account, so a
    page that asks for them learns nothing of who has a passkey."""
    options = login_options(client)
    assert options["allowCredentials"] == []
    assert options["userVerification"] == "required"
    assert Challenge.objects.get(purpose="passkey_login").user is None


def test_a_passkey_of_a_deleted_account_signs_in_no_one(
    client: Client, user: Any, with_passkey: Any
) -> None:
    """The browser still lists a passkey whose account is gone; picking it is refused as
    any unknown passkey is, with the same code."""
    options = login_options(client)
    user.delete()
    credential = with_passkey["key"].assertion(options)
    assert error(post(client, "passkey/login/", {"credential": credential})) == (
        401,
        "code_invalid",
    )


def test_an_assertion_replayed_by_a_racing_twin_signs_in_once(
    client: Client, with_passkey: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The twin arrives after the first request read the challenge and before it spent it,
    as a parallel request would: the conditional UPDATE lets one of them through. A synced
    passkey reports no counter (0), so the challenge alone stands between them."""
    credential = with_passkey["key"].assertion(login_options(client), sign_count=0)
    twin: list[int] = []
    update = QuerySet.update

    def racing_update(self: QuerySet[Any], **kwargs: Any) -> int:
        if self.model is Challenge and "used_at" in kwargs and not twin:
            twin.append(0)  # the twin's own update goes straight through
            twin[0] = post(Client(), "passkey/login/", {"credential": credential}).status_code
        return update(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", racing_update)
    first = post(client, "passkey/login/", {"credential": credential})
    assert twin == [200]
    assert error(first) == (401, "code_invalid")


def test_the_passwordless_login_and_its_options_refuse_a_foreign_origin(
    client: Client, with_passkey: Any
) -> None:
    """A copy of the login page on another origin gets neither a challenge nor a session."""
    foreign = {"HTTP_ORIGIN": "https://evil.example"}
    assert post(client, "passkey/login/options/", **foreign).status_code == 403
    credential = with_passkey["key"].assertion(login_options(client))
    response = post(client, "passkey/login/", {"credential": credential}, **foreign)
    assert response.status_code == 403
    assert "refresh_token" not in response.cookies
