"""The CAPTCHA at the doors bots use, attacked over HTTP with a verify endpoint on
loopback (``captcha_fake``) that is single use, as the real providers are."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from api.middleware import policy
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from spa_auth.captcha import CaptchaProvider, Expected
from spa_auth.errors import CaptchaRequiredError
from spa_auth.internal.captcha.config import captcha_config
from spa_auth.models import ThrottleCounter

from ..captcha_fake import SECRET_KEY, SITE_KEY, FakeCaptcha
from ..conftest import PASSWORD
from ..snippets import snippet

pytestmark = pytest.mark.django_db
AUTH = "/api/v1/auth"
APP = "http://localhost:8000"
SIGN_UP = {"username": "newcomer", "email": "newcomer@example.com", "password": PASSWORD}
# (path, body) of each mail door, with the door's name.
DOORS = {
    "signup": ("register/", SIGN_UP),
    "password_reset": ("password/reset/", {"email": "someone@example.com"}),
    "verification_resend": ("email/verify/resend/", {"email": "someone@example.com"}),
    "login_code": ("login/code/request/", {"email": "someone@example.com"}),
}


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeCaptcha]:
    fake = FakeCaptcha().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake(fake_server: FakeCaptcha, settings: Any) -> FakeCaptcha:
    """The CAPTCHA on (Turnstile-shaped) at every door, with sign-up open."""
    fake_server.reset()
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "SIGNUP_ENABLED": True,
        "FRONTEND_URL": APP,
        "CAPTCHA": fake_server.config(),
    }
    return fake_server


def post(client: Client, path: str, body: Any, **headers: Any) -> Any:
    return client.post(f"{AUTH}/{path}", body, content_type="application/json", **headers)


def answer(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def login(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return post(client, "obtain_token/", {"username": username, "password": password, **extra})


def assert_no_secret(response: Any) -> None:
    assert SECRET_KEY not in response.content.decode()


# The mail doors.


@pytest.mark.parametrize("door", DOORS)
def test_a_door_without_a_captcha_answer_is_refused_and_does_nothing(
    client: Client, fake: FakeCaptcha, door: str, mailoutbox: list[Any]
) -> None:
    path, body = DOORS[door]
    response = post(client, path, body)
    assert answer(response) == (400, "captcha_required")
    assert response.json()["captcha"] == {
        "provider": "turnstile",
        "site_key": SITE_KEY,
        "action": door,
    }
    assert_no_secret(response)
    assert fake.received == [] and mailoutbox == []
    assert not get_user_model().objects.filter(username="newcomer").exists()


@pytest.mark.parametrize("door", DOORS)
def test_a_solved_captcha_opens_the_door_and_the_provider_gets_the_answer_form_encoded(
    client: Client, fake: FakeCaptcha, door: str
) -> None:
    path, body = DOORS[door]
    token = fake.issue(action=door)
    response = post(client, path, {**body, "captcha": token}, REMOTE_ADDR="203.0.113.7")
    assert response.status_code in (201, 202), response.json()
    assert fake.received == [
        {
            "secret": SECRET_KEY,
            "response": token,
            "remoteip": "203.0.113.7",
            "content_type": "application/x-www-form-urlencoded",
        }
    ]


def test_a_replayed_captcha_answer_is_verified_again_and_refused(
    client: Client, fake: FakeCaptcha
) -> None:
    """Nothing on our side remembers a success: the second request asks the provider,
    which answers a token once."""
    token = fake.issue()
    body = {"email": "someone@example.com", "captcha": token}
    assert post(client, "password/reset/", body).status_code == 202
    assert answer(post(client, "password/reset/", body)) == (400, "captcha_invalid")
    assert answer(post(Client(), "password/reset/", body)) == (400, "captcha_invalid")
    assert [form["response"] for form in fake.received] == [token, token, token]


@pytest.mark.django_db(transaction=True)
def test_one_answer_raced_by_many_threads_opens_the_door_once(
    fake_server: FakeCaptcha, settings: Any
) -> None:
    fake_server.reset()
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "FRONTEND_URL": APP,
        "CAPTCHA": fake_server.config(),
        "MAILS_PER_ADDRESS": 100,
    }
    token = fake_server.issue()

    def attempt(_: int) -> int:
        body = {"email": "someone@example.com", "captcha": token}
        status = post(Client(), "password/reset/", body).status_code
        connection.close()
        return status

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(attempt, range(8)))
    # The provider let one request through and refused the rest. SQLite's shared test
    # database may answer any of them (the one let through too) a 503 for a locked table,
    # which is no pass either: at most one request opened the door.
    assert sum(1 for token_ in fake_server.tokens.values() if token_.spent) == 1
    assert statuses.count(202) <= 1
    assert set(statuses) <= {202, 400, 503} and statuses.count(400) >= 8 - 1 - statuses.count(503)


def test_an_answer_the_provider_never_issued_is_refused(client: Client, fake: FakeCaptcha) -> None:
    body = {**SIGN_UP, "captcha": "XXXX.DUMMY.TOKEN.XXXX"}
    assert answer(post(client, "register/", body)) == (400, "captcha_invalid")
    assert not get_user_model().objects.filter(username="newcomer").exists()


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (12345, "captcha_invalid"),
        ({"token": "x"}, "captcha_invalid"),
        (["x"], "captcha_invalid"),
        (True, "captcha_invalid"),
        ("x" * 2049, "captcha_invalid"),
        ("", "captcha_required"),
        (None, "captcha_required"),
    ],
)
def test_an_answer_of_the_wrong_type_or_size_is_refused_without_asking_the_provider(
    client: Client, fake: FakeCaptcha, value: Any, code: str
) -> None:
    response = post(client, "register/", {**SIGN_UP, "captcha": value})
    assert answer(response) == (400, code)
    assert fake.received == []


_addresses = itertools.count()


# Strings with lone surrogates, which JSON can escape (``"\\ud800"``) and ``st.text`` never
# draws: no form encoder can send them on to the provider.
SURROGATE_TEXT = st.lists(
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=())
    | st.characters(),
    min_size=1,
    max_size=50,
).map("".join)


@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    value=st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats()
        | st.text(max_size=3000)
        | SURROGATE_TEXT,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=6,
    )
)
@example(value="\ud800" + "x" * 40)
def test_any_json_value_as_the_answer_is_a_clear_400_never_a_500(
    fake: FakeCaptcha, value: Any
) -> None:
    client = Client(REMOTE_ADDR=f"192.0.2.{next(_addresses) % 250 + 1}")  # under the per-IP limit
    response = post(client, "password/reset/", {"email": "a@example.com", "captcha": value})
    assert answer(response) in ((400, "captcha_required"), (400, "captcha_invalid"))


def test_an_answer_solved_on_another_site_is_refused(client: Client, fake: FakeCaptcha) -> None:
    """The site key is public: a page elsewhere can embed it and have people solve it."""
    token = fake.issue(hostname="evil.example")
    assert answer(post(client, "register/", {**SIGN_UP, "captcha": token})) == (
        400,
        "captcha_invalid",
    )


def test_a_turnstile_answer_of_another_door_is_refused(client: Client, fake: FakeCaptcha) -> None:
    token = fake.issue(action="password_reset")
    assert answer(post(client, "register/", {**SIGN_UP, "captcha": token})) == (
        400,
        "captcha_invalid",
    )


@pytest.mark.parametrize(
    ("action", "score", "status"),
    [("signup", 0.9, 201), ("password_reset", 0.9, 400), ("signup", 0.2, 400), ("", 0.9, 400)],
)
def test_a_recaptcha_v3_answer_needs_this_doors_action_and_a_good_score(
    client: Client, fake: FakeCaptcha, settings: Any, action: str, score: float, status: int
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "CAPTCHA": fake.config("recaptcha_v3")}
    token = fake.issue(action=action, score=score)
    assert post(client, "register/", {**SIGN_UP, "captcha": token}).status_code == status


@pytest.mark.parametrize("mode", ["down", "garbage", "hang", "trickle"])
def test_a_provider_that_is_down_slow_or_broken_is_a_503_never_a_pass(
    client: Client, fake: FakeCaptcha, settings: Any, mode: str, caplog: Any
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "CAPTCHA": fake.config(TIMEOUT=0.3)}
    fake.mode = mode
    try:
        response = post(client, "register/", {**SIGN_UP, "captcha": fake.issue()})
    finally:
        fake.released.set()
    assert answer(response) == (503, "captcha_unavailable")
    assert int(response["Retry-After"]) > 0
    assert not get_user_model().objects.filter(username="newcomer").exists()
    assert "captcha provider turnstile unavailable" in caplog.text


def test_a_door_left_out_of_doors_asks_for_nothing(
    client: Client, fake: FakeCaptcha, settings: Any
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "CAPTCHA": fake.config(DOORS=["signup"])}
    assert post(client, "password/reset/", {"email": "a@example.com"}).status_code == 202
    assert answer(post(client, "register/", SIGN_UP)) == (400, "captcha_required")


def test_without_the_setting_no_door_asks(client: Client, settings: Any) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "SIGNUP_ENABLED": True, "FRONTEND_URL": APP}
    assert post(client, "register/", SIGN_UP).status_code == 201


# The password login: asked only after a failure of the name or of the address.


def test_a_first_login_asks_for_no_captcha(client: Client, fake: FakeCaptcha, user: Any) -> None:
    assert login(client, "alice").status_code == 200
    assert fake.received == []


def test_after_a_failure_of_the_name_the_login_asks_for_a_captcha_before_the_password(
    fake: FakeCaptcha, user: Any
) -> None:
    assert answer(login(Client(REMOTE_ADDR="198.51.100.1"), "alice", "wrong")) == (
        401,
        "invalid_credentials",
    )
    # From another address, with the right password: the name has failed before.
    other = Client(REMOTE_ADDR="198.51.100.2")
    response = login(other, "alice")
    assert answer(response) == (400, "captcha_required")
    assert response.json()["captcha"]["action"] == "login"
    assert login(other, "alice", captcha=fake.issue(action="login")).status_code == 200


def test_after_a_failure_of_the_address_the_login_asks_for_a_captcha_for_any_name(
    fake: FakeCaptcha, user_factory: Any
) -> None:
    user_factory(username="bob")
    client = Client(REMOTE_ADDR="198.51.100.3")
    assert login(client, "alice-unknown", "wrong").status_code == 401
    assert answer(login(client, "bob")) == (400, "captcha_required")
    assert login(Client(REMOTE_ADDR="198.51.100.4"), "bob").status_code == 200


def test_the_captcha_of_the_login_tells_no_one_which_names_exist(
    fake: FakeCaptcha, user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure of a name that has no account counts as one of a name that has; and a
    name no one failed with asks for nothing, account or not. The captcha_required answer
    comes before any password is hashed, so it takes the same time for both (and it is
    not padded, since no password was checked)."""
    padded: list[float] = []
    monkeypatch.setattr("spa_auth.backends.sleep", padded.append)
    assert login(Client(REMOTE_ADDR="198.51.100.5"), "alice", "wrong").status_code == 401
    assert login(Client(REMOTE_ADDR="198.51.100.6"), "nobody", "wrong").status_code == 401
    padded.clear()
    asked = [login(Client(REMOTE_ADDR="198.51.100.7"), name, "x") for name in ("alice", "nobody")]
    assert [answer(response) for response in asked] == [(400, "captcha_required")] * 2
    assert asked[0].content == asked[1].content
    assert padded == []
    fresh = [login(Client(REMOTE_ADDR=f"198.51.100.{n}"), f"new{n}", "x") for n in (8, 9)]
    assert [answer(response) for response in fresh] == [(401, "invalid_credentials")] * 2


