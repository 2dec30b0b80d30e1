"""Under /api/ every error is JSON {detail, code}, never an HTML page: the ones gunicorn
answers before Django sees the request, CSRF failures, and mistyped paths."""

from __future__ import annotations

import json
import socket

import pytest
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.test import Client, RequestFactory

from tests.live.servers import LOOPBACK, request

_LIVE = pytest.mark.integration


@pytest.fixture
def server(make_app):
    return make_app().start(workers=1)


def raw_exchange(url: str, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes that no HTTP client would, read until gunicorn closes the connection."""
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection((LOOPBACK, port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def assert_json_error(status: int, headers: dict[str, str], body: bytes, expected: int) -> dict:
    assert status == expected, body
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(body)
    parsed = json.loads(body)
    assert set(parsed) == {"detail", "code"}
    return parsed


@_LIVE
def test_a_header_without_a_colon_is_a_json_400(server):
    reply = raw_exchange(
        server.url, b"GET /api/v1/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon here\r\n\r\n"
    )
    assert assert_json_error(*reply, expected=400)["code"] == "bad_request"


@_LIVE
def test_a_garbage_request_line_is_a_json_400(server):
    reply = raw_exchange(server.url, b"\x16garbage that is no request line\r\n\r\n")
    assert assert_json_error(*reply, expected=400)["code"] == "bad_request"


@_LIVE
def test_a_header_past_gunicorns_limit_is_a_json_431(server):
    big = b"X-Big: " + b"a" * 10_000
    reply = raw_exchange(
        server.url, b"GET /api/v1/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n" + big + b"\r\n\r\n"
    )
    assert assert_json_error(*reply, expected=431)["code"] == "headers_too_large"


@_LIVE
def test_a_post_to_a_mistyped_api_path_is_a_json_404_not_a_csrf_page(server):
    reply = request(
        server.url, "POST", "/api/v1/auth/obtain_token", {"username": "a", "password": "b"}
    )
    assert reply.status == 404 and reply.code == "not_found"
    assert reply.headers["Content-Type"] == "application/json"


@_LIVE
def test_the_threaded_worker_answers_json_too(make_app):
    server = make_app().start(workers=1, threads=2)  # gunicorn's gthread worker
    reply = raw_exchange(server.url, b"garbage\r\n\r\n")
    assert assert_json_error(*reply, expected=400)["code"] == "bad_request"


@_LIVE
def test_the_server_still_answers_after_refusing_bad_requests(server):
    raw_exchange(server.url, b"garbage\r\n\r\n")
    assert request(server.url, "GET", "/api/v1/health/").status == 200


# The same guarantees inside Django, without a server.


@pytest.mark.django_db
def test_a_post_to_an_unknown_api_path_needs_no_csrf_token():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/v1/auth/obtain_token", {}, content_type="application/json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_a_csrf_failure_under_the_api_is_json():
    def changes_something(request: HttpRequest) -> HttpResponse:
        return HttpResponse("changed")

    # Django's middleware itself, refusing a POST without a token to a view not exempt.
    middleware = CsrfViewMiddleware(changes_something)
    request = RequestFactory().post("/api/v1/anything/")
    response = middleware.process_view(request, changes_something, (), {})
    assert response is not None
    assert response.status_code == 403 and response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "detail": "CSRF verification failed.",
        "code": "csrf_failed",
    }


@pytest.mark.django_db
def test_a_csrf_failure_elsewhere_keeps_djangos_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "a", "password": "b"})
    assert response.status_code == 403 and response["Content-Type"].startswith("text/html")
