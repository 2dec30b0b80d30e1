"""docs/deployment.md, followed to the letter: one machine behind the documented proxy, and
asymmetric keys set up from nothing.

The commands come from the doc's marked blocks (tests/snippets.py), so the doc and this
test cannot drift: the steps run in subprocesses against a temporary folder (SQLite file,
``VAR_DIR``, key set), then the app starts under gunicorn and a login must be signed by the
key the JWKS publishes.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import jwt
import pytest
from spa_auth.internal.tokens import keyset

from tests.conftest import PASSWORD
from tests.live.servers import BACKEND, LOOPBACK, App, free_port, log_in, request, wait_for
from tests.snippets import snippet

REPO = BACKEND.parents[1]
DOCUMENTED_ALGORITHM = "ES256"
# Only these two exported values are the test's own: the key set goes into the temporary
# folder instead of /etc, and the algorithm is also tried beyond the one the doc shows.
RELOCATED = ("JWT_KEYSET_FILE", "JWT_ALGORITHM")
# What a shell on the host provides; nothing else of the test runner's environment leaks in.
_PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")


def documented_steps(text: str) -> list[list[str]]:
    """The commands of a marked ```sh block of the doc, one a line."""
    lines = (shlex.split(line, comments=True) for line in text.splitlines())
    return [argv for argv in lines if argv]


def keys_from_nothing() -> list[list[str]]:
    return documented_steps(snippet("asymmetric-keys-from-nothing"))


def deployment_env(folder: Path) -> dict[str, str]:
    """What the doc's other sections export: a strong secret, DEBUG off, a database."""
    env = {name: value for name, value in os.environ.items() if name in _PASSED_THROUGH}
    env.update(
        {
            "SECRET_KEY": "docs-test-" + "s3cr3t-" * 8,
            "DEBUG": "false",
            "VAR_DIR": str(folder / "var"),
            "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
            "LOG_LEVEL": "ERROR",
            "GUNICORN_ACCESS_LOG": "",
            "PWNED_PASSWORDS_URL": "",  # nothing reaches Have I Been Pwned from a test
        }
    )
    return env


def follow(steps: list[list[str]], env: dict[str, str], relocated: dict[str, str]) -> list[str]:
    """Run the steps as a shell would (``export``, ``cd``, commands); each must succeed.
    Returns the names the steps exported."""
    cwd, exported = REPO, []
    for argv in steps:
        if argv[0] == "export":
            for assignment in argv[1:]:
                name, _, value = assignment.partition("=")
                env[name] = relocated.get(name, value)
                exported.append(name)
        elif argv[0] == "cd":
            cwd = (cwd / argv[1]).resolve()
        else:
            result = subprocess.run(
                argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=180, check=False
            )
            assert result.returncode == 0, (
                f"`{shlex.join(argv)}` from docs/deployment.md failed:\n"
                f"{result.stdout[-2000:]}{result.stderr[-3000:]}"
            )
    return exported


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BACKEND,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def header_of(token: str) -> dict[str, str]:
    segment = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def test_the_documented_block_sets_up_keys_before_the_production_check():
    steps = [shlex.join(argv) for argv in keys_from_nothing()]
    exports = {
        name: value
        for argv in keys_from_nothing()
        if argv[0] == "export"
        for name, _, value in (assignment.partition("=") for assignment in argv[1:])
    }
    assert exports.get("JWT_ALGORITHM") == DOCUMENTED_ALGORITHM and "JWT_KEYSET_FILE" in exports
    rotate = next(i for i, step in enumerate(steps) if step.endswith("manage.py jwt_keys rotate"))
    check = next(i for i, step in enumerate(steps) if "check --deploy --fail-level ERROR" in step)
    assert rotate < check


@pytest.mark.parametrize("algorithm", [DOCUMENTED_ALGORITHM, "EdDSA"])
def test_asymmetric_keys_from_nothing_as_documented(tmp_path, algorithm):
    env = deployment_env(tmp_path)
    keyset_file = tmp_path / "secrets" / "jwt_keys.json"
    relocated = {"JWT_KEYSET_FILE": str(keyset_file), "JWT_ALGORITHM": algorithm}
    exported = follow(keys_from_nothing(), env, relocated)
    assert set(RELOCATED) <= set(exported)

    (stored,) = keyset.read(keyset_file)
    assert (stored.alg, stored.status) == (algorithm, "active")
    app = App(env=env, folder=tmp_path)
    try:
        app.create_user("alice", PASSWORD)
        server = app.start(workers=1)
        token, _ = log_in(server.url, "alice", PASSWORD)
        header = header_of(token)
        assert header["alg"] == algorithm and header["kid"] == stored.kid
        published = request(server.url, "GET", "/api/v1/auth/jwks/").body["keys"]
        assert [key["kid"] for key in published] == [stored.kid]
        claims = jwt.decode(
            token, jwt.PyJWK(published[0]).key, algorithms=[algorithm], audience="spa-auth-api"
        )
        assert claims["sid"] and claims["sub"]
    finally:
        app.stop()


def test_migrate_runs_before_any_key_set_exists(tmp_path):
    env = {**deployment_env(tmp_path), "JWT_ALGORITHM": "ES256"}
    env["JWT_KEYSET_FILE"] = str(tmp_path / "absent.json")
    result = manage(env, "migrate", "--noinput", "-v0")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "spa_auth.W014" in result.stderr  # said, not enforced


def test_a_production_start_without_a_key_set_is_refused(tmp_path):
    env = {**deployment_env(tmp_path), "JWT_ALGORITHM": "ES256"}
    env["JWT_KEYSET_FILE"] = str(tmp_path / "absent.json")
    result = manage(env, "check", "--deploy", "--fail-level", "ERROR")
    assert result.returncode != 0
    assert "spa_auth.E014" in result.stderr + result.stdout


def test_ending_every_session_after_a_restore_as_documented(tmp_path):
    env = deployment_env(tmp_path)
    assert manage(env, "migrate", "--noinput").returncode == 0
    app = App(env=env, folder=tmp_path)
    try:
        app.create_user("alice", PASSWORD)
        server = app.start(workers=1)
        token, _ = log_in(server.url, "alice", PASSWORD)
        auth = {"Authorization": f"Bearer {token}"}
        assert request(server.url, "GET", "/api/v1/user/", headers=auth).status == 200
        follow(documented_steps(snippet("end-every-session")), env, {})
        ended = request(server.url, "GET", "/api/v1/user/", headers=auth)
        assert (ended.status, ended.code) == (401, "session_revoked")
    finally:
        app.stop()


def proxy_headers(host: str, client: str) -> dict[str, str]:
    """The headers the doc's nginx block sets, for a request over HTTPS from ``client``."""
    values = {"$host": host, "$scheme": "https", "$proxy_add_x_forwarded_for": client}
    found = re.findall(r"proxy_set_header ([\w-]+) (\$\w+);", snippet("nginx-proxy"))
    assert {name for name, _ in found} == {"Host", "X-Forwarded-Proto", "X-Forwarded-For"}
    return {name: values[variable] for name, variable in found}


def test_one_machine_behind_the_documented_proxy(tmp_path):
    """The one-machine exports, then what `make run` does (migrate, the deploy check,
    gunicorn with its config), reached through the nginx block's headers: the app sees HTTPS
    and the client's address, and the refresh cookie is Secure."""
    steps = documented_steps(snippet("one-machine"))
    assert steps[-1] == ["make", "run"]
    env = deployment_env(tmp_path)
    # The doc's secret is a placeholder: the test's own strong one stands for it.
    follow(steps[:-1], env, {"SECRET_KEY": env["SECRET_KEY"]})
    for args in (("migrate", "--noinput", "-v0"), ("createcachetable",)):
        assert manage(env, *args).returncode == 0
    checked = manage(env, "check", "--deploy", "--fail-level", "ERROR")
    assert checked.returncode == 0, checked.stderr[-3000:]
    for cookie_warning in ("security.W012", "security.W016"):  # the block's Secure cookies
        assert cookie_warning not in checked.stderr + checked.stdout
    App(env=env, folder=tmp_path).create_user("alice", PASSWORD)
    port = free_port()
    with (tmp_path / "gunicorn.log").open("wb") as log:
        server = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                *("config.wsgi", "-c", "gunicorn.conf.py", "--bind", f"{LOOPBACK}:{port}"),
            ],
            cwd=BACKEND,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url, headers = f"http://{LOOPBACK}:{port}", proxy_headers(env["ALLOWED_HOSTS"], "203.0.113.7")
    try:
        wait_for(
            lambda: request(url, "GET", "/api/v1/health/", headers=headers).status == 200,
            60,
            "gunicorn behind the documented proxy",
        )
        login = {"username": "alice", "password": PASSWORD}
        answer = request(url, "POST", "/api/v1/auth/obtain_token/", login, headers=headers)
        assert answer.status == 200, answer.body
        assert answer.cookies["refresh_token"]["secure"]
        auth = {**headers, "Authorization": f"Bearer {answer.body['token']}"}
        (session,) = request(url, "GET", "/api/v1/auth/sessions/", headers=auth).body["results"]
        assert session["ip"] == "203.0.113.7"
        # Without the proxy's headers the same request is plain HTTP to a host not allowed.
        assert request(url, "GET", "/api/v1/health/").status == 400
    finally:
        server.terminate()
        server.wait(timeout=30)
