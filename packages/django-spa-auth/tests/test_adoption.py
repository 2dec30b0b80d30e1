"""A project that keeps its own ``REST_FRAMEWORK``: DRF's defaults, or its own parsers,
renderers, pagination and exception handler. The auth endpoints carry what they need, so
they answer as documented whatever the project chose, and change nothing of its API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import bearer, logged_in, login

pytestmark = pytest.mark.django_db

# What a project of its own might have: the Browsable API first, forms and uploads, page
# numbers, DRF's exception handler, HTTP Basic beside sessions.
PROJECT_OWN = {
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.BrowsableAPIRenderer",
        "rest_framework.renderers.JSONRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.JSONParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 2,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
}


@pytest.fixture(params=["drf_defaults", "project_own"])
def project_settings(request: pytest.FixtureRequest, settings: Any) -> str:
    settings.REST_FRAMEWORK = {} if request.param == "drf_defaults" else PROJECT_OWN
    return str(request.param)


def test_errors_keep_their_code_and_json(project_settings: str, user: Any) -> None:
    client = Client()
    refused = client.post(
        "/api/v1/auth/obtain_token/",
        {"username": user.get_username(), "password": "wrong"},
        content_type="application/json",
        HTTP_ACCEPT="text/html",
    )
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/json"
    assert refused.json()["code"] == "invalid_credentials"


def test_the_endpoints_read_json_only(project_settings: str, user: Any) -> None:
    form = Client().post(
        "/api/v1/auth/obtain_token/", {"username": user.get_username(), "password": "x"}
    )
    assert (form.status_code, form.json()["code"]) == (415, "unsupported_media_type")


def test_the_access_token_works_on_the_auth_endpoints(project_settings: str, user: Any) -> None:
    client, token = logged_in(user)
    listed = client.get("/api/v1/auth/sessions/", **bearer(token))
    assert listed.status_code == 200, listed.content
    body = listed.json()
    # The package's own pagination, 20 a page, whatever the project's.
    assert set(body) == {"count", "next", "previous", "results"} and body["count"] == 1


def test_http_basic_does_not_open_the_auth_endpoints(project_settings: str, user: Any) -> None:
    import base64

    basic = base64.b64encode(f"{user.get_username()}:correct-horse-battery-staple".encode())
    response = Client().get("/api/v1/auth/sessions/", HTTP_AUTHORIZATION=f"Basic {basic.decode()}")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_login_answers_the_same_as_with_the_recommended_settings(
    project_settings: str, user: Any
) -> None:
    response = login(Client(), user)
    assert response.status_code == 200
    assert set(response.json()) >= {"token", "token_type", "expires_in", "user"}


def test_every_auth_endpoint_renders_and_parses_json_whatever_the_defaults() -> None:
    """DRF reads ``DEFAULT_RENDERER_CLASSES`` once, when its views module is imported, so
    the project's value can only be seen in the classes: none of ours keeps it."""
    from rest_framework.renderers import JSONRenderer
    from spa_auth import urls
    from spa_auth.parsers import StrictJSONParser

    views = [pattern.callback.view_class for pattern in urls.urlpatterns]
    assert len(views) > 30
    for view in views:
        assert view.renderer_classes == [JSONRenderer], view
        assert view.parser_classes == [StrictJSONParser], view
