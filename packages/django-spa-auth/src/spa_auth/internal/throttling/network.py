"""The client's address, trusting ``X-Forwarded-For`` only as far as configured proxies.

By default the socket's address is the client: a header the client writes itself must
never pick the key a rate limit counts under. Every address is parsed and written in
its canonical form (ports and brackets stripped, IPv4-mapped IPv6 unwrapped), so one
client has one spelling in the throttles, the session list and the audit log.
"""

from __future__ import annotations

import functools
import ipaddress
import re

from django.http import HttpRequest

from ...conf import AuthSettings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# "[2001:db8::1]:443" and "203.0.113.9:51234" as proxies write them (RFC 7239 §6 style).
_BRACKETED = re.compile(r"^\[([0-9A-Fa-f:.]+)\](?::[0-9]{1,5})?$")
_IPV4_WITH_PORT = re.compile(r"^([0-9.]+):[0-9]{1,5}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# The proxy on the other end of a Unix socket, which has no address: the last hop.
_UNIX_SOCKET_PEER = ipaddress.IPv4Address("127.0.0.1")


def parse_address(text: str) -> IPAddress | None:
    """An address from a header or the socket, or None when it is not one."""
    # Every request parses its peer's address, and most peers come back: answers for
    # texts as long as an address are kept per process (bounded, least recent out).
    return _parse_address(text) if len(text) <= _CACHED_LENGTH else _parse(text)


_CACHED_LENGTH = 64


def _parse(text: str) -> IPAddress | None:
    text = text.strip()
    for pattern in (_BRACKETED, _IPV4_WITH_PORT):
        match = pattern.fullmatch(text)
        if match:
            text = match.group(1)
            break
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None:
        # "fe80::1%eth0": a zone id (RFC 4007 §11) names an interface of the host that wrote
        # it, means nothing here, and is any text at all (NUL included): drop it.
        address = ipaddress.IPv6Address(address.packed)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


_parse_address = functools.lru_cache(maxsize=1024)(_parse)


def _is_trusted(address: IPAddress, conf: AuthSettings) -> bool:
    return any(address in ipaddress.ip_network(net, strict=False) for net in conf.trusted_proxies)


def _client_address(request: HttpRequest, conf: AuthSettings) -> IPAddress | None:
    socket_text = request.META.get("REMOTE_ADDR") or ""
    remote = parse_address(socket_text)
    if not (conf.trusted_proxy_count or conf.trusted_proxies):
        return remote
    if remote is None and socket_text:
        return None  # a peer address that is not one: believe nothing it forwards
    if not _may_forward(remote, conf):
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chain = [parse_address(part) for part in forwarded if part.strip()]
    chain.append(remote if remote is not None else _UNIX_SOCKET_PEER)
    if conf.trusted_proxy_count:
        # The last N hops are our proxies; the one before them is the client. A chain too
        # short, or an entry that is not an address, means the proxy did not write it.
        index = len(chain) - 1 - conf.trusted_proxy_count
        return chain[index] if index >= 0 and chain[index] is not None else remote
    for address in reversed(chain):
        if address is None:
            return remote
        if not _is_trusted(address, conf):
            return address
    return remote


def _may_forward(peer: IPAddress | None, conf: AuthSettings) -> bool:
    """Whether the socket peer may speak for a client at all.

    With proxy networks configured, only a peer inside them. With a hop count, only a peer
    on a private or loopback network, where proxies live: a client that reaches the app
    port directly from the internet cannot pick its address with the header. No peer
    address at all is a Unix socket, which only a local proxy can use.
    """
    if peer is None:
        return True
    if conf.trusted_proxies:
        return _is_trusted(peer, conf)
    return peer.is_private or peer.is_loopback


def client_ip(request: HttpRequest, conf: AuthSettings) -> str | None:
    """The nearest address that no trusted proxy vouches for, canonical, or None."""
    address = _client_address(request, conf)
    return str(address) if address is not None else None


@functools.lru_cache(maxsize=1024)  # of canonical addresses (``client_ip``): short texts
def throttle_key(ip: str | None) -> str | None:
    """The key an address is rate-limited under: IPv6 clients by their /64, the smallest
    block one subscriber is given (RFC 6177), so rotating within it resets nothing."""
    address = parse_address(ip) if ip else None
    if address is None:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def user_agent(request: HttpRequest) -> str:
    """The user agent as stored: control characters (NUL among them, which PostgreSQL
    text refuses) removed, and at most 512 characters."""
    return _CONTROL.sub("", request.META.get("HTTP_USER_AGENT", ""))[:512]
