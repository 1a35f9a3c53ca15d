"""Where the service may connect on someone else's say-so (SSRF): a host whose every address is
public. Webhook endpoints and Web Push endpoints are URLs a merchant or a browser gave us; the
host is resolved, each address checked, and the caller connects to the address checked (DNS
can change between a check and a connection). The resolver is a parameter, so tests can say
what a name resolves to."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence

# (host, port) -> the host's addresses, as text; raises OSError when it does not resolve.
Resolver = Callable[[str, int], Sequence[str]]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Unresolvable(Exception):
    """The host has no address (or the name is malformed)."""


class NotPublic(Exception):
    """The host is, or resolves to, an address that is not public."""


def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answer (getaddrinfo), scope ids dropped."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]).split("%")[0] for info in infos]


def literal_address(host: str) -> IPAddress | None:
    """The address a URL's host spells out (``10.0.0.1``, ``[::1]``), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_public(address: IPAddress) -> bool:
    """Globally routable and unicast (an IPv4-mapped IPv6 address is judged as its IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def public_address(host: str, port: int, resolve: Resolver = system_resolver) -> str:
    """The address to connect to for ``host``: itself if it is an address, else the first
    the host resolves to, once every one of them is public.

    Raises:
        Unresolvable: the host does not resolve.
        NotPublic: the host, or any of its addresses, is private, loopback, link-local,
            multicast, reserved or unspecified.
    """
    literal = literal_address(host)
    if literal is not None:
        if not is_public(literal):
            raise NotPublic(host)
        return str(literal)
    try:
        found = [ipaddress.ip_address(text) for text in resolve(host, port)]
    except (OSError, UnicodeError, ValueError) as exc:
        raise Unresolvable(host) from exc
    if not found:
        raise Unresolvable(host)
    if not all(is_public(address) for address in found):
        raise NotPublic(host)
    return str(found[0])
