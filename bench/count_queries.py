# Run by run.py through `manage.py shell -c`: SQL statements and new rows per operation.
import json

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

PASSWORD = "bench-passphrase-long-enough"
client = Client(HTTP_HOST="127.0.0.1")


def count(method, path, **kwargs):
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(path, **kwargs)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


def rows():
    with connection.cursor() as cursor:
        total = 0
        for table in (
            "spa_auth_session",
            "spa_auth_auditevent",
            "token_blacklist_outstandingtoken",
            "token_blacklist_blacklistedtoken",
        ):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            total += cursor.fetchone()[0]
        return total


login = client.post(
    "/api/v1/auth/obtain_token/",
    {"username": "alice", "password": PASSWORD},
    content_type="application/json",
)
token, refresh = login.json()["token"], login.cookies["refresh_token"].value
client.get("/api/v1/user/", HTTP_AUTHORIZATION=f"Bearer {token}")  # warm the connection
auth_queries, _ = count("get", "/api/v1/user/", HTTP_AUTHORIZATION=f"Bearer {token}")
before = rows()
refresh_queries, body = count(
    "post",
    "/api/v1/auth/refresh_token/",
    data={"refresh": refresh},
    content_type="application/json",
)
refresh_rows = rows() - before

pair = client.post(
    "/api/v1/bench/simplejwt/token/",
    {"username": "alice", "password": PASSWORD},
    content_type="application/json",
).json()
their_auth_queries, _ = count(
    "get", "/api/v1/bench/simplejwt/user/", HTTP_AUTHORIZATION=f"Bearer {pair['access']}"
)
before = rows()
their_refresh_queries, _ = count(
    "post",
    "/api/v1/bench/simplejwt/refresh/",
    data={"refresh": pair["refresh"]},
    content_type="application/json",
)
their_refresh_rows = rows() - before

print(
    json.dumps(
        {
            "auth_queries": auth_queries,
            "refresh_queries": refresh_queries,
            "refresh_new_rows": refresh_rows,
            "simplejwt_auth_queries": their_auth_queries,
            "simplejwt_refresh_queries": their_refresh_queries,
            "simplejwt_refresh_new_rows": their_refresh_rows,
        }
    )
)
