"""Errors of staff sign-in and the scanner's actions."""

from api.errors import InvalidRequest, NotFound, Unauthorized


class SignInFailed(Unauthorized):
    code, title = "sign_in_failed", "Wrong staff code or PIN"


class SignInLocked(Unauthorized):
    code, title = "sign_in_locked", "Too many wrong PINs; try again later"


class CardNumberNotFound(NotFound):
    """A typed or scanned number that no card of the staff member's merchant has. Its own
    code: ``card_not_found`` is the cards domain's (a card token, "Card not found")."""

    code, title = "card_number_not_found", "No card of this merchant has that number"


class InvalidAmount(InvalidRequest):
    code, title = "invalid_amount", "The amount must be above zero"


class StaffNotFound(NotFound):
    """The staff id is unknown or another merchant's."""

    code, title = "staff_not_found", "Staff member not found"
