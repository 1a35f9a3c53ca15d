"""Stamp cards that show their stamps: the strip (Apple) and hero (Google) images of N of M.

The picture is the design's own strip (or Google hero) under a veil of its background colour,
with M marks laid out in one or more centred rows: N filled, M - N empty. A filled mark is a
disc in the mark colour with a tick in the background colour; an empty one is a ring. With the
merchant's own ``stamp.png`` in the design, every mark is that icon on a plate of the
background colour: full for a stamp, a faded grey ghost for a stamp still to earn. Filled and
empty differ in shape or saturation, not only in colour.

The mark colour is the design's foreground colour when it stands out from the background by at
least 3:1 (WCAG 2.x, non-text contrast), else black or white, whichever stands out more.

Pure and deterministic: the same design, count and total always give the same bytes (Pillow
with fixed parameters; PNG without timestamps). :class:`StampImages` keeps what it drew in a
small LRU keyed by the design's art version, so each picture is drawn once per process.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageOps

from passes.design import CardDesign, Colour

MAX_STAMPS = 50  # programs allow 1..50 stamps; the layout is tuned for up to 20
STRIP_POINTS = (375, 123)  # Apple's store-card strip, in points
STRIP_SCALES = {"strip.png": 1, "strip@2x.png": 2, "strip@3x.png": 3}
HERO_SIZE = (1032, 336)  # Google's hero image, in pixels
STAMP_IMAGE = "stamp.png"  # the merchant's own stamp icon, optional in a design
_RENDERER = b"stamps-1"  # bump when the drawing changes, so cached art and URLs change too
_ART_IMAGES = (*STRIP_SCALES, "google_hero.png", STAMP_IMAGE)
_PAD = 10.0  # points of margin around the marks
_GAP = 0.3  # the gap between marks, as a share of their diameter
_MAX_DIAMETER = 76.0  # points: a card of one or two stamps keeps modest marks
_VEIL = 0.6  # how much background colour covers the design's art under the marks
_SUPERSAMPLE = 4  # marks are drawn this much larger and scaled down, for smooth edges
_PALETTE_COLOURS = 64
_KNOWN_DESIGNS = 256  # design objects whose art version StampImages remembers


@dataclass(frozen=True, slots=True)
class Mark:
    """Where one mark goes, in the units of the canvas: its centre and diameter."""

    x: float
    y: float
    diameter: float


def layout(required: int, width: float, height: float) -> tuple[Mark, ...]:
    """``required`` marks in centred rows over ``width`` x ``height``: the row count that gives
    the largest marks (10 stamps are two rows of five, 20 three rows of 7, 7 and 6), the extra
    marks of an uneven split in the upper rows, filled in reading order.

    Raises:
        ValueError: ``required`` is outside 1..MAX_STAMPS.
    """
    if not 1 <= required <= MAX_STAMPS:
        raise ValueError(f"a stamp card has 1 to {MAX_STAMPS} stamps, not {required}")
    scale = width / STRIP_POINTS[0]
    pad, cap = _PAD * scale, _MAX_DIAMETER * scale
    best: tuple[float, int] = (0.0, 1)
    for rows in range(1, 6):
        columns = math.ceil(required / rows)
        fit_x = (width - 2 * pad) / (columns + (columns - 1) * _GAP)
        fit_y = (height - 2 * pad) / (rows + (rows - 1) * _GAP)
        diameter = min(fit_x, fit_y, cap)
        if diameter > best[0] + 1e-9:
            best = (diameter, rows)
    diameter, rows = best
    step = diameter * (1 + _GAP)
    top = (height - (rows * diameter + (rows - 1) * diameter * _GAP)) / 2 + diameter / 2
    marks: list[Mark] = []
    for row in range(rows):
        count = required // rows + (1 if row < required % rows else 0)
        left = (width - (count * diameter + (count - 1) * diameter * _GAP)) / 2 + diameter / 2
        marks.extend(Mark(left + i * step, top + row * step, diameter) for i in range(count))
    return tuple(marks)


def contrast_ratio(first: Colour, second: Colour) -> float:
    """WCAG 2.x contrast ratio of two colours, from 1 to 21."""
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def mark_colour(design: CardDesign) -> Colour:
    """The design's foreground when it stands out 3:1 from the background, else black/white."""
    if contrast_ratio(design.foreground, design.background) >= 3.0:
        return design.foreground
    black, white = Colour(0, 0, 0), Colour(255, 255, 255)
    on_black = contrast_ratio(black, design.background)
    return black if on_black >= contrast_ratio(white, design.background) else white


