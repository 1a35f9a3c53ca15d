"""Errors of the people-facing pages' forms (console, scanner, join page)."""

from api.errors import Forbidden, InvalidRequest


class TooManyFormFields(InvalidRequest):
    """A form body with more fields than any of our forms has (they have at most a dozen)."""

    code, title = "too_many_form_fields", "The form has too many fields"


class CrossSiteForm(Forbidden):
    """A form was posted from a page of another site: its ``Origin`` (or, without one, its
    ``Referer``) is not the service's public origin. Open the page on the service and post
    the form from there."""

    code, title = "cross_site_form", "The form was posted from another site"
