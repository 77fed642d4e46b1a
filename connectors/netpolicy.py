"""Which network addresses connectors may reach (SSRF protection).

URLs and hosts in a connection's settings are typed by users, so a connector must not become a
way to reach the server's own loopback, the cloud metadata service or the office LAN. Every
connection resolves its host, checks *every* address, and connects only to an address it
checked. Private ranges are refused unless the operator's allowlist names them; the allowlist is
process configuration (``FARSIDE_CONNECTORS_ALLOW_NETWORKS`` or :func:`set_default_policy`),
never a connection setting, so a user cannot widen it.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from .base import ConnectorError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class NetworkPolicy:
    allow: tuple[IPNetwork, ...] = ()

    @classmethod
    def allowing(cls, networks: Iterable[str]) -> NetworkPolicy:
        return cls(tuple(ipaddress.ip_network(n.strip(), strict=False) for n in networks if n.strip()))

    def permits(self, address: IPAddress) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.allow):
            return True
        # is_global is False for private, loopback, link-local (169.254/16 — cloud metadata),
        # shared (100.64/10), reserved and unspecified addresses.
        return address.is_global and not address.is_multicast

    def resolve(self, host: str, port: int) -> list[tuple[int, IPAddress]]:
        """Return ``(family, address)`` for every address of ``host``, refusing if any is forbidden.

        Refusing when *any* address is private (not only the first) stops a DNS name that mixes
        a public and a private answer from reaching the private one on a later connect.
        """
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise ConnectorError(f"cannot resolve host {host!r}: {exc.strerror}", retryable=True) from exc
        resolved: list[tuple[int, IPAddress]] = []
        for family, _, _, _, sockaddr in infos:
            address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
            if not self.permits(address):
                refusal = ConnectorError(
                    f"refusing to connect to {host!r}: it resolves to the non-public address "
                    f"{address}, which is not on the allowlist",
                    retryable=False,
                )
                refusal.never_sent = True  # type: ignore[attr-defined]
                raise refusal
            if (family, address) not in resolved:
                resolved.append((family, address))
        return resolved


_default = NetworkPolicy.allowing(os.environ.get("FARSIDE_CONNECTORS_ALLOW_NETWORKS", "").split(","))


def default_policy() -> NetworkPolicy:
    return _default


def set_default_policy(policy: NetworkPolicy) -> NetworkPolicy:
    """Replace the process-wide policy (the app does this at start-up); returns the old one."""
    global _default
    previous, _default = _default, policy
    return previous


def connect(host: str, port: int, timeout: float | None, policy: NetworkPolicy | None = None) -> socket.socket:
    """Open a TCP connection to ``host`` through an address the policy checked."""
    policy = policy or default_policy()
    last_error: OSError | None = None
    for family, address in policy.resolve(host, port):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect((str(address), port))
            return sock
        except OSError as exc:
            sock.close()
            last_error = exc
    assert last_error is not None
    raise last_error
