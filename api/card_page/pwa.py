"""The card as an installable web app: its Web App Manifest and its icons, built from the
program's design (names, colours, images).

Android asks for a 192 and a 512 pixel icon, and a maskable 512 whose picture stays inside
the safe zone (the circle of 80 % of the width a launcher's mask always keeps). Icons are
content-addressed: their URL carries a digest of what they are drawn from, so they are served
with a year-long cache and a new design gets new URLs.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from PIL import Image

from passes import CardDesign, encode_png

Purpose = Literal["any", "maskable"]

ICONS: tuple[tuple[int, Purpose], ...] = ((192, "any"), (512, "any"), (512, "maskable"))
# The picture's share of the icon's side: a little margin for "any"; for "maskable" the
# square inscribed in the safe-zone circle (diameter 80 %: 0.8 / sqrt 2 = 0.566).
_CONTENT = {"any": 0.84, "maskable": 0.56}
# The design's images an icon may be drawn from, the squarest and largest first.
_SOURCES = (
    "google_logo.png", "icon@3x.png", "icon@2x.png", "icon.png", "logo@3x.png", "logo@2x.png",
    "logo.png",
)  # fmt: skip
ICON_MEDIA_TYPE = "image/png"
MANIFEST_MEDIA_TYPE = "application/manifest+json"


@dataclass(frozen=True, slots=True)
class IconSpec:
    """One icon of a card's web app: its size, purpose, and the digest its URL carries."""

    size: int
    purpose: Purpose
    digest: str

    @property
    def file_name(self) -> str:
        return f"{self.digest}.png"


def icon_specs(design: CardDesign) -> tuple[IconSpec, ...]:
    """The icons of ``design``'s web app, each addressed by what it is drawn from."""
    source = _source_of(design)
    colour = design.background.hex
    return tuple(
        IconSpec(size, purpose, _digest(source, colour, size, purpose)) for size, purpose in ICONS
    )


def render_icon(design: CardDesign, spec: IconSpec) -> bytes:
    """The PNG of ``spec``: the design's image centred on its background colour."""
    return _render(_source_of(design), design.background.hex, spec.size, spec.purpose)


def find_icon(design: CardDesign, digest: str) -> IconSpec | None:
    """The icon of ``design`` whose digest is ``digest``; None if it has none."""
    return next((spec for spec in icon_specs(design) if spec.digest == digest), None)


def build_manifest(design: CardDesign, *, card_path: str, lang: str) -> dict[str, Any]:
    """The Web App Manifest of the card at ``card_path`` (its own scope, so a phone can hold
    the cards of several merchants as separate apps)."""
    colour = design.background.hex
    return {
        "id": card_path,
        "name": design.program_name,
        "short_name": design.logo_text or design.organization_name,
        "description": design.description,
        "lang": lang,
        "start_url": card_path,
        "scope": card_path,
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": colour,
        "background_color": colour,
        "icons": [
            {
                "src": f"{card_path}/icons/{spec.file_name}",
                "sizes": f"{spec.size}x{spec.size}",
                "type": ICON_MEDIA_TYPE,
                "purpose": spec.purpose,
            }
            for spec in icon_specs(design)
        ],
    }


def _source_of(design: CardDesign) -> bytes:
    return next((design.images[name] for name in _SOURCES if name in design.images), b"")


def _digest(source: bytes, colour: str, size: int, purpose: Purpose) -> str:
    hashed = hashlib.sha256(source)
    hashed.update(f"|{colour}|{size}|{purpose}".encode())
    return hashed.hexdigest()[:24]


@lru_cache(maxsize=64)  # pure: the same inputs give the same bytes
def _render(source: bytes, colour: str, size: int, purpose: Purpose) -> bytes:
    canvas = Image.new("RGBA", (size, size), colour)
    if source:
        with Image.open(io.BytesIO(source)) as opened:
            picture = opened.convert("RGBA")
        box = round(size * _CONTENT[purpose])
        scale = box / max(picture.width, picture.height)
        fitted = picture.resize(
            (max(1, round(picture.width * scale)), max(1, round(picture.height * scale))),
            Image.Resampling.LANCZOS,
        )
        offset = ((size - fitted.width) // 2, (size - fitted.height) // 2)
        canvas.alpha_composite(fitted, offset)
    return encode_png(canvas.convert("RGB")).data
