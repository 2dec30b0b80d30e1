"""A Have I Been Pwned range server on loopback that does what a test tells it.

``GET /range/<prefix>`` answers every breached suffix under the prefix with its count,
as the real range API does, padded with entries of count 0 when asked (``Add-Padding``).
A test can make it fail instead (``behave``): answer a status, garbage, a redirect, no
answer until released, or a body that trickles. Every request is kept as received (path,
headers, body) so that a test can assert on what left the server.
"""

from __future__ import annotations

import hashlib
import random
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PATH = "/range/"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


def sha1_hex(password: str) -> str:
    return hashlib.sha1(password.encode("utf-8")).hexdigest().upper()


@dataclass
class FakeRangeServer:
    # Full SHA-1 (upper-case hex) -> count, for the passwords the fake knows as breached.
    breached: dict[str, int] = field(default_factory=dict)
    # "ok", "status", "garbage", "redirect", "hang", "trickle", "huge"; see ``_answer``
    # ("down": the test points the check at a closed port, ``closed_url``).
    behaviour: str = "ok"
    status: int = 500
    garbage: bytes = b"<html><body>Service unavailable</body></html>"
    padding: int = 800
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    @property
    def closed_url(self) -> str:
        return "http://127.0.0.1:9/range/"  # the discard port: nothing listens there

    def breach(self, password: str, count: int = 3) -> None:
        self.breached[sha1_hex(password)] = count

    def behave(self, behaviour: str, **options: Any) -> None:
        self.behaviour = behaviour
        for name, value in options.items():
            setattr(self, name, value)

    def reset(self) -> None:
        self.breached.clear()
        self.received.clear()
        self.behaviour, self.status, self.padding = "ok", 500, 800
        self.release.set()  # whatever still hangs from the last test lets go
        self.release = threading.Event()

    def range_body(self, prefix: str, padded: bool) -> bytes:
        lines = [
            f"{digest[5:]}:{count}"
            for digest, count in self.breached.items()
            if digest.startswith(prefix.upper())
        ]
        if padded:
            # As the real API: random suffixes of count 0, mixed in with the real ones.
            rng = random.Random(prefix)  # padding, not a secret
            lines += [f"{rng.getrandbits(140):035X}:0" for _ in range(self.padding)]
            rng.shuffle(lines)
        return "\r\n".join(lines).encode()

    def start(self) -> FakeRangeServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fake.received.append(Received(self.path, dict(self.headers.items()), body))
                fake._answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        behaviour = self.behaviour
        if behaviour == "hang":  # no answer until the test is over
            self.release.wait(30)
            return
        if behaviour == "redirect":  # to a path of its own that lists nothing
            handler.send_response(302)
            handler.send_header("Location", f"http://127.0.0.1:{self.port}/elsewhere/")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if behaviour == "status":
            body, status = b"server error", self.status
        elif behaviour == "garbage":
            body, status = self.garbage, 200
        elif behaviour == "huge":
            body, status = (b"0" * 35 + b":1\r\n") * 10_000, 200
        else:
            prefix = handler.path[len(PATH) :] if handler.path.startswith(PATH) else "-"
            padded = handler.headers.get("Add-Padding", "").lower() == "true"
            body, status = self.range_body(prefix, padded), 200
        handler.send_response(status)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if behaviour == "trickle":  # a byte at a time, slower than any deadline
            for byte in body:
                if self.release.wait(0.05):
                    return
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
            return
        handler.wfile.write(body)
