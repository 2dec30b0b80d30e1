"""A sign-in provider on loopback that does what a test tells it, lies included.

It serves what the server fetches over real HTTP (discovery, the key set, the token
endpoint, GitHub's user API); the person's visit to its authorization page is a method
call (``authorize``), which answers as the provider's redirect back would. Its ID tokens
are RS256 with its own key, unless a test asks for a forged one (``forge``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "spa-client"
CLIENT_SECRET = "spa-client-secret"


@dataclass
class Grant:
    claims: dict[str, Any]
    nonce: str | None
    challenge: str
    redirect_uri: str
    used: bool = False


@dataclass
class FakeProvider:
    key: Any = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    kid: str = "key-1"
    grants: dict[str, Grant] = field(default_factory=dict)
    # Set by a test: a function of (claims, header) returning the ID token to send.
    forge: Callable[[dict[str, Any], dict[str, Any]], str] | None = None
    # Set by a test: replaces a route's JSON answer (path -> body, or (status, raw bytes)).
    answers: dict[str, Any] = field(default_factory=dict)
    # GitHub-shaped: the user and address answers, per access token.
    github: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    # Apple-shaped: the public key its client secrets (ES256 JWTs) must verify with.
    apple_key: Any = None
    port: int = 0

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self, provider_id: str = "fake", **extra: Any) -> dict[str, Any]:
        return {
            "id": provider_id,
            "name": provider_id.title(),
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            **extra,
        }

    def github_config(self, provider_id: str = "github") -> dict[str, Any]:
        return {
            "id": provider_id,
            "name": "GitHub",
            "kind": "github",
            "issuer": "https://github.com",  # as github.com's: its own endpoints need one
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "authorization_endpoint": f"{self.issuer}/login/oauth/authorize",
            "token_endpoint": f"{self.issuer}/login/oauth/access_token",
            "userinfo_endpoint": f"{self.issuer}/user",
            "emails_endpoint": f"{self.issuer}/user/emails",
        }

    # The person at the provider.

    def authorize(self, authorization_url: str, **claims: Any) -> dict[str, str]:
        """Sign in at the provider as the person ``claims`` describe and consent: the
        query the provider's redirect back carries (``code`` and ``state``)."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorization_url).query).items()}
        code = secrets.token_urlsafe(24)
        self.grants[code] = Grant(
            claims=claims,
            nonce=query.get("nonce"),
            challenge=query["code_challenge"],
            redirect_uri=query["redirect_uri"],
        )
        return {"code": code, "state": query["state"]}

    def id_token(self, claims: dict[str, Any], nonce: str | None, **overrides: Any) -> str:
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            **claims,
            **overrides,
        }
        header = {"kid": self.kid}
        if self.forge is not None:
            return self.forge(body, header)
        return jwt.encode(body, self.key, algorithm="RS256", headers=header)

    def jwk(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()

        def b64(value: int) -> str:
            raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        return {
            "kty": "RSA",
            "kid": self.kid,
            "use": "sig",
            "alg": "RS256",
            "n": b64(numbers.n),
            "e": b64(numbers.e),
        }

    # What the server fetches.

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, Any]:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization.startswith("Basic "):
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET) and not self._apple_secret(
            client_id, secret
        ):
            return 401, {"error": "invalid_client"}
        grant = self.grants.get(form.get("code", ""))
        if grant is None or grant.used or form.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
        if digest.decode() != grant.challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        grant.used = True
        access = secrets.token_urlsafe(16)
        if "github_user" in grant.claims:
            self.github[access] = (grant.claims["github_user"], grant.claims["github_emails"])
            return 200, {"access_token": access, "token_type": "bearer", "scope": "read:user"}
        return 200, {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self.id_token(grant.claims, grant.nonce),
        }

    def _apple_secret(self, client_id: str | None, secret: str | None) -> bool:
        if self.apple_key is None or client_id != CLIENT_ID or not secret:
            return False
        try:
            claims = jwt.decode(
                secret, self.apple_key, algorithms=["ES256"], audience="https://appleid.apple.com"
            )
        except jwt.PyJWTError:
            return False
        return claims.get("sub") == CLIENT_ID and claims.get("iss") == "TEAM123456"

    def start(self) -> FakeProvider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any) -> None:
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _answer(self, path: str, status: int, body: Any) -> None:
                if path in provider.answers:
                    answer = provider.answers[path]
                    status, body = answer if isinstance(answer, tuple) else (200, answer)
                self._send(status, body)

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                provider.requests.append(("GET", path))
                if path == "/.well-known/openid-configuration":
                    self._answer(path, 200, provider.discovery())
                elif path == "/jwks":
                    self._answer(path, 200, {"keys": [provider.jwk()]})
                elif path in ("/user", "/user/emails"):
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    if token not in provider.github:
                        self._send(401, {"message": "Bad credentials"})
                        return
                    user, emails = provider.github[token]
                    self._answer(path, 200, user if path == "/user" else emails)
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                provider.requests.append(("POST", path))
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if path in ("/token", "/login/oauth/access_token"):
                    status, body = provider.token(form, self.headers.get("Authorization", ""))
                    self._answer(path, status, body)
                else:
                    self._send(404, {"error": "not_found"})

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
