"""The OpenAPI schema: valid, complete, and served with an offline docs page."""

from __future__ import annotations

import re

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db


def api_routes() -> set[str]:
    """Every concrete route under /api/v1/, written the way OpenAPI writes paths."""
    found: set[str] = set()

    def walk(patterns: list, prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and not route.endswith("^.*$"):
                found.add("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))

    walk(get_resolver().url_patterns, "")
    return {
        r
        for r in found
        if r.startswith("/api/v1/") and r not in {"/api/v1/schema/", "/api/v1/docs/"}
    }


@pytest.fixture(scope="module")
def schema(django_db_blocker, tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("schema") / "schema.yml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_the_schema_validates_and_names_every_route(schema):
    assert set(schema["paths"]) == api_routes()


def test_every_authenticated_operation_documents_its_errors(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = set(operation["responses"])
            if operation.get("security") and {} not in operation["security"]:
                assert "401" in responses, (method, path)


def test_refresh_and_logout_document_the_cookie_and_csrf_header(schema):
    for path in ("/api/v1/auth/refresh_token/", "/api/v1/auth/logout/"):
        names = {(p["in"], p["name"]) for p in schema["paths"][path]["post"]["parameters"]}
        assert {("header", "X-CSRFToken"), ("cookie", "refresh_token")} <= names


def test_the_bearer_scheme_is_described(schema):
    assert schema["components"]["securitySchemes"]["accessToken"]["scheme"] == "bearer"


def test_the_schema_and_docs_are_served_offline(client, settings):
    # The sidecar's files straight from the installed app, as under DEBUG: the test needs
    # no `collectstatic` (a deployment serves the collected copies the same way).
    settings.WHITENOISE_USE_FINDERS = True
    assert client.get("/api/v1/schema/").status_code == 200
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger" in html.lower() and "cdn" not in html.lower() and "https://" not in html
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts
    for src in scripts:
        response = client.get(src)
        assert response.status_code == 200, src
        response.close()  # WhiteNoise streams files: release the handle
