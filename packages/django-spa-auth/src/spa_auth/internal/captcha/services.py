"""The one check the doors call: ``require_captcha(request, door)``.

A door the settings name asks for the JSON member ``captcha`` (the widget's answer) and
posts it to the provider's verify URL; nothing goes on until the provider says yes. The
provider's yes is never kept: every request is verified again, and the providers answer a
token once (``timeout-or-duplicate`` the second time), so one solved CAPTCHA opens one
request. Fail closed: a provider that does not answer in time, or answers garbage, is a
503 ``captcha_unavailable``, never a pass. The password login asks only when the throttle
store holds a failure for the account name or the client's address.

Imports ``throttling`` (the client's address, the login counters) and no wing above it.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import requests
from rest_framework.request import Request

from ...conf import get_settings
from ...errors import CaptchaInvalidError, CaptchaRequiredError, CaptchaUnavailableError
from ..throttling import limits as throttling
from ..throttling import network
from .config import CaptchaConfig, captcha_config
from .providers import Expected

logger = logging.getLogger("spa_auth.captcha")

MAX_ANSWER_BYTES = 16 * 1024
# Seconds a client waits before trying again when the provider is down.
RETRY_AFTER = 30


def public_config() -> dict[str, str] | None:
    """What the app needs to render the widget (``GET auth/config/``); never the secret."""
    found = captcha_config()
    if found is None:
        return None
    return {"provider": found.provider.name, "site_key": found.site_key}


def require_captcha(request: Request, door: str, *, username: str | None = None) -> None:
    """Let the request through ``door`` only with a CAPTCHA the provider accepts.

    Raises ``CaptchaRequiredError`` (no answer), ``CaptchaInvalidError`` (an answer of the
    wrong type or size, or one the provider refuses) or ``CaptchaUnavailableError``. Does
    nothing when the CAPTCHA is off or ``door`` is not among its ``DOORS``. For ``"login"``,
    pass ``username``: it asks only after a failure of that name or of the client's address.
    """
    found = captcha_config()
    if found is None or door not in found.doors:
        return
    ip = network.client_ip(request, get_settings())
    if door == "login" and not _has_failed_before(username, ip):
        return
    token = _answer_of(request, found, door)
    _verify(found, token, door, ip)


def _has_failed_before(username: str | None, ip: str | None) -> bool:
    """A live failure under the login throttles' keys of this name or this address.

    The name's key is kept whether or not an account has that name (a wrong guess at an
    unknown name counts as one at a known name), so asking tells nothing of which names
    exist: only that someone failed with this name lately, as the throttle's 429 does."""
    conf = get_settings()
    checks: list[tuple[throttling.Limit, str | None]] = [
        (throttling.login_ip_limit(conf), throttling.ip_key(ip))
    ]
    if username is not None:
        checks.append((throttling.login_account_limit(conf), throttling.account_key(username)))
    return throttling.has_failures(*checks)


def _answer_of(request: Request, found: CaptchaConfig, door: str) -> str:
    data = request.data
    value = data.get("captcha") if isinstance(data, dict) else None
    if value is None or value == "":
        raise CaptchaRequiredError(found.provider.name, found.site_key, door)
    # Not posted to the provider: no token is of another type or this long, nor holds a
    # lone surrogate (JSON may escape one; the form encoder could not send it).
    if (
        not isinstance(value, str)
        or len(value) > found.provider.max_answer_length
        or not _is_utf8(value)
    ):
        raise CaptchaInvalidError(found.provider.name, found.site_key, door)
    return value


def _is_utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _verify(found: CaptchaConfig, token: str, door: str, ip: str | None) -> None:
    form = found.provider.payload(found.secret_key, token, ip)
    try:
        answer = _post(found.verify_url, form, found.timeout)
    except _UnansweredError as error:
        logger.warning(
            "captcha provider %s unavailable at %s: %s", found.provider.name, door, error
        )
        raise CaptchaUnavailableError(RETRY_AFTER) from None
    expected = Expected(door=door, hostnames=found.hostnames, min_score=found.min_score)
    refused = found.provider.refusal(answer, expected)
    if refused:
        logger.info("captcha refused at %s from %s: %s", door, ip, refused)
        raise CaptchaInvalidError(found.provider.name, found.site_key, door)


class _UnansweredError(Exception):
    """No usable answer from the verify URL: none in time, an error status, or garbage."""


def _post(url: str, form: dict[str, str], timeout: float) -> dict[str, Any]:
    """The JSON object the verify URL answers. Connecting and each read wait at most
    ``timeout``; the answer must also be whole by ``timeout`` after the request began, so
    a provider trickling bytes holds the request at most one read longer."""
    deadline = time.monotonic() + timeout
    try:
        with requests.post(
            url,
            data=form,
            headers={"Accept": "application/json"},
            timeout=timeout,
            stream=True,
            allow_redirects=False,
        ) as response:
            status = response.status_code
            body = bytearray()
            # Byte by byte (buffered below): a larger read would wait for its whole
            # size, and a trickle could hold it for that many read timeouts.
            for chunk in response.iter_content(1):
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    raise _UnansweredError(f"answer over {MAX_ANSWER_BYTES} bytes")
                if time.monotonic() > deadline:
                    raise _UnansweredError(f"no whole answer in {timeout}s")
    except requests.RequestException as error:
        raise _UnansweredError(str(error)[:200]) from error
    if status != 200:
        raise _UnansweredError(f"status {status}")
    try:
        answer = json.loads(bytes(body))
    except ValueError as error:
        raise _UnansweredError("answer is not JSON") from error
    if not isinstance(answer, dict):
        raise _UnansweredError("answer is not a JSON object")
    return answer
