"""Errors of webhook endpoints."""

from api.errors import InvalidRequest, NotFound


class WebhookNotFound(NotFound):
    """No webhook endpoint (or event) with this id for this merchant."""

    code, title = "webhook_not_found", "Webhook endpoint not found"


class WebhookUrlRefused(InvalidRequest):
    """The URL is not https (in production), does not resolve, or resolves to a private,
    loopback, link-local or otherwise non-public address (unless the operator allows it)."""

    code, title = "webhook_url_refused", "This webhook URL is not allowed"
