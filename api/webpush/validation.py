"""Checks of a subscription from a browser: an https endpoint that is not on a private,
loopback or link-local address (a literal address, a local name, or a name that resolves to
one: api.outbound.addresses; the settings' allow-list lets tests reach a local fake), and keys
of the lengths RFC 8291 fixes. The sender checks the endpoint's addresses again before each
push and connects to the address it checked."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

from api.outbound.addresses import (
    NotPublic,
    Resolver,
    Unresolvable,
    literal_address,
    public_address,
    system_resolver,
)
from api.webpush.errors import (
    EndpointNotHttps,
    EndpointPrivate,
    EndpointUnresolvable,
    InvalidAuth,
    InvalidP256dh,
)

_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


def b64url_decode(text: str) -> bytes:
    """Base64url with or without padding.

    Raises:
        ValueError: not base64url.
    """
    if not text or any(c in text for c in "+/ \n"):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


def check_endpoint(
    endpoint: str, allow_hosts: Collection[str], resolve: Resolver = system_resolver
) -> None:
    """Raises:
    EndpointNotHttps: not an https URL with a host.
    EndpointPrivate: a private/loopback/link-local address or a local name, or a name that
        resolves to one.
    EndpointUnresolvable: a name with no address.
    """
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        port = parts.port or 443
    except ValueError:
        raise EndpointNotHttps() from None
    if parts.scheme != "https" or not host:
        raise EndpointNotHttps()
    if host in allow_hosts:
        return
    is_name = literal_address(host) is None
    if is_name and (host == "localhost" or host.endswith(_LOCAL_SUFFIXES) or "." not in host):
        raise EndpointPrivate()
    try:
        public_address(host, port, resolve)
    except NotPublic:
        raise EndpointPrivate() from None
    except Unresolvable:
        raise EndpointUnresolvable() from None


def check_keys(p256dh: str, auth: str) -> None:
    """Raises:
    InvalidP256dh: not a 65-byte uncompressed point on P-256.
    InvalidAuth: not 16 bytes of base64url.
    """
    try:
        point = b64url_decode(p256dh)
        if len(point) != 65 or point[0] != 4:
            raise ValueError("not an uncompressed point")
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise InvalidP256dh() from None
    try:
        secret = b64url_decode(auth)
    except ValueError:
        raise InvalidAuth() from None
    if len(secret) != 16:
        raise InvalidAuth()
