"""Properties of every parser of untrusted input: access tokens, refresh tokens, JSON bodies,
headers, cookies, addresses and query strings. Each says what must hold for *any* input.

Bounded (a few hundred examples each, derandomized, no example database) so the module
runs in seconds and a failure reproduces; raise ``max_examples`` locally to dig deeper.
"""

from __future__ import annotations

import base64
import bz2
import dataclasses
import hashlib
import hmac
import io
import ipaddress
import json
import re
import time
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from config.wsgi import application
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client, RequestFactory
from django.utils import timezone
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from spa_auth.conf import AuthSettings, get_settings
from spa_auth.errors import RefreshInvalidError, TokenInvalidError
from spa_auth.internal.sessions import store
from spa_auth.internal.throttling import network
from spa_auth.internal.tokens import codec, keys

from tests.conftest import PASSWORD, bearer, login

pytestmark = pytest.mark.django_db


def bounded(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,  # nothing written under backend/
        derandomize=True,  # the same inputs every run: a failure is reproducible
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.fixture
def roomy(settings: Any) -> None:
    """Throttles and failure padding out of the way: every example reaches the parsers."""
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "LOGIN_FAILURES_PER_ACCOUNT": 10**9,
        "LOGIN_FAILURES_PER_IP": 10**9,
        "REFRESH_FAILURES_PER_IP": 10**9,
        "LOGIN_FAILURE_FLOOR": 0,
        "ACCOUNT_REQUESTS_PER_IP": 10**9,
        "MAILS_PER_ADDRESS": 10**9,
    }


# --- values -------------------------------------------------------------------------------

# Any text, NUL and every other control character included; lone surrogates can only
# arrive as JSON escapes (raw bytes must be UTF-8), so they get their own strategy.
TEXT = st.text(max_size=24)
SURROGATES = st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats()
    | TEXT
    | SURROGATES
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
# What a WSGI server can hand over as a header value (PEP 3333: latin-1-decoded text).
# CR and LF are left out: they end a header line, so no server passes one inside a value
# (and Django's test client would send them as they are, which no real request can).
HEADER_CHARACTERS = st.characters(max_codepoint=0xFF, exclude_characters="\r\n")
# Hypothesis favours ASCII; the upper half of latin-1 (what a UTF-8 byte becomes) gets its own.
HEADER_TEXT = st.text(HEADER_CHARACTERS, max_size=80) | st.text(
    st.characters(min_codepoint=0x7F, max_codepoint=0xFF), min_size=1, max_size=8
)
LONG_HEADER_TEXT = st.text(HEADER_CHARACTERS, min_size=500, max_size=700)


B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def is_problem(response: Any) -> bool:
    """A 4xx whose body is JSON ``{detail, code}``, both strings."""
    if not 400 <= response.status_code < 500:
        return False
    body = json.loads(response.content)
    return isinstance(body.get("detail"), str) and isinstance(body.get("code"), str)


def assert_handled(response: Any, *, ok: tuple[int, ...] = (200, 204)) -> None:
    assert response.status_code < 500, response.content[:300]
    assert response.status_code in ok or is_problem(response), (
        response.status_code,
        response.content[:300],
    )


# --- 1, 2: the access-token codec ---------------------------------------------------------

ALGORITHMS = st.sampled_from(["HS384", "HS512", "none", "RS256", "ES256", "hs256", "HS256 "])
# Each member's other values: any JSON type, and near misses of the right one.
WRONG_HEADER = {
    "alg": ALGORITHMS | JSON,
    "typ": st.sampled_from(["JWT", "AT+JWT", "at+jwt\x00", "application/at+jwt"]) | JSON,
    "kid": JSON,
    "crit": JSON,
    "jku": JSON,
    "b64": JSON,
}
WRONG_CLAIMS = {
    "iss": st.sampled_from(["spa-auth ", "SPA-AUTH", ""]) | JSON,
    "aud": st.sampled_from([["spa-auth-api"], "spa-auth"]) | JSON,
    "sub": JSON,
    "sid": st.uuids().map(lambda u: u.hex.upper()) | st.sampled_from(["", "0" * 31]) | JSON,
    "jti": JSON,
    "iat": st.integers() | JSON,
    "exp": st.integers() | JSON,
    "nbf": st.integers() | JSON,
}
# JSON texts that json.dumps never writes: duplicates, huge numbers, deep nesting, junk.
RAW_JSON = st.sampled_from(
    [
        '{"alg":"HS256","typ":"at+jwt","alg":"none"}',
        '{"alg":"HS256","typ":"at+jwt"}{}',
        '{"alg":"HS256","typ":"at+jwt","exp":' + "9" * 5000 + "}",
        "[" * 3000 + "]" * 3000,
        '{"a":' * 2000 + "1" + "}" * 2000,
        '{"alg":"HS256","typ":"\\ud800"}',
        '{"alg":"HS256","typ":"at+jwt","kid":"\\udfff"}',
        "NaN",
        "",
        "\x00",
    ]
).map(str.encode)


