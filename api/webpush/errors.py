"""Errors of Web Push subscriptions: each names the field that is wrong."""

from __future__ import annotations

from api.errors import InvalidRequest, NotFound


class EndpointNotHttps(InvalidRequest):
    code, title = "webpush_endpoint_not_https", "endpoint must be an https URL"


class EndpointPrivate(InvalidRequest):
    code, title = (
        "webpush_endpoint_private",
        "endpoint must not be a private, loopback or link-local address",
    )


class EndpointUnresolvable(InvalidRequest):
    code, title = "webpush_endpoint_unresolvable", "endpoint's host name does not resolve"


class InvalidP256dh(InvalidRequest):
    code, title = (
        "webpush_invalid_p256dh",
        "keys.p256dh must be base64url of a 65-byte uncompressed P-256 point",
    )


class InvalidAuth(InvalidRequest):
    code, title = "webpush_invalid_auth", "keys.auth must be base64url of 16 bytes"


class SubscriptionNotFound(NotFound):
    code, title = "webpush_subscription_not_found", "No such push subscription for this card"
