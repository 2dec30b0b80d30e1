"""``CharsetGuard``: refuse a request whose ``charset`` Django would choke on, before Django
reads it.

Django decodes the query string and form bodies with the charset the client names, and
its request constructor does so before any middleware runs: ``charset=bz2`` (a
bytes-to-bytes codec), ``rot13``, ``undefined`` or ``punycode`` with any query string is a
500 on every URL. Wrap the project's WSGI application (``application =
CharsetGuard(get_wsgi_application())``): a request naming any charset but UTF-8, ASCII,
Latin-1 or Windows-1252 gets a JSON 415, and nothing behind it runs.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.utils.http import parse_header_parameters

# What browsers and HTTP clients send; JSON bodies must be UTF-8 in any case (parsers).
USABLE_CHARSETS = frozenset({"utf-8", "ascii", "iso8859-1", "cp1252"})
_BODY = json.dumps(
    {"detail": "Unsupported charset: use UTF-8.", "code": "unsupported_media_type"}
).encode()


def is_usable_charset(content_type: str) -> bool:
    charset = parse_header_parameters(content_type)[1].get("charset")
    if not charset:
        return True
    try:
        return codecs.lookup(charset).name in USABLE_CHARSETS
    except (LookupError, ValueError):  # unknown, or not a name at all ("utf-8\x00")
        return False


class CharsetGuard:
    def __init__(self, application: Callable[..., Iterable[bytes]]) -> None:
        self.application = application

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if is_usable_charset(environ.get("CONTENT_TYPE", "")):
            return self.application(environ, start_response)
        start_response(
            "415 Unsupported Media Type",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(_BODY))),
                ("X-Content-Type-Options", "nosniff"),
                ("Cache-Control", "no-store"),
            ],
        )
        return [_BODY]
