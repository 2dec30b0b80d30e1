"""A CAPTCHA provider's verify endpoint on loopback, single use as the real ones are.

``issue()`` is a person solving the widget: it returns a new token, which the endpoint
answers ``success`` for once, and ``timeout-or-duplicate`` after that. A test can make it
fail as a provider does: ``mode`` "down" (a 500), "garbage" (not JSON), "hang" (no answer
until ``release``), "trickle" (the answer a byte at a time, until ``release``).
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

SITE_KEY = "fake-site-key"
SECRET_KEY = "fake-secret-key-never-shown"


@dataclass
class Solved:
    hostname: str
    action: str
    score: float
    spent: bool = False


@dataclass
class FakeCaptcha:
    tokens: dict[str, Solved] = field(default_factory=dict)
    received: list[dict[str, str]] = field(default_factory=list)
    mode: str = "ok"
    released: threading.Event = field(default_factory=threading.Event)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def verify_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/siteverify"

    def config(self, provider: str = "turnstile", **extra: Any) -> dict[str, Any]:
        return {
            "PROVIDER": provider,
            "SITE_KEY": SITE_KEY,
            "SECRET_KEY": SECRET_KEY,
            "VERIFY_URL": self.verify_url,
            **extra,
        }

    def reset(self) -> None:
        self.tokens.clear()
        self.received.clear()
        self.mode = "ok"
        self.released.clear()

    def issue(self, *, hostname: str = "localhost", action: str = "", score: float = 0.9) -> str:
        token = "tok_" + secrets.token_urlsafe(24)
        self.tokens[token] = Solved(hostname, action, score)
        return token

    def verify(self, form: dict[str, str]) -> dict[str, Any]:
        if form.get("secret") != SECRET_KEY:
            return {"success": False, "error-codes": ["invalid-input-secret"]}
        with self.lock:  # one success per token, however many ask at once
            solved = self.tokens.get(form.get("response", ""))
            if solved is None:
                return {"success": False, "error-codes": ["invalid-input-response"]}
            if solved.spent:
                return {"success": False, "error-codes": ["timeout-or-duplicate"]}
            solved.spent = True
        return {
            "success": True,
            "hostname": solved.hostname,
            "action": solved.action,
            "score": solved.score,
            "challenge_ts": "2026-01-01T00:00:00Z",
            "error-codes": [],
        }

    def start(self) -> FakeCaptcha:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length).decode()
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                fake.received.append({**form, "content_type": self.headers.get("Content-Type", "")})
                if fake.mode == "hang":
                    fake.released.wait(10)
                    return
                status, body = 200, json.dumps(fake.verify(form)).encode()
                if fake.mode == "down":
                    status, body = 500, b'{"error": "internal"}'
                elif fake.mode == "garbage":
                    body = b"<html>maintenance</html>"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if fake.mode == "trickle":
                    for byte in body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        if fake.released.wait(0.05):
                            break
                    return
                self.wfile.write(body)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()