def test_a_login_refused_for_its_captcha_counts_no_failure_against_the_account(
    fake: FakeCaptcha, user: Any
) -> None:
    """Else anyone could lock an account out by posting logins without a CAPTCHA."""
    assert login(Client(REMOTE_ADDR="198.51.100.10"), "alice", "wrong").status_code == 401
    before = list(ThrottleCounter.objects.values_list("key", "count"))
    for _ in range(10):
        assert answer(login(Client(REMOTE_ADDR="198.51.100.11"), "alice", "x")) == (
            400,
            "captcha_required",
        )
    assert list(ThrottleCounter.objects.values_list("key", "count")) == before
    assert login(
        Client(REMOTE_ADDR="198.51.100.11"), "alice", captcha=fake.issue()
    ).status_code == (200)


# What the app is told.


def test_the_config_names_the_provider_and_site_key_and_may_be_cached(
    client: Client, fake: FakeCaptcha
) -> None:
    response = client.get(f"{AUTH}/config/")
    assert response.status_code == 200
    assert response.json() == {
        "captcha": {"provider": "turnstile", "site_key": SITE_KEY},
        "providers": [],
        "signup": True,
    }
    assert response["Cache-Control"] == "public, max-age=60"
    assert_no_secret(response)


def test_the_config_says_null_when_the_captcha_is_off(client: Client) -> None:
    assert client.get(f"{AUTH}/config/").json()["captcha"] is None


