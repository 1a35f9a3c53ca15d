"""Errors of the people-facing pages' forms (console, scanner, join page)."""

from api.errors import InvalidRequest


class TooManyFormFields(InvalidRequest):
    """A form body with more fields than any of our forms has (they have at most a dozen)."""

    code, title = "too_many_form_fields", "The form has too many fields"