OBJECT_MODES = [*["right", "one wrong"] * 3, "one left out", "many", "raw", "any"]


@st.composite
def json_objects(draw: Any, right: dict[str, Any], wrong: dict[str, Any]) -> bytes:
    """The right members with one of them wrong (any JSON type) or left out, or with many
    wrong, or not an object at all: near misses reach every check behind the first."""
    mode = draw(st.sampled_from(OBJECT_MODES))
    value: Any = dict(right)
    if mode == "one wrong":
        name = draw(st.sampled_from(sorted(wrong)))
        value[name] = draw(wrong[name])
    elif mode == "one left out":
        del value[draw(st.sampled_from(sorted(right)))]
    elif mode == "many":
        for name in sorted(wrong):
            choice = draw(st.sampled_from(["keep", "wrong", "leave out"]))
            if choice == "wrong":
                value[name] = draw(wrong[name])
            elif choice == "leave out":
                value.pop(name, None)
        value.update(draw(st.dictionaries(TEXT, JSON, max_size=2)))
    elif mode == "raw":
        return draw(RAW_JSON | st.binary(min_size=1, max_size=40))
    elif mode == "any":
        value = draw(JSON)
    return json.dumps(value).encode()


@st.composite
def compact_tokens(draw: Any) -> str:
    """``header.payload.signature``, mostly signed with the real key; or any text."""
    if draw(st.sampled_from(["token", "token", "token", "text"])) == "text":
        return draw(st.text() | st.text(B64_ALPHABET + ".=+/ ", max_size=200))
    conf, now = get_settings(), int(time.time())
    header = draw(json_objects({"alg": "HS256", "typ": "at+jwt"}, WRONG_HEADER))
    claims = {"iss": conf.issuer, "aud": conf.audience, "sub": "1", "sid": str(uuid.uuid4())}
    claims.update(jti=uuid.uuid4().hex, iat=now, exp=now + 300)
    payload = draw(json_objects(claims, WRONG_CLAIMS))
    signing_input = f"{b64(header)}.{b64(payload)}"
    mode = draw(st.sampled_from(["signed", "signed", "signed", "unsigned", "tampered"]))
    if mode == "signed":
        signature = keys.access_keys(conf)[0].sign(signing_input.encode())
    elif mode == "tampered":  # signed with other claims: only the signature tells
        signed = {**claims, "sub": "2", "exp": now + 3600}
        signed_input = f"{b64(header)}.{b64(json.dumps(signed).encode())}"
        signature = keys.access_keys(conf)[0].sign(signed_input.encode())
    else:
        signature = draw(st.binary(min_size=1, max_size=80))
    return f"{signing_input}.{b64(signature)}"


def is_signed_by_the_server(token: str) -> bool:
    """The HMAC of the token's exact signing input under the server's key, by hand."""
    signing_input, _, signature = token.rpartition(".")
    key = keys.access_keys(get_settings())[0].signing
    return b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest()) == signature


