"""System checks that refuse a production start on unsafe settings."""

from __future__ import annotations

import pytest

from spa_auth.checks import check_production_settings


def ids(settings_overrides, settings) -> list[str]:
    for key, value in settings_overrides.items():
        setattr(settings, key, value)
    return [error.id for error in check_production_settings()]


def test_safe_defaults_pass(settings):
    assert ids({}, settings) == []


def test_debug_is_refused(settings):
    assert "spa_auth.E001" in ids({"DEBUG": True}, settings)


@pytest.mark.parametrize("key", ["changeme", "x" * 60, "django-insecure-short"])
def test_a_weak_secret_key_is_refused(settings, key):
    assert "spa_auth.E002" in ids({"SECRET_KEY": key}, settings)


def test_a_non_secure_refresh_cookie_off_loopback_is_refused(settings):
    settings.SPA_AUTH = {**settings.SPA_AUTH, "REFRESH_COOKIE_SECURE": False}
    assert "spa_auth.E003" in ids({"ALLOWED_HOSTS": ["api.example.com"]}, settings)
    assert "spa_auth.E003" not in ids({"ALLOWED_HOSTS": ["127.0.0.1", "localhost"]}, settings)


def test_a_production_start_with_debug_on_fails(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DEBUG": "true", "VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode != 0
    assert "spa_auth.E001" in result.stderr + result.stdout
