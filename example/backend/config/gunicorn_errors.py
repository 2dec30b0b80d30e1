"""JSON bodies for the errors gunicorn answers itself, before Django sees the request.

A malformed request line or header, or one past gunicorn's limits, is refused by its worker
(``Worker.handle_error``), which picks the status and writes it with
``gunicorn.util.write_error`` as a small HTML page. Everything else under ``/api/`` answers
JSON ``{detail, code}``; gunicorn cannot know the path of a request it could not parse, so
every error of its own answers JSON. Only the writer is replaced: gunicorn still chooses the
status and logs the specific reason (which quotes the offending input) itself.

Installed by ``gunicorn.conf.py`` in each worker; imports nothing from Django.
"""

from __future__ import annotations

import inspect
import json
import socket

from gunicorn import util

# Public message and stable code per status gunicorn writes (see Worker.handle_error).
_ERRORS: dict[int, tuple[str, str]] = {
    400: ("Bad request.", "bad_request"),
    403: ("Forbidden.", "permission_denied"),
    414: ("Request line too long.", "uri_too_long"),
    417: ("Expectation failed.", "expectation_failed"),
    431: ("Request header fields too large.", "headers_too_large"),
    500: ("Internal server error.", "server_error"),
    501: ("Not implemented.", "not_implemented"),
}
_SIGNATURE = ["sock", "status_int", "reason", "mesg"]


def error_body(status: int, reason: str) -> bytes:
    """The JSON body for one of gunicorn's statuses; an unknown one keeps its reason."""
    detail, code = _ERRORS.get(status, (f"{reason}.", reason.lower().replace(" ", "_")))
    return json.dumps({"detail": detail, "code": code}).encode()


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """``gunicorn.util.write_error`` with the same status line and a JSON body."""
    body = error_body(status_int, reason)
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


def install() -> None:
    """Make gunicorn's workers write JSON errors; refuse to boot if gunicorn changed shape.

    The worker calls ``util.write_error`` through the module at the time of the error, so
    replacing the attribute covers every worker class (sync, gthread, gevent) alike.
    """
    current = util.write_error
    if current is write_json_error:
        return
    if list(inspect.signature(current).parameters) != _SIGNATURE:
        # Failing loudly beats silently going back to HTML error pages after an upgrade.
        raise RuntimeError(f"gunicorn.util.write_error is no longer {_SIGNATURE}: update me")
    util.write_error = write_json_error
