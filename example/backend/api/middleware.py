"""Content-Security-Policy for every response (Django 5.2 has no built-in one), and
Django's messages with their storage built on first use."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

# The origins a CAPTCHA provider's widget loads its script from and frames (and, for
# hCaptcha, styles and calls); added only when that provider is the configured one.
CAPTCHA_ORIGINS = {
    "turnstile": "https://challenges.cloudflare.com",
    "hcaptcha": "https://hcaptcha.com https://*.hcaptcha.com",
    # Google's paths for reCAPTCHA only: the rest of www.google.com serves JSONP, which
    # would let an injected tag run script under this policy.
    "recaptcha_v2": "https://www.google.com/recaptcha/ https://www.gstatic.com/recaptcha/ "
    "https://recaptcha.google.com/recaptcha/",
    "recaptcha_v3": "https://www.google.com/recaptcha/ https://www.gstatic.com/recaptcha/ "
    "https://recaptcha.google.com/recaptcha/",
}


@functools.lru_cache(maxsize=8)
def policy(captcha_provider: str | None = None) -> str:
    """The built app loads only its own hashed scripts and styles (the admin needs inline
    styles), and the CAPTCHA provider's widget when one is configured."""
    extra = CAPTCHA_ORIGINS.get(captcha_provider or "", "")
    more = f" {extra}" if extra else ""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self'{more}",
            f"style-src 'self' 'unsafe-inline'{more}",
            "img-src 'self' data:",
            "font-src 'self' data:",
            f"connect-src 'self'{more}",
            f"frame-src 'self'{more}" if extra else "frame-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _captcha_provider() -> str | None:
    captcha = getattr(settings, "SPA_AUTH", {}).get("CAPTCHA")
    return str(captcha.get("PROVIDER")) if isinstance(captcha, dict) else None


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # Once per process (a handler loads its middleware once): nothing per request.
        self.policy = policy(_captcha_provider())

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
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
