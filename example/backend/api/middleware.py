"""Content-Security-Policy for every response (Django 5.2 has no built-in one), and
Django's messages with their storage built on first use."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

# The built app loads only its own hashed scripts and styles; the admin needs inline styles.
POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response


class LazyMessageMiddleware(MessageMiddleware):
    """Django's ``MessageMiddleware``, building the message storage when something uses it.

    Only the admin's pages show messages, but Django builds the storage (a cookie backend
    and a session backend) for every request, API calls included: the costliest step of
    the middleware stack on an API request. Storage that was never built was neither read
    nor written, so there is nothing to store with the response.
    """

    def process_request(self, request: HttpRequest) -> None:
        request._messages = SimpleLazyObject(functools.partial(default_storage, request))  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        storage = getattr(request, "_messages", None)
        if isinstance(storage, SimpleLazyObject) and storage._wrapped is empty:
            return response
        return super().process_response(request, response)