def test_no_answer_of_any_door_carries_the_secret(
    client: Client, fake: FakeCaptcha, user: Any
) -> None:
    bodies = [post(client, path, body) for path, body in DOORS.values()]
    bodies.append(post(client, "register/", {**SIGN_UP, "captcha": "bad"}))
    fake.mode = "down"
    bodies.append(post(client, "register/", {**SIGN_UP, "captcha": "bad"}))
    bodies.append(client.get(f"{AUTH}/config/"))
    for response in bodies:
        assert_no_secret(response)
        assert json.loads(response.content)


# Settings and extension.


class StrictProvider:
    """Not a CaptchaProvider: refused by the check."""


class OwnProvider(CaptchaProvider):
    """A project's own provider: the siteverify protocol, and a score it must exceed."""

    name = "own"
    verify_url = "https://captcha.example/siteverify"

    def refusal(self, answer: dict[str, Any], expected: Expected) -> str | None:
        refused = super().refusal(answer, expected)
        return refused or (None if answer.get("score", 0) > 0.8 else "low score")


def test_a_project_registers_its_own_provider_by_dotted_path(
    client: Client, fake: FakeCaptcha, settings: Any
) -> None:
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "CAPTCHA": fake.config(f"{__name__}.OwnProvider"),
    }
    assert client.get(f"{AUTH}/config/").json()["captcha"]["provider"] == "own"
    low = fake.issue(score=0.5)
    assert answer(post(client, "register/", {**SIGN_UP, "captcha": low})) == (
        400,
        "captcha_invalid",
    )
    assert post(client, "register/", {**SIGN_UP, "captcha": fake.issue()}).status_code == 201