def art_version(design: CardDesign) -> str:
    """A short digest of everything the stamp pictures are drawn from: a new version of a
    design (colours, strip, hero, stamp icon) gets new pictures and new URLs."""
    digest = hashlib.sha256(_RENDERER)
    for colour in (design.background, design.foreground):
        digest.update(colour.hex.encode())
    for name in _ART_IMAGES:
        data = design.images.get(name, b"")
        digest.update(f"{name}:{len(data)}:".encode())
        digest.update(data)
    return digest.hexdigest()[:16]


def stamp_image_name(stamps: int, required: int) -> str:
    """The file name of the picture for a card: ``3-of-10.png`` (extra stamps show a full card)."""
    return f"{shown(stamps, required)}-of-{required}.png"


def shown(stamps: int, required: int) -> int:
    return max(0, min(stamps, required))


def render_strips(design: CardDesign, stamps: int, required: int) -> dict[str, bytes]:
    """The strip at 1x, 2x and 3x (``strip.png``, ``strip@2x.png``, ``strip@3x.png``)."""
    return {
        name: _render(design, stamps, required, _strip_backdrop(design, scale))
        for name, scale in STRIP_SCALES.items()
    }


def render_hero(design: CardDesign, stamps: int, required: int) -> bytes:
    """Google's hero image (1032 x 336 px)."""
    source = design.images.get("google_hero.png") or _largest_strip(design)
    backdrop = _backdrop(design, source, HERO_SIZE)
    return _render(design, stamps, required, backdrop)


