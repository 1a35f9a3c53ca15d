"""Where a webhook may go (SSRF): https in production, and a host whose every address is
public, checked when the endpoint is saved and again before each delivery, which then connects
to the address checked (DNS can change between a check and a connection)."""

from __future__ import annotations

from urllib.parse import urlsplit

from api.outbound.addresses import NotPublic, Unresolvable, public_address
from api.webhooks.errors import WebhookUrlRefused


def check_url(url: str, *, require_https: bool, allow_private: bool) -> str | None:
    """Refuse a URL the service must not call; the vetted address to connect to (None when
    private addresses are allowed: the host is then resolved as usual).

    Raises:
        WebhookUrlRefused: not http(s), http where https is required, no host, a host that
            does not resolve, or any of its addresses private, loopback, link-local,
            multicast, reserved or unspecified (unless ``allow_private``).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise WebhookUrlRefused("the URL must be an absolute http(s) URL", field="url")
    if require_https and parts.scheme != "https":
        raise WebhookUrlRefused("webhook URLs must use https", field="url")
    if parts.username or parts.password:
        raise WebhookUrlRefused("the URL must not carry credentials", field="url")
    if allow_private:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return public_address(parts.hostname, port)
    except (Unresolvable, ValueError) as exc:
        raise WebhookUrlRefused("the URL's host does not resolve", field="url") from exc
    except NotPublic:
        raise WebhookUrlRefused(
            "the URL's host resolves to a private or local address", field="url"
        ) from None
