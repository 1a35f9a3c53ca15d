"""Errors about messages and unsubscribe links."""

from api.errors import NotFound


class UnsubscribeLinkInvalid(NotFound):
    code, title = "unsubscribe_link_invalid", "This unsubscribe link is not valid"
