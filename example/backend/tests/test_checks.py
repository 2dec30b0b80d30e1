"""System checks that refuse a production start on unsafe settings, or any start on an
unsupported database."""

from __future__ import annotations

from sqlite3 import dbapi2

import pytest
from django.db import connection
from spa_auth.checks import (
    check_configuration,
    check_database,
    check_pooler,
    check_production_settings,
)
from spa_auth.internal.sessions import pooler


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


# The session SQL rotates a refresh token with one UPDATE … RETURNING: only PostgreSQL and
# SQLite 3.35+ have it, so anything else is refused at start, not at the first refresh.


def database_ids() -> list[str]:
    return [error.id for error in check_database()]


def test_the_test_database_is_supported():
    assert database_ids() == []


@pytest.mark.parametrize("vendor", ["mysql", "oracle", "microsoft"])
def test_a_database_without_update_returning_is_refused(monkeypatch, vendor):
    monkeypatch.setattr(connection, "vendor", vendor)
    assert database_ids() == ["spa_auth.E016"]


def test_the_refusal_names_what_is_supported(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "mysql")
    (error,) = check_database()
    assert "PostgreSQL" in error.msg and "SQLite 3.35" in error.msg and "mysql" in error.msg


def test_sqlite_older_than_3_35_is_refused(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    monkeypatch.setattr(dbapi2, "sqlite_version_info", (3, 34, 1))
    monkeypatch.setattr(dbapi2, "sqlite_version", "3.34.1")
    errors = check_database()
    assert [e.id for e in errors] == ["spa_auth.E016"] and "3.34.1" in errors[0].msg


@pytest.mark.parametrize(
    ("vendor", "sqlite_version"), [("sqlite", (3, 35, 0)), ("postgresql", (3, 0, 0))]
)
def test_postgresql_and_sqlite_3_35_are_accepted(monkeypatch, vendor, sqlite_version):
    monkeypatch.setattr(connection, "vendor", vendor)
    monkeypatch.setattr(dbapi2, "sqlite_version_info", sqlite_version)
    assert database_ids() == []


def test_the_database_check_runs_with_every_command():
    from django.core import checks

    assert check_database in checks.registry.registry.get_checks(include_deployment_checks=False)
    assert checks.Tags.database not in check_database.tags  # those run only when asked


def pooler_ids(monkeypatch, *, pooled: bool, declared: bool = False) -> list[str]:
    monkeypatch.setattr(connection, "vendor", "postgresql")
    monkeypatch.setattr(pooler, "is_pooled", lambda conn: pooled or declared)
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", declared)
    return [warning.id for warning in check_pooler(databases=["default"])]


@pytest.mark.django_db
def test_a_pooler_the_settings_do_not_declare_is_warned_about(monkeypatch):
    assert pooler_ids(monkeypatch, pooled=True) == ["spa_auth.W019"]


@pytest.mark.django_db
@pytest.mark.parametrize(("pooled", "declared"), [(False, False), (True, True)])
def test_a_direct_or_declared_database_passes_the_pooler_check(monkeypatch, pooled, declared):
    assert pooler_ids(monkeypatch, pooled=pooled, declared=declared) == []


def test_the_pooler_check_connects_only_when_asked():
    from django.core import checks

    assert checks.Tags.database in check_pooler.tags  # migrate and check --database
    assert check_pooler(databases=None) == []


def test_a_cross_site_refresh_cookie_fails_the_checks(settings):
    from spa_auth.checks import check_configuration

    settings.SPA_AUTH = {**settings.SPA_AUTH, "REFRESH_COOKIE_SAMESITE": "None"}
    assert "spa_auth.E017" in {e.id for e in check_configuration()}
    settings.SPA_AUTH = {**settings.SPA_AUTH, "REFRESH_COOKIE_SAMESITE": "Lax"}
    assert "spa_auth.E017" not in {e.id for e in check_configuration()}


def test_cors_origins_without_credentials_are_warned_about(settings):
    """A front end on another origin needs its cookies to cross: without credentials every
    login fails with only a network error in the app."""
    from spa_auth.checks import check_configuration

    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    settings.CORS_ALLOW_CREDENTIALS = False
    warning = next(e for e in check_configuration() if e.id == "spa_auth.W018")
    assert "CORS_ALLOW_CREDENTIALS = True" in warning.hint
    settings.CORS_ALLOW_CREDENTIALS = True
    assert "spa_auth.W018" not in {e.id for e in check_configuration()}
    settings.CORS_ALLOWED_ORIGINS = []
    settings.CORS_ALLOWED_ORIGIN_REGEXES = [r"^https://\w+\.example\.com$"]
    settings.CORS_ALLOW_CREDENTIALS = False
    assert "spa_auth.W018" in {e.id for e in check_configuration()}


def test_a_missing_middleware_or_throttled_backend_is_warned_about(settings):
    from spa_auth.checks import check_integration

    assert check_integration() == []
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "spa_auth" not in m]
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    found = {w.id for w in check_integration()}
    assert found == {"spa_auth.W020", "spa_auth.W021", "spa_auth.E022"}


@pytest.mark.parametrize("key", ["ISSUER", "AUDIENCE"])
@pytest.mark.parametrize("value", [["spa-auth-api"], "", 7])
def test_an_issuer_or_audience_that_is_not_a_string_is_refused(settings, key, value):
    settings.SPA_AUTH = {**settings.SPA_AUTH, key: value}
    assert [error.id for error in check_configuration()] == ["spa_auth.E010"]
