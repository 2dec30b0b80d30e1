"""The client's address, trusting ``X-Forwarded-For`` only as far as configured proxies.

By default the socket's address is the client: a header the client writes itself must
never pick the key a rate limit counts under.
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest

from .conf import AuthSettings


def _is_trusted(address: str, conf: AuthSettings) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in conf.trusted_proxies)


def client_ip(request: HttpRequest, conf: AuthSettings) -> str | None:
    """The nearest address that no trusted proxy vouches for."""
    remote = request.META.get("REMOTE_ADDR") or None
    if not (conf.trusted_proxy_count or conf.trusted_proxies):
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    chain = [*forwarded, remote] if remote else forwarded
    if conf.trusted_proxy_count:
        # The last N hops are our proxies; the one before them is the client.
        index = len(chain) - 1 - conf.trusted_proxy_count
        return chain[index] if index >= 0 else chain[0] if chain else None
    for address in reversed(chain):
        if not _is_trusted(address, conf):
            return address
    return chain[0] if chain else None


def user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:512]
