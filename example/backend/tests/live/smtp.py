"""A real SMTP server on loopback (aiosmtpd) that keeps what it is sent, for the live tier."""

from __future__ import annotations

import email
import email.policy
import re
import threading
import time
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.live.servers import LOOPBACK, free_port


class _Keep:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.sink.arrived:
            self.sink.messages.append(message)  # type: ignore[arg-type]
            self.sink.arrived.notify_all()
        return "250 OK"


class SmtpSink:
    """``start()``, then ``url`` for ``EMAIL_URL``; ``wait_for(to=…)`` the next mail."""

    def __init__(self, port: int | None = None) -> None:
        self.messages: list[EmailMessage] = []
        self.arrived = threading.Condition()
        self.port = port or free_port()
        self._controller = Controller(_Keep(self), hostname=LOOPBACK, port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://{LOOPBACK}:{self.port}"

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def wait_for(self, *, to: str, subject: str = "", timeout: float = 20) -> EmailMessage:
        """The first mail to ``to`` (whose subject holds ``subject``) not yet taken."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                for message in self.messages:
                    if to.casefold() in str(message["To"]).casefold() and subject in str(
                        message["Subject"]
                    ):
                        self.messages.remove(message)
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no mail to {to} within {timeout}s")
                self.arrived.wait(left)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def link_in(message: EmailMessage) -> str:
    found = re.search(r"https?://\S+#key=[A-Za-z0-9_-]+", text_of(message))
    assert found, text_of(message)
    return found.group(0)
