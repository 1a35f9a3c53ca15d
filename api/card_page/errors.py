"""Errors of the card page's web app."""

from __future__ import annotations

from api.errors import NotFound


class IconNotFound(NotFound):
    """A web app icon URL whose digest the card's design does not have (the design changed
    since the manifest was read)."""

    code, title = "card_icon_not_found", "This card has no icon of this digest"
