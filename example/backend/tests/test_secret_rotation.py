"""What a rotation of ``SECRET_KEY`` and a replaced key set do to what the server keeps:
TOTP secrets, recovery codes and the signing keys (docs/security.md, "Decisions")."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from spa_auth.internal.tokens import keyset
from spa_auth.models import TotpDevice

from .conftest import login
from .test_mfa import code_at, enable_totp, post, reauthenticated

pytestmark = pytest.mark.django_db
NEW_SECRET = "a-new-secret-key-for-the-rotation-tests-" + "x" * 20


@pytest.fixture
def totp(client: Client, user: Any, clock: Any) -> dict[str, Any]:
    secret, codes = enable_totp(client, reauthenticated(client, clock), clock)
    clock.advance(seconds=30)  # the confirming code's step is spent
    return {"secret": secret, "codes": codes}


def rotate(settings: Any, *, keep_fallback: bool) -> str:
    old = settings.SECRET_KEY
    settings.SECRET_KEY_FALLBACKS = [old] if keep_fallback else []
    settings.SECRET_KEY = NEW_SECRET
    return str(old)


def second_step(client: Client, code: str) -> Any:
    pending = login(client).json()
    return post(client, "mfa/authenticate/", {"mfa_token": pending["mfa_token"], "code": code})


def test_a_totp_secret_is_encrypted_again_under_the_new_secret_at_its_next_use(
    client: Client, totp: Any, settings: Any, clock: Any
) -> None:
    before = TotpDevice.objects.get().encrypted_secret
    old = rotate(settings, keep_fallback=True)
    assert second_step(client, code_at(totp["secret"], clock)).status_code == 200
    assert TotpDevice.objects.get().encrypted_secret != before
    # Now the fallback can go: the secret reads under the new key alone.
    settings.SECRET_KEY_FALLBACKS = []
    clock.advance(seconds=30)
    assert second_step(client, code_at(totp["secret"], clock)).status_code == 200
    assert old not in settings.SECRET_KEY_FALLBACKS


def test_a_totp_secret_unused_since_the_rotation_ends_with_its_fallback(
    client: Client, totp: Any, settings: Any, clock: Any
) -> None:
    """The residual risk written down: removing the fallback too early locks the user out
    of TOTP (a recovery code made since, or an operator's mfa_reset, lets them in)."""
    rotate(settings, keep_fallback=False)
    response = second_step(client, code_at(totp["secret"], clock))
    assert (response.status_code, response.json()["code"]) == (401, "code_invalid")


def test_recovery_codes_outlive_a_rotation_while_the_old_secret_is_a_fallback(
    client: Client, totp: Any, settings: Any
) -> None:
    first, second = totp["codes"][:2]
    rotate(settings, keep_fallback=True)
    assert second_step(client, first).status_code == 200
    settings.SECRET_KEY_FALLBACKS = []
    response = second_step(client, second)
    assert (response.status_code, response.json()["code"]) == (401, "code_invalid")


def test_a_key_set_replaced_with_its_old_modification_time_is_read_again(
    tmp_path: Path,
) -> None:
    """A copy that keeps the old file's time (``cp -p``, ``rsync -t``, a backup restored)
    still takes effect: the cache looks at the inode and status-change time too."""
    path, other = tmp_path / "keys.json", tmp_path / "other.json"
    first = dataclasses.replace(keyset.generate("EdDSA"), status="active")
    keyset.write(path, [first])
    assert [key.kid for key in keyset.load_keys(path)] == [first.kid]
    second = dataclasses.replace(keyset.generate("EdDSA"), status="active")
    keyset.write(other, [second])
    assert other.stat().st_size == path.stat().st_size  # one EdDSA key each: same size
    stamp = path.stat()
    shutil.copyfile(other, path)  # the same inode, new content
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert path.stat().st_mtime_ns == stamp.st_mtime_ns
    assert [key.kid for key in keyset.load_keys(path)] == [second.kid]
