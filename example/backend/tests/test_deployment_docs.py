"""docs/deployment.md, followed to the letter: asymmetric keys set up from nothing.

The commands come from the doc's marked block, so the doc and this test cannot drift: the
steps run in subprocesses against a temporary folder (SQLite file, ``VAR_DIR``, key set),
then the app starts under gunicorn and a login must be signed by the key the JWKS publishes.
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
from tests.live.servers import BACKEND, App, log_in, request

REPO = BACKEND.parents[1]
DOC = REPO / "docs" / "deployment.md"
BLOCK = "asymmetric-keys-from-nothing"
DOCUMENTED_ALGORITHM = "ES256"
# Only these two exported values are the test's own: the key set goes into the temporary
# folder instead of /etc, and the algorithm is also tried beyond the one the doc shows.
RELOCATED = ("JWT_KEYSET_FILE", "JWT_ALGORITHM")
# What a shell on the host provides; nothing else of the test runner's environment leaks in.
_PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")


def documented_steps(name: str = BLOCK) -> list[list[str]]:
    """The commands of the ```sh block after ``<!-- docs-test: NAME … -->``, one a line."""
    text = DOC.read_text()
    found = re.search(rf"<!-- docs-test: {re.escape(name)}\b[^>]*-->\s*```sh\n(.*?)```", text, re.S)
    assert found, f"docs/deployment.md has no block marked <!-- docs-test: {name} -->"
    lines = (shlex.split(line, comments=True) for line in found.group(1).splitlines())
    return [argv for argv in lines if argv]


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
    steps = [shlex.join(argv) for argv in documented_steps()]
    exports = {
        name: value
        for argv in documented_steps()
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
    exported = follow(documented_steps(), env, relocated)
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
        follow(documented_steps("end-every-session"), env, {})
        ended = request(server.url, "GET", "/api/v1/user/", headers=auth)
        assert (ended.status, ended.code) == (401, "session_revoked")
    finally:
        app.stop()
