"""Errors of designs. Bad input names the offending ``field`` (an extra problem member)."""

from api.errors import InvalidRequest, NotFound


class DesignInvalid(InvalidRequest):
    """The draft breaks a design rule; ``field`` names it (``colors.background``,
    ``fields.back[1].value``, ``images.logo.png``)."""

    code, title = "design_invalid", "The card design is not valid"


class DesignImageInvalid(InvalidRequest):
    """An uploaded image is not a usable PNG of a known slot; ``field`` names the slot."""

    code, title = "design_image_invalid", "The image cannot be used"


class DesignVersionNotFound(NotFound):
    """A roll back to a version the program never published (or another merchant's)."""

    code, title = "design_version_not_found", "The program has no such design version"
