"""Text contrast of a card's colours (WCAG 2.x, "contrast ratio" and "relative luminance").

Apple Wallet draws the design's foreground and label colours on its background exactly as
given, so a pale label on a pale card is unreadable in the sun. Below 4.5:1 (WCAG's AA level
for normal text) the editor is warned; the design still saves, because brand colours are the
merchant's call. Google's loyalty class takes a background colour only (``hexBackgroundColor``,
no text colours), so the pairs checked are the Apple card's.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from passes.design import Colour

if TYPE_CHECKING:
    from passes.design import CardDesign

#: WCAG 2.x level AA for normal-size text.
MIN_TEXT_CONTRAST = 4.5
_HEX_RE = re.compile(r"^#([0-9a-fA-F]{6})$")


@dataclass(frozen=True, slots=True)
class ContrastWarning:
    """A colour pair below :data:`MIN_TEXT_CONTRAST`: ``field`` is the text colour's key."""

    field: str
    ratio: float  # rounded down to 2 decimals, so a failing pair never shows as 4.5
    detail: str
    code: str = "low_contrast"


def parse_colour(text: object) -> Colour | None:
    """``#rrggbb`` as a colour; None for anything else."""
    match = _HEX_RE.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    number = int(match.group(1), 16)
    return Colour(number >> 16, (number >> 8) & 0xFF, number & 0xFF)


def relative_luminance(colour: Colour) -> float:
    """WCAG 2.x relative luminance of an sRGB colour, 0 (black) to 1 (white)."""

    def linear(channel: int) -> float:
        c = channel / 255
        # WCAG 2.x writes 0.03928; the sRGB standard's 0.04045 gives the same result for
        # every 8-bit value.
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * linear(colour.red) + 0.7152 * linear(colour.green) + 0.0722 * linear(colour.blue)
    )


def contrast_ratio(first: Colour, second: Colour) -> float:
    """WCAG 2.x contrast ratio, 1 (same luminance) to 21 (black on white); symmetric."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def contrast_warnings(
    background: Colour, foreground: Colour, label: Colour
) -> list[ContrastWarning]:
    """A warning for each text colour (``colors.foreground``, ``colors.label``) whose
    contrast with ``background`` is below :data:`MIN_TEXT_CONTRAST`."""
    warnings: list[ContrastWarning] = []
    for field, colour, what in (
        ("colors.foreground", foreground, "values"),
        ("colors.label", label, "labels"),
    ):
        ratio = contrast_ratio(colour, background)
        if ratio < MIN_TEXT_CONTRAST:
            shown = math.floor(ratio * 100) / 100
            warnings.append(
                ContrastWarning(
                    field=field,
                    ratio=shown,
                    detail=(
                        f"{what} in {colour.hex} on the background {background.hex} have a "
                        f"contrast of {shown}:1; at least {MIN_TEXT_CONTRAST}:1 keeps them "
                        "readable (WCAG 2.x, level AA)"
                    ),
                )
            )
    return warnings


def design_contrast_warnings(design: CardDesign) -> list[ContrastWarning]:
    """:func:`contrast_warnings` of a design's colours."""
    return contrast_warnings(design.background, design.foreground, design.label_colour)
