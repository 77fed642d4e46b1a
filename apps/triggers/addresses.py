"""The client's address, as far as it can be trusted.

Behind a reverse proxy REMOTE_ADDR is the proxy. The proxy appends the address it saw to
X-Forwarded-For, so the header is read right to left: each entry was written by the hop to
its right, and is believable only while that hop is one of ``TRUSTED_PROXIES``. The first
entry that is not a trusted proxy is the client. Anything to the left of it was written by
the client and may be invented, so it is never read; nor is the header at all when the
peer itself is not trusted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import lru_cache

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=4096)  # peers repeat (the proxy, the CRM's few senders); parsing is most of the cost
def parse_address(value: str | None) -> Address | None:
    """An address as proxies write it: ``198.51.100.7``, ``2001:db8::1``, ``[2001:db8::1]:443``,
    ``198.51.100.7:443``, ``fe80::1%eth0``. IPv4-mapped IPv6 is read as IPv4. None when it is
    not an address (``unknown``, an obfuscated ``_hidden`` node, garbage)."""
    text = (value or "").strip()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # IPv4 with a port; IPv6 has at least two colons
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    # Validated at startup (config/settings.py); a bad value set later in code fails here, loudly.
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def _trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def client_address(meta: Mapping[str, str]) -> str | None:
    """The client's address from a WSGI environ (``request.META``), or None when there is
    no usable one (a unix socket)."""
    peer = parse_address(meta.get("REMOTE_ADDR"))
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if peer is None or not networks or not _trusted(peer, networks):
        return None if peer is None else str(peer)
    client = peer
    # Several X-Forwarded-For headers arrive joined by commas, in order.
    for entry in reversed((meta.get("HTTP_X_FORWARDED_FOR") or "").split(",")):
        hop = parse_address(entry)
        if hop is None:
            # A trusted proxy reported something that is not an address: the nearest hop
            # we can vouch for is the one that reported it.
            break
        client = hop
        if not _trusted(hop, networks):
            break
    return str(client)