@bounded(600)
@given(token=compact_tokens())
def test_the_access_token_codec_returns_claims_or_raises_token_invalid_for_any_input(token):
    conf = get_settings()
    try:
        claims = codec.decode_access_token(
            token, keys=keys.access_keys(conf), now=timezone.now(), conf=conf
        )
    except TokenInvalidError as error:
        event(f"refused: {str(error)[:24]}")  # --hypothesis-show-statistics: how far inputs got
        return
    event("accepted")
    assert is_signed_by_the_server(token)
    assert (claims["iss"], claims["aud"]) == (conf.issuer, conf.audience)
    assert all(isinstance(claims[name], str) and claims[name] for name in ("sub", "sid", "jti"))
    assert type(claims["iat"]) is int and type(claims["exp"]) is int
    uuid.UUID(claims["sid"])


def verdict(token: str, now: Any, conf: AuthSettings, verifying: list[codec.Key]) -> Any:
    try:
        return codec.decode_access_token(token, keys=verifying, now=now, conf=conf)
    except TokenInvalidError as error:  # TokenExpiredError among them
        return type(error)


ANOTHER_KEY = codec.Key(algorithm="HS256", signing=b"k" * 32, verifying=b"k" * 32)


@bounded(300)
@given(
    token=compact_tokens(),
    seconds=st.integers(-400, 400),
    change=st.sampled_from(["nothing", "keys", "issuer", "audience"]),
)
def test_a_remembered_verification_answers_as_a_fresh_one(token, seconds, change):
    """Verified tokens are remembered per process; whatever the token, however much later
    it comes back, and whatever key set, issuer and audience it is then checked against,
    the answer is the one a first verification would give."""
    conf, now = get_settings(), timezone.now()
    verdict(token, now, conf, keys.access_keys(conf))  # remembered, if it verifies
    later, verifying = now + timedelta(seconds=seconds), keys.access_keys(conf)
    if change == "keys":
        verifying = [ANOTHER_KEY]
    elif change != "nothing":
        conf = dataclasses.replace(conf, **{change: "someone-else"})
    remembered = verdict(token, later, conf, verifying)
    codec._verified_payload.cache_clear()
    assert remembered == verdict(token, later, conf, verifying)


def respell(token: str, draw: Any) -> str:
    """One edit: a character replaced, inserted or deleted, padding added, another base64
    alphabet, or the same bytes spelled with non-zero padding bits."""
    segments = token.split(".")
    kind = draw(st.sampled_from(["replace", "insert", "delete", "pad", "alphabet", "bits"]))
    if kind in {"replace", "insert", "delete"}:
        i = draw(st.integers(0, len(token) - 1))
        char = draw(st.sampled_from(B64_ALPHABET + ".=+/ \n") | st.characters())
        tail = token[i + 1 :] if kind != "insert" else token[i:]
        return token[:i] + ("" if kind == "delete" else char) + tail
    n = draw(st.integers(0, 2))
    if kind == "pad":
        segments[n] += "=" * draw(st.integers(1, 3))
    elif kind == "alphabet":
        segments[n] = segments[n].translate(str.maketrans("-_", "+/"))
    else:  # the last character carries 2 or 4 unused bits when the length is not 0 mod 4
        spare = {2: 4, 3: 2}.get(len(segments[n]) % 4, 0)
        assume(spare)
        last = B64_ALPHABET.index(segments[n][-1])
        flipped = last ^ draw(st.integers(1, 2**spare - 1))
        segments[n] = segments[n][:-1] + B64_ALPHABET[flipped]
    return ".".join(segments)


@bounded(400)
@given(session_id=st.uuids(), user_id=st.integers(1, 10**12).map(str), data=st.data())
def test_no_other_spelling_of_a_valid_access_token_verifies(session_id, user_id, data):
    conf, now = get_settings(), timezone.now()
    verifying = keys.access_keys(conf)
    token, _ = codec.encode_access_token(
        user_id=user_id, session_id=str(session_id), now=now, key=verifying[0], conf=conf
    )
    assert codec.decode_access_token(token, keys=verifying, now=now, conf=conf)["sub"] == user_id
    other = respell(token, data.draw)
    assume(other != token)
    with pytest.raises(TokenInvalidError):
        codec.decode_access_token(other, keys=verifying, now=now, conf=conf)


# --- 3: the refresh-token parser ----------------------------------------------------------

