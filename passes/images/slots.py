"""Apple's and Google's image slots, and cutting an upload to one of them.

Apple (Wallet Developer Guide, "Pass Design and Creation"), in points, as PNG at @1x, @2x and
@3x: ``icon`` exactly 29 x 29, ``logo`` inside 160 x 50 (narrower in most cases), ``strip``
exactly 375 x 123 (store cards). Google (brand guidelines), in pixels: ``google_logo``
660 x 660 (shown masked to a circle), ``google_hero`` 1032 x 336.

"Cover" slots are cropped to their exact shape around a focal point, then resized; the
``logo`` is "contained": its transparent margins trimmed, then scaled to fit the box whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from PIL import Image

from passes.images.encode import DEFAULT_QUALITY_FLOOR, EncodedPng, encode_png
from passes.images.errors import ImageError, ImageRefusal
from passes.images.source import DEFAULT_IMAGE_LIMITS, ImageLimits, SourceImage, open_image

# A cover crop may change the shape by at most this factor (a 9:16 phone photo still gives a
# strip; a 10:1 banner gives no square icon); a contained logo must keep both sides this long.
MAX_ASPECT_CHANGE = 6.0
MIN_CONTAINED_POINTS = 10.0
_REDUCING_GAP = 3.0


@dataclass(frozen=True, slots=True)
class ImageSlot:
    """Where an image goes: its box, its scales and the least source it is made from."""

    name: str
    width: int  # points for Apple (x scale = pixels), pixels for Google
    height: int
    scales: tuple[int, ...]
    cover: bool  # True: cropped to exactly width x height; False: fitted inside it
    # The part a cover slot keeps must have at least this many source pixels; a contained
    # slot needs its fitted 1x size (a logo is never upscaled at 1x).
    min_source: tuple[int, int]

    def file_name(self, scale: int) -> str:
        """``icon.png``, ``icon@2x.png``, ``google_logo.png``: the names designs use."""
        return f"{self.name}.png" if scale == 1 else f"{self.name}@{scale}x.png"


def _apple(name: str, width: int, height: int, *, cover: bool) -> ImageSlot:
    return ImageSlot(name, width, height, (1, 2, 3), cover, (width, height))


def _google(name: str, width: int, height: int) -> ImageSlot:
    # Google asks for these sizes; a third of them (Apple's @1x for the same art) is the least
    # we upscale from.
    return ImageSlot(name, width, height, (1,), True, (width // 3, height // 3))


IMAGE_SLOTS: Mapping[str, ImageSlot] = MappingProxyType(
    {
        "icon": _apple("icon", 29, 29, cover=True),
        "logo": _apple("logo", 160, 50, cover=False),
        "strip": _apple("strip", 375, 123, cover=True),
        "google_logo": _google("google_logo", 660, 660),
        "google_hero": _google("google_hero", 1032, 336),
    }
)


@dataclass(frozen=True, slots=True)
class Focus:
    """The point a crop keeps in view, as fractions of the width and height from the top left.

    Raises:
        ValueError: a fraction is outside 0..1.
    """

    x: float = 0.5
    y: float = 0.5

    def __post_init__(self) -> None:
        if not (0.0 <= self.x <= 1.0 and 0.0 <= self.y <= 1.0):
            raise ValueError(f"the focal point must be fractions in 0..1, not ({self.x}, {self.y})")


CENTRE = Focus()
Box = tuple[float, float, float, float]


def crop_box(size: tuple[int, int], aspect: float, focus: Focus) -> Box:
    """The largest box of ``aspect`` (width / height) inside ``size``, centred on ``focus``
    as nearly as the edges allow."""
    width, height = size
    if width / height > aspect:
        crop_w, crop_h = height * aspect, float(height)
    else:
        crop_w, crop_h = float(width), width / aspect
    left = min(max(focus.x * width - crop_w / 2, 0.0), width - crop_w)
    top = min(max(focus.y * height - crop_h / 2, 0.0), height - crop_h)
    return (left, top, left + crop_w, top + crop_h)


def render_slot(
    source: SourceImage,
    slot: str,
    *,
    field: str,
    focus: Focus = CENTRE,
    quality_floor: float = DEFAULT_QUALITY_FLOOR,
) -> dict[str, EncodedPng]:
    """Cut ``source`` to ``slot`` (a key of :data:`IMAGE_SLOTS`) at each of its scales.

    Returns the PNGs by file name (``strip.png``, ``strip@2x.png``, ``strip@3x.png``; one for
    a Google slot), each encoded by :func:`encode_png` with ``quality_floor``.

    Raises:
        KeyError: ``slot`` is not a known slot.
        ImageError: ``field`` names the upload; ``reason`` is ASPECT (a cover crop would change
            the shape by more than MAX_ASPECT_CHANGE, or a contained logo would be thinner than
            MIN_CONTAINED_POINTS) or TOO_SMALL (the part kept is smaller than the slot's
            ``min_source``).
    """
    spec = IMAGE_SLOTS[slot]
    image = source.image
    if spec.cover:
        box = _cover_box(image.size, spec, focus, field)
        sizes = [(spec.width * s, spec.height * s) for s in spec.scales]
        need = spec.min_source
    else:
        box = _trimmed_box(image)
        fitted = _contained_size(box, spec, field)
        sizes = [(max(1, round(fitted[0] * s)), max(1, round(fitted[1] * s))) for s in spec.scales]
        need = (round(fitted[0]), round(fitted[1]))
    kept = (round(box[2] - box[0]), round(box[3] - box[1]))
    if kept[0] < need[0] or kept[1] < need[1]:
        raise ImageError(
            field,
            ImageRefusal.TOO_SMALL,
            f"{spec.name} needs at least {need[0]}x{need[1]} pixels, the image gives "
            f"{kept[0]}x{kept[1]}",
        )
    return {
        spec.file_name(scale): encode_png(
            image.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=_REDUCING_GAP),
            quality_floor=quality_floor,
        )
        for scale, size in zip(spec.scales, sizes, strict=True)
    }


def _cover_box(size: tuple[int, int], spec: ImageSlot, focus: Focus, field: str) -> Box:
    aspect, target = size[0] / size[1], spec.width / spec.height
    if max(aspect / target, target / aspect) > MAX_ASPECT_CHANGE:
        raise ImageError(
            field,
            ImageRefusal.ASPECT,
            f"a {size[0]}x{size[1]} image cannot be cropped to {spec.name} "
            f"({spec.width}:{spec.height}) without losing most of it",
        )
    return crop_box(size, target, focus)


def _trimmed_box(image: Image.Image) -> Box:
    bounds = image.getchannel("A").getbbox() if image.mode == "RGBA" else None
    left, top, right, bottom = bounds or (0, 0, image.width, image.height)
    return (float(left), float(top), float(right), float(bottom))


def _contained_size(box: Box, spec: ImageSlot, field: str) -> tuple[float, float]:
    width, height = box[2] - box[0], box[3] - box[1]
    scale = min(spec.width / width, spec.height / height)
    fitted = (width * scale, height * scale)
    if min(fitted) < MIN_CONTAINED_POINTS:
        raise ImageError(
            field,
            ImageRefusal.ASPECT,
            f"a {round(width)}x{round(height)} image fitted into {spec.name} "
            f"({spec.width}x{spec.height}) would be {fitted[0]:.0f}x{fitted[1]:.0f}",
        )
    return fitted


def prepare_image(
    data: bytes,
    slot: str,
    *,
    field: str,
    focus: Focus = CENTRE,
    limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
    quality_floor: float = DEFAULT_QUALITY_FLOOR,
) -> dict[str, EncodedPng]:
    """An uploaded file made into ``slot``'s PNGs: :func:`open_image`, then
    :func:`render_slot`. To make several slots of one upload, open it once and render each.

    Raises:
        KeyError: ``slot`` is not a known slot.
        ImageError: any refusal of :func:`open_image` or :func:`render_slot`.
    """
    source = open_image(data, field=field, limits=limits)
    return render_slot(source, slot, field=field, focus=focus, quality_floor=quality_floor)
