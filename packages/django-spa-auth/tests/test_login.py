"""Login, the access token on a protected view, and the per-account lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.transaction import TransactionManagementError
from django.test import Client
from django.utils import timezone
from spa_auth.internal.sessions import services
from spa_auth.internal.sessions import sql as sessions_sql

from tests.conftest import PASSWORD, bearer, login, me

pytestmark = pytest.mark.django_db


def test_login_answers_a_token_and_sets_an_http_only_refresh_cookie(user, clock):
    response = login(Client(), user)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "token_type", "expires_in", "user"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert str(body["user"]["id"]) == str(user.pk)
    cookie = response.cookies["refresh_token"]
    assert cookie.value
    assert cookie["httponly"] is True
    assert cookie["secure"] is True  # "auto": not a loopback host
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/api/v1/auth/"
    assert int(cookie["max-age"]) == 7 * 24 * 3600
    assert response["Cache-Control"] == "no-store, private"


def test_a_wrong_password_is_refused_with_one_generic_code(user):
    response = login(Client(), user, "not-the-password")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert "refresh_token" not in response.cookies


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(db):
    response = Client().post(
        "/api/v1/auth/obtain_token/",
        {"username": "nobody@example.com", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


@pytest.mark.parametrize("scheme", ["JWT", "Bearer"])
def test_the_token_authenticates_with_either_scheme(user, scheme):
    token = login(Client(), user).json()["token"]
    response = Client().get("/me/", **bearer(token, scheme))
    assert response.status_code == 200
    assert response.json() == {"pk": str(user.pk)}


def test_a_request_without_a_token_is_a_401_with_a_challenge(db):
    response = Client().get("/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_an_authenticated_request_costs_one_query(user, django_assert_num_queries):
    token = login(Client(), user).json()["token"]
    client = Client()
    with django_assert_num_queries(1):
        assert me(client, token).status_code == 200


def test_an_execute_wrapper_sees_the_session_lookup(user):
    """Outside query capture the hot statements skip Django's cursor wrapper, but not the
    hooks an application installs with ``connection.execute_wrapper``."""
    token = login(Client(), user).json()["token"]
    seen = []

    def record(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        assert me(Client(), token).status_code == 200
    # One statement: the lookup itself, or on PostgreSQL its prepared form.
    assert len(seen) == 1
    assert "spa_auth_session" in seen[0] or seen[0].startswith("EXECUTE spa_auth_")


def test_a_database_error_on_the_hot_path_is_djangos_error(db):
    """Past Django's cursor wrapper the driver's errors still become django.db's, which
    the API's handler tells apart (unreachable: a JSON 503; a wrong query: a 500)."""
    with pytest.raises(DatabaseError) as caught:
        sessions_sql._run(connection, "SELECT nothing FROM spa_auth_no_such_table", [])
    assert type(caught.value).__module__ == "django.db.utils"


def test_the_session_lookup_is_refused_inside_a_broken_transaction(user):
    """Django refuses queries in an atomic block marked for rollback; so does the lookup."""
    token = login(Client(), user).json()["token"]
    with transaction.atomic():
        transaction.set_rollback(True)
        with pytest.raises(TransactionManagementError):
            services.authenticate_access_token(token)


def test_a_backend_that_subclasses_djangos_gets_the_lookup_through_its_cursor(user, monkeypatch):
    """A backend may do work per cursor (django-tenants sets the search_path there)."""
    token = login(Client(), user).json()["token"]
    cursors = []

    wrapper = connections[DEFAULT_DB_ALIAS]  # ``connection`` is a proxy to it

    class Customised(type(wrapper)):  # type: ignore[misc]
        def _cursor(self, name=None):
            cursors.append(name)
            return super()._cursor(name)

    monkeypatch.setattr(wrapper, "__class__", Customised)
    assert me(Client(), token).status_code == 200
    assert cursors


def test_a_connection_whose_cursor_is_replaced_gets_the_lookup_through_it(user, monkeypatch):
    """Django's SimpleTestCase forbids queries by replacing ``connection.cursor``."""
    token = login(Client(), user).json()["token"]

    def forbidden(*args, **kwargs):
        raise AssertionError("no queries here")

    monkeypatch.setattr(connection, "cursor", forbidden)
    with pytest.raises(AssertionError, match="no queries here"):
        services.authenticate_access_token(token)


def fields_of(user):
    return {f.attname: getattr(user, f.attname) for f in user._meta.concrete_fields}


def test_the_user_of_the_hot_path_is_the_user_the_orm_reads_after_every_change(user):
    """Converted column values are reused across requests; every change still shows."""
    token = login(Client(), user).json()["token"]
    model = get_user_model()
    for change in (
        {"last_login": timezone.now() - timedelta(days=3)},
        {"is_staff": True},
        {"last_login": None, "is_superuser": True},
    ):
        model.objects.filter(pk=user.pk).update(**change)
        found, _claims = services.authenticate_access_token(token)
        assert fields_of(found) == fields_of(model.objects.get(pk=user.pk))
        found.last_login = timezone.now() - timedelta(days=999)  # this request's own copy
        again, _claims = services.authenticate_access_token(token)
        assert again is not found and fields_of(again) == fields_of(model.objects.get(pk=user.pk))


def test_five_failures_lock_the_account_with_retry_after(user):
    for _ in range(5):
        assert login(Client(), user, "not-the-password").status_code == 401
    response = login(Client(), user)  # the right password, too late
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert "refresh_token" not in response.cookies


def test_the_lock_is_per_account(user, user_factory):
    other = user_factory()
    for _ in range(5):
        login(Client(), user, "not-the-password")
    assert login(Client(), other).status_code == 200


def test_the_suite_runs_on_the_configured_user_model(settings):
    assert get_user_model()._meta.label == settings.AUTH_USER_MODEL


_ON_DRFS_DEFAULT_PARSERS = """
import django, json, tests.settings as project
project.ALLOWED_HOSTS = ["testserver"]
project.REST_FRAMEWORK = {
    k: v for k, v in project.REST_FRAMEWORK.items() if k != "DEFAULT_PARSER_CLASSES"
}
django.setup()
from django.test import Client
client, path = Client(), "/api/v1/auth/verify_token/"
nested = client.post(path, "[" * 100000 + "]" * 100000, content_type="application/json")
form = client.post(path, "token=x", content_type="application/x-www-form-urlencoded")
print(json.dumps([nested.status_code, form.status_code]))
"""


def test_the_auth_endpoints_parse_strict_json_on_drfs_default_parsers_too():
    """A project that keeps DRF's default parsers still gets a 400 for nested JSON (DRF's
    parser lets the RecursionError out as a 500) and a 415 for a form post."""
    done = subprocess.run(
        [sys.executable, "-c", _ON_DRFS_DEFAULT_PARSERS],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout.splitlines()[-1]) == [400, 415]