GENERATIONS = st.integers(0, 10**12 - 1)
# Digits Python's int() reads as well: Arabic-Indic, Devanagari, fullwidth, bold maths.
OTHER_DIGITS = [
    "".join(chr(zero + i) for i in range(10)) for zero in (0x660, 0x966, 0xFF10, 0x1D7CE)
]
REFRESH_VARIANTS = [
    *("leading zeros", "plus sign", "minus sign", "underscore", "other digits", "upper-case id"),
    *("dashed id", "braced id", "MAC case", "MAC padding", "MAC alphabet", "whitespace"),
    *("trailing newline", "spaced dots", "one edit"),
]


def refresh_variant(kind: str, session_id: uuid.UUID, generation: int, draw: Any) -> str:
    """Another spelling of ``make_refresh_token(session_id, generation)``, or a near miss."""
    sid, gen = session_id.hex, str(generation)
    mac = keys.make_refresh_token(session_id, generation).rsplit(".", 1)[1]
    if kind == "leading zeros":
        gen = "0" * draw(st.integers(1, 3)) + gen
    elif kind in {"plus sign", "minus sign"}:
        gen = {"plus sign": "+", "minus sign": "-"}[kind] + gen
    elif kind == "underscore":
        gen = f"{gen[0]}_{gen[1:] or '0'}"
    elif kind == "other digits":  # every digit, or one (int() reads "1\u0661" as 11)
        digits = str.maketrans("0123456789", draw(st.sampled_from(OTHER_DIGITS)))
        i = draw(st.sampled_from([None, *range(len(gen))]))
        gen = (
            gen.translate(digits)
            if i is None
            else gen[:i] + gen[i].translate(digits) + gen[i + 1 :]
        )
    elif kind == "upper-case id":
        sid = sid.upper()
    elif kind == "dashed id":
        sid = str(session_id)
    elif kind == "braced id":
        sid = f"{{{sid}}}"
    elif kind == "MAC case":
        mac = mac.swapcase()
    elif kind == "MAC padding":
        mac += "="
    elif kind == "MAC alphabet":
        mac = mac.translate(str.maketrans("-_", "+/"))
    token = f"{sid}.{gen}.{mac}"
    if kind == "whitespace":
        space = draw(st.sampled_from([" ", "\t", "\r\n", "\x00", "\x0b", "\u00a0", "\u2028"]))
        token = draw(st.sampled_from([space + token, token + space, space + token + space]))
    elif kind == "trailing newline":
        token += "\n"
    elif kind == "spaced dots":
        token = token.replace(".", " . ")
    elif kind == "one edit":
        i = draw(st.integers(0, len(token)))
        char = draw(st.sampled_from(B64_ALPHABET + ". ") | st.characters())
        token = token[:i] + char + token[i + draw(st.integers(0, 1)) :]
    return token


@bounded(400)
@given(
    text=st.text() | st.from_regex(r"[0-9a-fA-F]{32}\.[0-9+_-]{1,14}\.[\w-]{43}", fullmatch=True)
)
def test_the_refresh_token_parser_returns_a_pair_or_raises_refresh_invalid_for_any_text(text):
    try:
        session_id, generation = keys.parse_refresh_token(text)
    except RefreshInvalidError:
        return
    assert keys.make_refresh_token(session_id, generation) == text


@bounded(400)
@given(
    session_id=st.uuids(),
    generation=GENERATIONS,
    variant=st.sampled_from(REFRESH_VARIANTS),
    data=st.data(),
)
def test_a_refresh_token_is_accepted_in_its_exact_spelling_only(
    session_id, generation, variant, data
):
    token = keys.make_refresh_token(session_id, generation)
    assert keys.parse_refresh_token(token) == (session_id, generation)
    other = refresh_variant(variant, session_id, generation, data.draw)
    assume(other != token)
    with pytest.raises(RefreshInvalidError):
        keys.parse_refresh_token(other)


# --- 4: JSON bodies over HTTP -------------------------------------------------------------