def test_a_broken_setting_is_a_system_check_error(settings: Any) -> None:
    from django.core.management.base import SystemCheckError

    for broken in (
        {"PROVIDER": "nope", "SITE_KEY": "a", "SECRET_KEY": "b"},
        {"PROVIDER": "turnstile", "SITE_KEY": "a"},
        {"PROVIDER": "hcaptcha", "SITE_KEY": "a", "SECRET_KEY": "b", "VERIFY_URL": "http://x.io"},
        {"PROVIDER": f"{__name__}.StrictProvider", "SITE_KEY": "a", "SECRET_KEY": "b"},
        {"PROVIDER": "turnstile", "SITE_KEY": "a", "SECRET_KEY": "b", "TIMEOUT": 0},
    ):
        settings.SPA_AUTH = {**settings.SPA_AUTH, "CAPTCHA": broken}
        with pytest.raises(SystemCheckError, match=r"spa_auth\.E050"):
            call_command("check")


# The README's blocks, as a reader copies them.


def test_the_readme_settings_make_a_working_captcha(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    monkeypatch.setenv("CAPTCHA_SECRET_KEY", "from-the-environment")
    namespace: dict[str, Any] = {"os": __import__("os")}
    exec(snippet("captcha-settings"), namespace)
    settings.SPA_AUTH = {**settings.SPA_AUTH, **namespace["SPA_AUTH"]}
    found = captcha_config()
    assert found is not None
    assert (found.provider.name, found.secret_key) == ("turnstile", "from-the-environment")
    assert found.verify_url == "https://challenges.cloudflare.com/turnstile/v0/siteverify"


def test_the_readme_door_asks_for_the_captcha(fake: FakeCaptcha) -> None:
    namespace: dict[str, Any] = {}
    exec(snippet("captcha-door"), namespace)
    door = namespace["request_login_code"]

    def request(body: dict[str, Any]) -> Request:
        return Request(APIRequestFactory().post("/", body, format="json"), parsers=[JSONParser()])

    with pytest.raises(CaptchaRequiredError) as refused:
        door(request({"email": "a@example.com"}))
    assert refused.value.widget["action"] == "login_code"
    door(request({"email": "a@example.com", "captcha": fake.issue(action="login_code")}))
    assert len(fake.received) == 1


def test_the_apps_content_security_policy_lets_the_configured_provider_in(
    fake: FakeCaptcha, settings: Any
) -> None:
    turnstile = Client().get("/login")["Content-Security-Policy"]
    assert "script-src 'self' https://challenges.cloudflare.com" in turnstile
    assert "frame-src 'self' https://challenges.cloudflare.com" in turnstile
    settings.SPA_AUTH = {**settings.SPA_AUTH, "CAPTCHA": None}
    assert "cloudflare" not in Client().get("/login")["Content-Security-Policy"]


@pytest.mark.parametrize("provider", ["recaptcha_v2", "recaptcha_v3"])
def test_the_example_csp_allows_recaptcha_by_its_paths_only(provider: str) -> None:
    """www.google.com at large serves JSONP: a policy naming the whole origin would let an
    injected script tag run under it."""
    directives = policy(provider)
    assert "https://www.google.com/recaptcha/" in directives
    assert not re.search(r"https://www\.google\.com(?=[ ;]|$)", directives)
