"""Errors of cards and their images."""

from api.errors import NotFound


class CardNotFound(NotFound):
    code, title = "card_not_found", "Card not found"


class ImageNotFound(NotFound):
    code, title = "image_not_found", "No such image"
