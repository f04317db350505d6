"""Who is asking: the client address every rate limit, lockout and log line keys on.

The address is ``REMOTE_ADDR`` — the peer of the TCP connection, which a client cannot forge.
Only when that peer is one of ``settings.TRUSTED_PROXIES`` (env ``GEOPORTAL_TRUSTED_PROXIES``:
IPs or CIDRs, comma separated) is ``X-Forwarded-For`` read, and then from the right: the
rightmost address that is not itself a trusted proxy is the client (every proxy appends the
address it saw; whatever a client wrote on the left is ignored). Without trusted proxies a
forged ``X-Forwarded-For`` changes nothing, so a storm of invented addresses hits one bucket.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """``["10.0.0.1", "172.16.0.0/12"]`` → networks; a malformed entry is a clear start-up error."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"GEOPORTAL_TRUSTED_PROXIES: {value!r} is not an IP address or network (CIDR)") from exc
    return tuple(networks)


@lru_cache(maxsize=8)
def _trusted(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(values)


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip_from_meta(meta: Mapping[str, Any]) -> str:
    """The client address of a request's META (or a WSGI environ)."""
    remote = str(meta.get("REMOTE_ADDR") or "unknown")
    networks = _trusted(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    if not networks or not _is_trusted(remote, networks):
        return remote
    forwarded = [part.strip() for part in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",") if part.strip()]
    for address in reversed(forwarded):
        if not _is_trusted(address, networks):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return remote  # garbage where a proxy should have written an address
    return remote


def client_ip(request: Any) -> str:
    """The client address of a Django or DRF request (also ``AXES_CLIENT_IP_CALLABLE``)."""
    return client_ip_from_meta(request.META)


def client_ip_or_none(request: Any) -> str | None:
    """``client_ip`` for django-axes, which stores a valid address or nothing (a request built
    in code, such as the test client's login, has no ``REMOTE_ADDR``)."""
    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