BODY_PATHS = [
    *("obtain_token", "refresh_token", "verify_token", "logout"),
    *("register", "email/verify", "email/verify/resend", "password/reset"),
    *("password/reset/confirm", "email/change/confirm"),
]
CHARSETS = [
    *("utf-8", "UTF8", "utf8", "UTF-8", "utf_8", "U8", "utf-8-sig", '"utf-8"', ""),
    *("utf-16", "utf-16-le", "utf-32", "latin-1", "iso-8859-1", "ascii", "cp1252", "cp037"),
    *("bz2", "bz2_codec", "zlib", "zip", "base64", "base_64", "rot13", "rot_13", "hex"),
    *("uu", "quopri", "idna", "punycode", "unicode_escape", "mbcs", "nonsense", "utf-8\t"),
]
MEDIA_TYPES = [
    *("application/json", "APPLICATION/JSON", "application/json ", "application/vnd.api+json"),
    *("text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "", "*/*"),
]


# No NUL here: Django's WSGIRequest hands the charset to codecs.lookup(), which raises
# ValueError on a NUL before any middleware runs. gunicorn refuses every control character
# but TAB in a header value (RFC 9110 §5.5), so such a request never reaches Django.
CONTENT_TYPE_TEXT = HEADER_TEXT.map(lambda text: text.replace("\x00", ""))


@st.composite
def content_types(draw: Any) -> str:
    params = draw(
        st.lists(
            st.tuples(st.just("charset"), st.sampled_from(CHARSETS))
            | st.tuples(st.sampled_from(["boundary", "q", "x"]), CONTENT_TYPE_TEXT),
            max_size=3,
        )
    )
    return draw(st.sampled_from(MEDIA_TYPES)) + "".join(f"; {k}={v}" for k, v in params)


# Bodies json.dumps never writes: small ones that inflate behind the size check under a
# bytes-to-bytes "charset", nesting deeper than the recursion limit, a BOM, duplicates.
RAW_BODIES = st.sampled_from(
    [
        bz2.compress(b" " * 10**6 + b"{}"),
        zlib.compress(b" " * 10**6 + b"{}"),
        base64.b64encode(b'{"username": "alice"}'),
        b"[" * 50_000,
        b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        b"\xef\xbb\xbf{}",
        b'{"username": "alice", "username": "bob", "password": ""}',
        b'{"token": "a", "token": ["b"]}',
        b"1e999999",
        b"-" + b"9" * 5000,
        b'"\\ud800"',
        b"NaN",
        b"",
    ]
)


@st.composite
def bodies(draw: Any, good: dict[str, Any]) -> bytes:
    """A JSON value in some encoding, a body of the right shape, junk, or a body near the
    size limit (whitespace is valid JSON padding, so it costs nothing to generate)."""
    limit = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    shaped = st.fixed_dictionaries(
        {}, optional={name: st.sampled_from(values) | JSON for name, values in good.items()}
    )
    value = draw(shaped | JSON)
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    kind = draw(st.sampled_from(["utf-8", "other", "raw", "junk", "padded", "huge"]))
    if kind == "other":
        return text.encode(draw(st.sampled_from(["utf-16", "utf-32", "latin-1"])), "replace")
    if kind == "raw":
        return draw(RAW_BODIES)
    if kind == "junk":
        return draw(st.binary(max_size=200))
    raw = text.encode("utf-8", "surrogatepass")
    if kind == "padded":
        room = max(0, limit - len(raw))
        return b" " * draw(st.integers(0, room)) + raw
    if kind == "huge":
        return b" " * (limit + draw(st.integers(-2, 2)) - len(raw)) + raw
    return raw


@pytest.fixture
def genuine(client, user, roomy) -> dict[str, str]:
    """A real access token, refresh token and CSRF token of the user ``alice``."""
    response = login(client)
    return {
        "user_id": user.pk,
        "token": response.json()["token"],
        "refresh": response.cookies["refresh_token"].value,
        "csrf": response.cookies["csrftoken"].value,
    }


@pytest.mark.parametrize("path", BODY_PATHS)
@bounded(60)
@given(data=st.data())
def test_no_body_of_any_bytes_charset_or_json_type_gets_a_server_error(path, genuine, data):
    good = {
        "username": ["alice", "\x00", "a" * 300],
        "password": [PASSWORD, ""],
        "refresh": [genuine["refresh"], genuine["refresh"] + "0"],
        "token": [genuine["token"], genuine["token"][:-1]],
        "email": ["alice@example.com", "new@example.com", "not-an-address"],
        "key": ["k" * 43, ""],
        "new_password": [PASSWORD, "x"],
    }
    body = data.draw(bodies(good), label="body")
    content_type = data.draw(content_types(), label="content_type")
    headers = {}
    if data.draw(st.booleans(), label="with the refresh cookie"):  # reaches the CSRF check
        headers["HTTP_COOKIE"] = f"refresh_token={genuine['refresh']}; csrftoken={genuine['csrf']}"
        headers["HTTP_X_CSRFTOKEN"] = data.draw(st.sampled_from([genuine["csrf"], "x"]))
    response = Client().generic(
        "POST", f"/api/v1/auth/{path}/", body, content_type=content_type, **headers
    )
    assert_handled(response, ok=(200, 201, 202, 204))


QUERY_STRINGS = st.one_of(
    st.just(""),
    HEADER_TEXT,  # as a WSGI server hands it over: latin-1 text, percent signs and all
    st.lists(st.sampled_from(["a=%ff", "%fe%ff=1", "b=%00", "c=%e9", "=", "&", "d=%"])).map(
        "&".join
    ),
)


@contextmanager
def connections_kept() -> Iterator[None]:
    """What Django's test client does: a request's end must not close the test's database
    connection (and its transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def call_wsgi(path: str, query: str, body: bytes, content_type: str) -> tuple[int, bytes]:
    """One POST through ``config.wsgi.application``: the charset guard, then Django."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    status: list[str] = []
    with connections_kept():
        result = application(environ, lambda line, headers, exc_info=None: status.append(line))
        try:
            content = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
    return int(status[0].split()[0]), content


@bounded(150)
@given(
    path=st.sampled_from(BODY_PATHS),
    query=QUERY_STRINGS,
    body=st.binary(max_size=100) | JSON.map(lambda value: json.dumps(value).encode()),
    content_type=content_types(),
)
def test_no_charset_or_query_string_gets_a_server_error_from_the_deployed_application(
    roomy, path, query, body, content_type
):
    status, content = call_wsgi(f"/api/v1/auth/{path}/", query, body, content_type)
    assert status < 500, (status, content[:300])
    if status >= 400:
        problem = json.loads(content)
        assert isinstance(problem.get("detail"), str) and isinstance(problem.get("code"), str)


# --- 5: headers, cookies and addresses ----------------------------------------------------

PROXY_SETTINGS = {
    "no proxy": {},
    "one proxy hop": {"TRUSTED_PROXY_COUNT": 1},
    "a proxy network": {"TRUSTED_PROXIES": ("127.0.0.1/32",)},
}
# Addresses as proxies and clients write them, right and wrong: ports, brackets, zone ids,
# IPv4-mapped IPv6, leading zeros, whitespace.
ADDRESSES = st.one_of(
    st.ip_addresses().map(str),
    st.ip_addresses(v=4).map(lambda a: f"{a}:{a.packed[0]}"),
    st.ip_addresses(v=6).map(lambda a: f"[{a}]:443"),
    st.ip_addresses(v=6).map(lambda a: f"[{a}]"),
    st.ip_addresses(v=6).map(lambda a: f"{a}%{a.packed[0]}"),
    st.ip_addresses(v=6).flatmap(lambda a: HEADER_TEXT.map(lambda zone: f"{a}%{zone}")),
    st.ip_addresses(v=4).map(lambda a: f"::ffff:{a}"),
    st.ip_addresses(v=4).map(lambda a: ".".join(f"0{octet}" for octet in str(a).split("."))),
    st.sampled_from(["", " ", "unknown", "127.0.0.1 ", "[::1]", "1.2.3.4:99999", "::1%"]),
    HEADER_TEXT,
)
FORWARDED_FOR = ADDRESSES | st.lists(ADDRESSES, max_size=4).map(", ".join)


def assert_canonical_address(text: str | None) -> None:
    """None, or one address in its one spelling: canonical, IPv4 clients as IPv4, and no
    zone id (a zone, RFC 4007 §11, names an interface of the host that wrote it, means
    nothing here, and is any text at all)."""
    if text is None:
        return
    address = ipaddress.ip_address(text)
    assert str(address) == text
    assert getattr(address, "ipv4_mapped", None) is None
    assert "%" not in text and len(text) <= 39  # GenericIPAddressField, PostgreSQL inet


@bounded(500)
@given(text=ADDRESSES | st.text())
def test_a_parsed_address_is_none_or_canonical(text):
    address = network.parse_address(text)
    assert_canonical_address(None if address is None else str(address))


@bounded(300)
@given(
    forwarded=FORWARDED_FOR,
    # The socket's peer: a proxy, a public client, a Unix socket (none), a link-local zone.
    remote=st.sampled_from(["127.0.0.1", "10.0.0.1", "::1", "::ffff:127.0.0.1", "203.0.113.9"])
    | st.sampled_from(["", "fe80::1%eth0", "not an address"]),
    conf=st.sampled_from(
        [
            AuthSettings(),
            AuthSettings(trusted_proxy_count=1),
            AuthSettings(trusted_proxy_count=2),
            AuthSettings(trusted_proxies=("127.0.0.1/32",)),
            AuthSettings(trusted_proxies=("0.0.0.0/0", "::/0")),
        ]
    ),
)
def test_the_client_address_is_none_or_canonical_whatever_x_forwarded_for_says(
    forwarded, remote, conf
):
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    assert_canonical_address(network.client_ip(request, conf))


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """``one_of`` with weights (``one_of`` itself picks each branch about as often)."""
    return st.sampled_from([s for weight, s in choices for _ in range(weight)]).flatmap(
        lambda strategy: strategy
    )


@st.composite
def header_sets(draw: Any, genuine: dict[str, str]) -> dict[str, str]:
    """Any combination of the headers and cookies that carry input, each right or wrong;
    right values often enough that the requests get past the checks of the others."""
    access = genuine["token"]
    odd = st.sampled_from("\x00\t .=+/\x80\xe9\xff") | HEADER_CHARACTERS
    near_token = st.tuples(st.integers(0, len(access)), odd).map(
        lambda edit: access[: edit[0]] + edit[1] + access[edit[0] :]
    )
    token = weighted(
        (1, st.sampled_from([access, access[:-1], "x" * 9000])), (2, near_token), (2, HEADER_TEXT)
    )
    scheme = weighted(
        (3, st.sampled_from(["Bearer", "JWT", "bearer", "jwt"])),
        (1, st.sampled_from(["Basic", "Token", ""]) | HEADER_TEXT),
    )
    separator = weighted((4, st.just(" ")), (1, st.sampled_from(["  ", "\t", "", " \x00 "])))
    authorization = st.tuples(scheme, separator, token).map("".join)
    cookie = st.sampled_from([genuine["refresh"], genuine["csrf"], '"quoted"', ""]) | HEADER_TEXT
    cookies = st.fixed_dictionaries(
        {}, optional={"refresh_token": cookie, "csrftoken": cookie, "sessionid": cookie}
    ).map(lambda jar: "; ".join(f"{name}={value}" for name, value in jar.items()))
    origins = st.sampled_from(["null", "https://evil.example", "http://testserver:80"])
    sites = st.sampled_from(["same-site", "cross-site", "none"])
    candidates = {
        "HTTP_AUTHORIZATION": weighted((4, authorization), (1, HEADER_TEXT)),
        "HTTP_X_FORWARDED_FOR": FORWARDED_FOR,
        "HTTP_USER_AGENT": weighted((3, HEADER_TEXT), (1, LONG_HEADER_TEXT)),
        "HTTP_ORIGIN": weighted((3, st.just("http://testserver")), (1, origins | HEADER_TEXT)),
        "HTTP_SEC_FETCH_SITE": weighted((3, st.just("same-origin")), (1, sites | HEADER_TEXT)),
        "HTTP_X_CSRFTOKEN": weighted((3, st.just(genuine["csrf"])), (1, HEADER_TEXT)),
        "HTTP_COOKIE": weighted((3, cookies), (1, HEADER_TEXT)),
    }
    # Each header present three times in four: most examples carry most of them at once.
    present = st.sampled_from([True, True, True, False])
    return {name: draw(value) for name, value in candidates.items() if draw(present)}


HEADER_REQUESTS = {
    "GET user": ("get", "/api/v1/user/", None),
    "POST refresh_token": ("post", "/api/v1/auth/refresh_token/", None),
    "POST obtain_token": (
        "post",
        "/api/v1/auth/obtain_token/",
        {"username": "alice", "password": PASSWORD},
    ),
}


@pytest.mark.parametrize("proxies", sorted(PROXY_SETTINGS))
@pytest.mark.parametrize("request_name", sorted(HEADER_REQUESTS))
@bounded(40)
@given(data=st.data())
def test_no_header_or_cookie_value_gets_a_server_error(
    request_name, proxies, genuine, settings, data
):
    settings.SPA_AUTH = {**settings.SPA_AUTH, **PROXY_SETTINGS[proxies]}
    method, path, body = HEADER_REQUESTS[request_name]
    headers = data.draw(header_sets(genuine), label="headers")
    client = Client()
    if method == "get":
        response = client.get(path, **headers)
    else:
        response = client.post(path, body, content_type="application/json", **headers)
    assert_handled(response)
    if request_name == "POST obtain_token" and response.status_code == 200:
        session = store.live_sessions(genuine["user_id"], now=timezone.now()).latest("created_at")
        assert_canonical_address(session.ip)
        assert not re.search(r"[\x00-\x1f\x7f]", session.user_agent)


# --- 6: pagination ------------------------------------------------------------------------

NUMBERS = st.one_of(
    st.integers().map(str),
    st.sampled_from(["", "0", "-0", "1", "100", "101", "2147483648", str(2**63), "9" * 5000]),
    st.sampled_from(["1e3", "99999999999999999999", "-99999999999999999999"]),
    st.sampled_from([" 5", "5 ", "+5", "5_0", "0x10", "5\x00", "NaN", "-1"]),
    st.sampled_from(["\u0661\u0660\u0660", "\uff19"]),  # Arabic-Indic 100, fullwidth 9
    st.text(max_size=12),
)


def expected_count(query: dict[str, str], total: int) -> int:
    """DRF's limit/offset, capped at 100 and 2**31 - 1: a bad limit is the page size (20),
    a bad offset is 0."""

    def as_int(text: str | None, minimum: int) -> int | None:
        try:
            number = int(text)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        return number if number >= minimum else None

    limit = min(as_int(query.get("limit"), 1) or 20, 100)
    offset = min(as_int(query.get("offset"), 0) or 0, 2**31 - 1)
    return max(0, min(limit, total - offset))


@pytest.fixture
def many_sessions(genuine, user) -> int:
    conf, now = get_settings(), timezone.now()
    for _ in range(104):
        store.create_session(user, now=now, conf=conf, user_agent="", ip=None)
    return 105


@bounded(150)
@given(
    query=st.fixed_dictionaries({}, optional={"limit": NUMBERS, "offset": NUMBERS}),
    raw=st.none() | HEADER_TEXT,
)
def test_any_limit_and_offset_give_at_most_100_sessions_and_never_a_server_error(
    genuine, many_sessions, query, raw
):
    extra = {} if raw is None else {"QUERY_STRING": raw}  # percent signs, ampersands, junk
    response = Client().get("/api/v1/auth/sessions/", query, **bearer(genuine["token"]), **extra)
    assert response.status_code == 200, response.content[:300]
    results = response.json()["results"]
    assert len(results) <= 100
    if raw is None:
        assert len(results) == expected_count(query, many_sessions)


@bounded(120)
@given(address=st.emails() | st.text(max_size=80))
def test_a_reset_request_answers_alike_for_any_address(client, user, roomy, address):
    """Known, unknown, malformed aside (a 400 that depends on the text alone): the same
    status, body and headers as for the known address."""
    known = client.post("/api/v1/auth/password/reset/", {"email": user.email}, "application/json")
    other = client.post("/api/v1/auth/password/reset/", {"email": address}, "application/json")
    assert_handled(other, ok=(202,))
    if other.status_code == 400:
        return
    assert (other.status_code, other.json()) == (known.status_code, known.json())
    assert sorted(other.headers.items()) == sorted(known.headers.items())
