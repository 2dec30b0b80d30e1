"""Have I Been Pwned's range API, as its k-anonymity model defines it: how often a
password appears in known breaches, asked without telling anyone the password.

Only the first five hex digits of the password's SHA-1 leave the server
(``GET <url><prefix>``, with ``Add-Padding: true`` so that the answer's size tells an
onlooker nothing either); the range server answers every suffix it knows under that
prefix with its count, and the comparison with the password's own suffix is made here.
Padding entries carry a count of 0 and so never match as breached.

The answer is read strictly, behind a deadline and a size cap: anything but a 200 whose
every line is ``<35 hex digits>:<count>`` is a ``RangeError``, as is no answer in time.
What a failure means for the caller (refuse, or accept and say so) is ``breaches``'s.
No models, no settings beyond the ones passed in.
"""

from __future__ import annotations

import hashlib
import re
import time
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import HTTPError as TransportError

from ...conf import PwnedPasswords

PREFIX_LENGTH = 5
SUFFIX_LENGTH = 40 - PREFIX_LENGTH
# A padded answer holds 800 to 1,000 lines of 40 bytes or so; four times that is garbage.
MAX_BYTES = 192 * 1024
_CHUNK = 16 * 1024
_LINE = re.compile(rb"([0-9A-Fa-f]{35}):([0-9]{1,12})")
USER_AGENT = "django-spa-auth (breached-password check)"


class RangeError(Exception):
    """The range server gave no usable answer: down, slow, or garbage. The message names
    the kind of failure and the server, never the prefix asked for."""


def split_digest(password: str) -> tuple[str, str]:
    """The password's SHA-1 in upper-case hex, as (the five digits sent, the rest kept).
    SHA-1 because it is the range API's index, not to protect the password."""
    digest = hashlib.sha1(password.encode("utf-8"), usedforsecurity=False).hexdigest().upper()
    return digest[:PREFIX_LENGTH], digest[PREFIX_LENGTH:]


def parse_range(body: bytes) -> dict[str, int]:
    """Every suffix of an answer with its count; ``RangeError`` for any line that is not
    ``<35 hex digits>:<count>`` (an HTML error page, a captive portal, a truncated line)."""
    counts: dict[str, int] = {}
    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            raise RangeError("the answer is not a list of suffixes and counts")
        suffix = match.group(1).decode("ascii").upper()
        counts[suffix] = max(counts.get(suffix, 0), int(match.group(2)))
    return counts


def fetch_range(prefix: str, options: PwnedPasswords) -> bytes:
    """The body of the range server's answer for ``prefix``: a 200, read within
    ``options.timeout`` seconds and ``MAX_BYTES``. No redirect is followed (the URL is the
    operator's; a redirect elsewhere is not)."""
    base = options.url or ""
    server = urlsplit(base).netloc.rsplit("@", 1)[-1]  # for the log: no path, no userinfo
    deadline = time.monotonic() + options.timeout
    try:
        with requests.get(
            base + prefix,
            headers={"Add-Padding": "true", "Accept": "text/plain", "User-Agent": USER_AGENT},
            timeout=(options.timeout, options.timeout),
            stream=True,
            allow_redirects=False,
        ) as response:
            if response.status_code != 200:
                raise RangeError(f"{server} answered {response.status_code}")
            return _read_body(response, deadline, server)
    except (requests.RequestException, TransportError, OSError) as error:
        # The exception's text holds the URL, prefix included: only its kind is kept.
        raise RangeError(f"{server}: {type(error).__name__}") from None


def _read_body(response: requests.Response, deadline: float, server: str) -> bytes:
    """Read the body a recv at a time, so that a server that trickles bytes is cut off at
    the deadline rather than held until each read times out on its own."""
    read = getattr(response.raw, "read1", None) or response.raw.read
    body = bytearray()
    while True:
        if time.monotonic() > deadline:
            raise RangeError(f"{server}: the answer took longer than the timeout")
        chunk = read(_CHUNK, decode_content=True)
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > MAX_BYTES:
            raise RangeError(f"{server}: the answer is over {MAX_BYTES} bytes")


def breach_count(password: str, options: PwnedPasswords) -> int:
    """How many times the password appears in the range server's breaches (0: not
    listed, or listed only as padding). ``RangeError`` when the server cannot say."""
    prefix, suffix = split_digest(password)
    return parse_range(fetch_range(prefix, options)).get(suffix, 0)
