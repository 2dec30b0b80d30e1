"""The form-post callback (Apple's) under gunicorn, on SQLite and on PostgreSQL + Redis:
whatever the ``user`` field holds (a NUL and a lone surrogate, which PostgreSQL's jsonb
refuses; nesting deep enough to exhaust a parser), the answer is the redirect, never a 500,
and no provider is contacted (P23)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import requests

from tests.live.servers import App, free_port

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "user_field",
    [
        '{"name": {"firstName": "\\u0000"}}',
        '{"name": {"firstName": "\\ud800"}}',
        "[" * 5000,
    ],
    ids=["nul", "lone-surrogate", "deep"],
)
def test_a_form_post_of_any_shape_is_a_redirect_never_a_500(
    make_app: Callable[..., App], user_field: str
) -> None:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    provider = {
        "id": "apple",
        "kind": "apple",
        "name": "Apple",
        "issuer": f"http://127.0.0.1:{free_port()}",  # nothing listens: nothing is fetched
        "client_id": "c",
        "client_secret": "s",
    }
    app = make_app(
        FRONTEND_URL=origin, SIGNUP_ENABLED="true", OIDC_PROVIDERS=json.dumps([provider])
    )
    server = app.start(port=port, workers=1, threads=1)
    response = requests.post(
        f"{server.url}/api/v1/auth/providers/apple/callback/",
        data={"state": "A" * 43, "code": "c", "user": user_field},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 303, (response.status_code, response.text[:200])
