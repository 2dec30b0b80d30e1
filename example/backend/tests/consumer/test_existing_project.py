"""A Django project that already had DRF and an API of its own adopts the package from the
README, verbatim: its own API answers as before (pages by number, form uploads), and its
views also accept the access token. The wheel in a clean virtual environment, served by
``runserver`` on 127.0.0.1; pip reaches the registry."""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .readme_project import get, make_project, send, serving

# What the project had before: DRF listed, its own pagination and DRF's default parsers.
EXISTING = """
INSTALLED_APPS += ["rest_framework", "shop"]
REST_FRAMEWORK = {
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 2,
}
"""
SHOP_VIEWS = """
from rest_framework import generics, permissions, serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response


class Items(generics.ListAPIView):
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        return [{"n": n} for n in range(5)]

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(page)


@api_view(["POST"])
@permission_classes([permissions.AllowAny])
def upload(request):
    return Response({"size": request.FILES["file"].size})


@api_view(["GET"])
@permission_classes([permissions.IsAuthenticated])
def me(request):
    return Response({"username": request.user.get_username()})
"""
URLS = """
from shop import views as shop

urlpatterns += [
    path("shop/items/", shop.Items.as_view()),
    path("shop/upload/", shop.upload),
    path("shop/me/", shop.me),
]
"""


def add_shop(site: Path) -> None:
    app = site / "shop"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "views.py").write_text(SHOP_VIEWS)


@pytest.fixture(scope="module")
def existing_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    python, site = make_project(
        tmp_path_factory.mktemp("existing"),
        user=("ada", "a-long-passphrase-1"),
        existing=EXISTING,
        urls=URLS,
        prepare=add_shop,
    )
    with serving(python, site) as url:
        yield url


def test_its_own_pagination_answers_as_before(existing_project: str) -> None:
    status, body, _ = get(f"{existing_project}/shop/items/?page=2")
    assert status == 200, body
    assert body["count"] == 5 and body["results"] == [{"n": 2}, {"n": 3}]


def test_its_own_form_uploads_still_work(existing_project: str) -> None:
    boundary = uuid.uuid4().hex
    payload = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    ).encode()
    request = urllib.request.Request(
        f"{existing_project}/shop/upload/",
        data=payload,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        method="POST",
    )
    status, body, _ = send(request)
    assert (status, body) == (200, {"size": 5})


def test_its_own_views_accept_the_access_token(existing_project: str) -> None:
    login = urllib.request.Request(
        f"{existing_project}/api/v1/auth/obtain_token/",
        data=json.dumps({"username": "ada", "password": "a-long-passphrase-1"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    status, body, _ = send(login)
    assert status == 200, body
    status, me, _ = get(
        f"{existing_project}/shop/me/", {"Authorization": f"Bearer {body['token']}"}
    )
    assert (status, me) == (200, {"username": "ada"})
    status, refused, _ = get(f"{existing_project}/shop/me/")
    assert status == 401 and refused == {"detail": "Authentication credentials were not provided."}
