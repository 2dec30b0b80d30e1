"""Attacks that need the real stack: simultaneous guesses against a threaded gunicorn,
hostile bytes in headers and bodies reaching PostgreSQL, on both deployment shapes."""

from __future__ import annotations

import bz2
import http.client
import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.live.servers import request
from tests.live.test_concurrency import PASSWORD

pytestmark = pytest.mark.integration


def raw_post(url: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def test_simultaneous_guesses_cannot_outrun_the_account_limit(make_app):
    app = make_app()
    app.create_user("alice", PASSWORD)
    server = app.start(workers=1, threads=8)

    def guess(n: int) -> int:
        body = {"username": "alice", "password": f"wrong-{n}"}
        return request(server.url, "POST", "/api/v1/auth/obtain_token/", body).status

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(guess, range(16)))
    assert statuses.count(401) <= 5, statuses  # each 401 is a password actually checked
    assert set(statuses) <= {401, 429}
    assert (
        request(
            server.url,
            "POST",
            "/api/v1/auth/obtain_token/",
            {"username": "alice", "password": PASSWORD},
        ).status
        == 429
    )


def test_forwarded_addresses_of_any_shape_never_reach_the_database_raw(make_app):
    app = make_app()
    app.create_user("alice", PASSWORD)
    server = app.start(TRUSTED_PROXIES="1")
    for forwarded in ("203.0.113.9:51234", "[2001:db8::1]:443", "garbage", "1.2.3.4, ,"):
        reply = request(
            server.url,
            "POST",
            "/api/v1/auth/obtain_token/",
            {"username": "alice", "password": PASSWORD},
            headers={"X-Forwarded-For": forwarded},
        )
        assert reply.status == 200, (forwarded, reply.body)
    sessions = request(
        server.url,
        "GET",
        "/api/v1/auth/sessions/",
        headers={"Authorization": f"Bearer {reply.body['token']}"},
    ).body["results"]
    # Empty list items are skipped; an entry that is no address means the socket is the client.
    expected = ["1.2.3.4", "127.0.0.1", "2001:db8::1", "203.0.113.9"]
    assert sorted({s["ip"] for s in sessions}) == expected


def test_a_control_character_in_the_user_agent_is_a_json_400_never_a_503(make_app):
    app = make_app()
    app.create_user("alice", PASSWORD)
    server = app.start()
    body = json.dumps({"username": "alice", "password": PASSWORD}).encode()
    # http.client refuses to send a NUL; \x01 is refused by the same rule. gunicorn stops it
    # at the door; behind a proxy that forwards it, the app strips it (the security suite's
    # test_8_control_characters_never_reach_the_database).
    status, text = raw_post(
        server.url,
        "/api/v1/auth/obtain_token/",
        body,
        {"Content-Type": "application/json", "User-Agent": "agent\x01one"},
    )
    assert status == 400 and json.loads(text)["code"] == "bad_request", text


def test_a_compressed_body_bomb_is_refused_without_decompressing(make_app):
    app = make_app()
    server = app.start()
    bomb = bz2.compress(b'{"username": "' + b"a" * 50_000_000 + b'"}')
    status, text = raw_post(
        server.url,
        "/api/v1/auth/obtain_token/",
        bomb,
        {"Content-Type": "application/json; charset=bz2"},
    )
    assert status == 415
    assert json.loads(text)["code"] == "unsupported_media_type"


@pytest.mark.parametrize("charset", ["bz2", "undefined", "punycode"])
def test_an_unusable_charset_with_a_query_string_is_a_json_415_on_any_url(make_app, charset):
    app = make_app()
    server = app.start()
    for path in ("/api/v1/health/?x=1", "/admin/login/?next=/admin/"):
        host, port = server.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            connection.request(
                "GET", path, headers={"Content-Type": f"text/plain; charset={charset}"}
            )
            response = connection.getresponse()
            assert response.status == 415, path
            assert json.loads(response.read())["code"] == "unsupported_media_type"
        finally:
            connection.close()
