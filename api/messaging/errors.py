"""Errors about messages, unsubscribe links and the providers' webhooks."""

from api.errors import Forbidden, NotFound


class UnsubscribeLinkInvalid(NotFound):
    code, title = "unsubscribe_link_invalid", "This unsubscribe link is not valid"


class WebhookNotConfigured(NotFound):
    """A provider's webhook whose provider is not configured, or whose secret URL is wrong."""

    code, title = "webhook_not_configured", "No such webhook"


class WebhookSignatureInvalid(Forbidden):
    """A webhook request without the provider's valid signature (Twilio: X-Twilio-Signature)."""

    code, title = "webhook_signature_invalid", "The webhook request is not signed by the provider"