def encode_picture(image: Image.Image) -> bytes:
    """A palette PNG of an opaque stamp picture: 64 colours, fast octree, no dithering.

    Not the image pipeline's ``passes.encode_png``: measured on every starter
    (bench/passes_size.py), its search for the fewest colours above SSIM 0.99 takes 2.5-8 s
    per (design, count), this 0.1-0.35 s, for pictures at most 15 % smaller (some larger);
    these stay above SSIM 0.99 against the unquantised picture and every starter's stamp pass
    within 60,000 bytes. The one place that chooses the stamp pictures' encoder."""
    palette = image.convert("RGB").quantize(
        colors=_PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()


_Art = Mapping[str, bytes] | bytes
_Key = tuple[str, str, int, int]


class StampImages:
    """The stamp pictures of every design, drawn once per (art version, kind, N, M) and kept
    in a thread-safe LRU. ``renders`` counts the pictures actually drawn."""

    def __init__(self, capacity: int = 256) -> None:
        self._capacity = capacity
        self._items: OrderedDict[_Key, _Art] = OrderedDict()
        self._versions: OrderedDict[int, tuple[CardDesign, str]] = OrderedDict()
        self._lock = threading.Lock()
        self.renders = 0

    def version(self, design: CardDesign) -> str:
        """:func:`art_version`, worked out once per design object."""
        with self._lock:
            known = self._versions.get(id(design))
        if known is not None and known[0] is design:
            return known[1]
        version = art_version(design)
        with self._lock:
            self._versions[id(design)] = (design, version)  # holds the design: ids stay unique
            while len(self._versions) > _KNOWN_DESIGNS:
                self._versions.popitem(last=False)
        return version

    def strips(self, design: CardDesign, stamps: int, required: int) -> Mapping[str, bytes]:
        """:func:`render_strips`, from the cache when drawn before."""
        art = self._art(design, "strip", stamps, required)
        assert not isinstance(art, bytes)
        return art

    def hero(self, design: CardDesign, stamps: int, required: int) -> bytes:
        """:func:`render_hero`, from the cache when drawn before."""
        art = self._art(design, "hero", stamps, required)
        assert isinstance(art, bytes)
        return art

    def _art(self, design: CardDesign, kind: str, stamps: int, required: int) -> _Art:
        count = shown(stamps, required)
        key = (self.version(design), kind, count, required)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        # Drawn outside the lock: two threads may draw the same picture once each, no harm.
        art: _Art = (render_hero if kind == "hero" else render_strips)(design, count, required)
        with self._lock:
            self.renders += 1
            self._items[key] = art
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return art


# drawing -------------------------------------------------------------------------------------


def _render(design: CardDesign, stamps: int, required: int, backdrop: Image.Image) -> bytes:
    canvas = backdrop.convert("RGBA")
    filled_count = shown(stamps, required)
    icon = _open(design.images[STAMP_IMAGE]) if STAMP_IMAGE in design.images else None
    sprites: dict[tuple[int, bool], Image.Image] = {}
    for index, mark in enumerate(layout(required, canvas.width, canvas.height)):
        size = max(4, round(mark.diameter))
        filled = index < filled_count
        sprite = sprites.get((size, filled))
        if sprite is None:
            sprite = sprites[(size, filled)] = _mark(design, size, filled=filled, icon=icon)
        corner = (round(mark.x - size / 2), round(mark.y - size / 2))
        canvas.alpha_composite(sprite, corner)
    return encode_picture(canvas)


def _mark(design: CardDesign, size: int, *, filled: bool, icon: Image.Image | None) -> Image.Image:
    big = size * _SUPERSAMPLE
    sprite = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(sprite)
    ink = _rgb(mark_colour(design))
    plate = _rgb(design.background)
    ring = max(2, round(big * 0.08))
    box = (0, 0, big - 1, big - 1)
    if icon is not None:
        draw.ellipse(box, fill=plate, outline=ink, width=ring * (2 if filled else 1))
        inner = round(big * 0.62)
        art = ImageOps.contain(icon, (inner, inner), Image.Resampling.LANCZOS)
        if not filled:
            grey = ImageOps.grayscale(art).convert("RGBA")
            grey.putalpha(art.getchannel("A").point(lambda a: a * 35 // 100))
            art = grey
        sprite.alpha_composite(art, ((big - art.width) // 2, (big - art.height) // 2))
    elif filled:
        draw.ellipse(box, fill=ink)
        tick = [(0.29, 0.52), (0.44, 0.67), (0.72, 0.36)]
        draw.line(
            [(x * big, y * big) for x, y in tick], fill=plate, width=round(big * 0.1), joint="curve"
        )
    else:
        draw.ellipse(box, fill=plate, outline=ink, width=ring)
    return sprite.resize((size, size), Image.Resampling.LANCZOS)


def _strip_backdrop(design: CardDesign, scale: int) -> Image.Image:
    size = (STRIP_POINTS[0] * scale, STRIP_POINTS[1] * scale)
    name = "strip.png" if scale == 1 else f"strip@{scale}x.png"
    return _backdrop(design, design.images.get(name) or _largest_strip(design), size)


def _largest_strip(design: CardDesign) -> bytes | None:
    for name in reversed(STRIP_SCALES):
        if name in design.images:
            return design.images[name]
    return None


def _backdrop(design: CardDesign, source: bytes | None, size: tuple[int, int]) -> Image.Image:
    """The design's art filling ``size`` (cropped to cover), under a background-colour veil;
    just the background colour when the design has no art."""
    return _veiled(source, size, _rgb(design.background)).copy()


@functools.lru_cache(maxsize=16)  # about 1 MB each at 3x
def _veiled(source: bytes | None, size: tuple[int, int], colour: tuple[int, int, int]) -> (
    Image.Image
):  # fmt: skip
    # Cached: every stamp count of a design starts from the same backdrop (bytes hash once).
    background = Image.new("RGB", size, colour)
    if source is None:
        return background
    art = ImageOps.fit(_open(source), size, Image.Resampling.LANCZOS)
    flat = Image.new("RGBA", size, (*colour, 255))
    flat.alpha_composite(art)
    return Image.blend(flat.convert("RGB"), background, _VEIL)


def _open(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGBA")


def _rgb(colour: Colour) -> tuple[int, int, int]:
    return (colour.red, colour.green, colour.blue)


def _luminance(colour: Colour) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.red)
        + 0.7152 * channel(colour.green)
        + 0.0722 * channel(colour.blue)
    )
