"""Small PNGs: a palette only as large as the picture needs, then lossless re-compression.

An image with at most 256 colours gets an exact palette (lossless). Any other is quantised by
Pillow without dithering (dither noise costs more bytes than the colours it saves): median cut
refined by k-means for opaque pictures (for more than 32,768 distinct colours the palette is
chosen on a sample of at most 120,000 pixels), fast octree for transparent ones. It gets the
fewest colours of :data:`PALETTE_SIZES` whose render stays at or above a quality floor (SSIM
against the full-colour picture). If even 256 colours fall below the floor, or the
full-colour PNG is smaller, the picture stays full colour. oxipng then recompresses the
chosen PNG losslessly.
The output has no ancillary chunks and is the same bytes for the same pixels every time.

Why not libimagequant (``imagequant`` on PyPI, pngquant): it installs cleanly from a wheel, but
it is GPL-3.0 and this project is Apache-2.0. Measured on our largest image (the coffee strip
at @3x, docs/BENCHMARKS.md), it is about 5 % smaller than Pillow's median cut with k-means at
the same SSIM without dithering, and twice as large with its default dithering.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
import oxipng
from PIL import Image

from passes.images.quality import Reference

PALETTE_SIZES = (8, 16, 24, 32, 48, 64, 96, 128, 192, 256)
DEFAULT_QUALITY_FLOOR = 0.99
_KMEANS = 4
_MANY_COLOURS = 32_768
_PALETTE_SAMPLE = 120_000  # pixels
_OXIPNG_LEVEL = 2


@dataclass(frozen=True, slots=True)
class EncodedPng:
    """A PNG and how close it is to the full-colour picture it was made from."""

    data: bytes
    width: int
    height: int
    colours: int | None  # entries in its palette; None: full colour (lossless)
    ssim: float  # 1.0: the same pixels
    psnr: float  # dB; inf: the same pixels


def encode_png(image: Image.Image, *, quality_floor: float = DEFAULT_QUALITY_FLOOR) -> EncodedPng:
    """The smallest PNG of ``image`` whose SSIM against it is at least ``quality_floor``.

    ``image`` may be in any mode Pillow converts to RGB(A); its ``info`` (EXIF, ICC, text) is
    dropped. Deterministic: the same pixels and floor give the same bytes.

    Raises:
        ValueError: ``quality_floor`` is not between 0 and 1.
    """
    if not 0.0 <= quality_floor <= 1.0:
        raise ValueError(f"quality_floor must be between 0 and 1, not {quality_floor}")
    picture = _normalise(image)
    reference = Reference(picture)
    # Candidates by size: the full-colour PNG (lossless), an exact palette when the picture
    # has at most 256 colours (lossless), the fewest colours that meet the floor (lossy).
    candidates: list[tuple[bytes, Image.Image, int | None]] = [
        (_pillow_png(picture), picture, None)
    ]
    exact = _exact_palette(picture)
    if exact is not None:
        candidates.append((_pillow_png(exact), exact, len(exact.getpalette() or ()) // 3))
    found = _fewest_colours(picture, reference, quality_floor)
    if found is not None:
        candidates.append((_pillow_png(found[1]), found[1], found[0]))
    data, chosen, colours = min(candidates, key=lambda candidate: len(candidate[0]))
    png = oxipng.optimize_from_memory(data, level=_OXIPNG_LEVEL, strip=oxipng.StripChunks.safe())
    return EncodedPng(
        data=png,
        width=picture.width,
        height=picture.height,
        colours=colours,
        ssim=reference.ssim(chosen),
        psnr=reference.psnr(chosen),
    )


def _normalise(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    picture = rgba if rgba.getchannel("A").getextrema() != (255, 255) else rgba.convert("RGB")
    return Image.frombytes(picture.mode, picture.size, picture.tobytes())


def _exact_palette(picture: Image.Image) -> Image.Image | None:
    """``picture`` with an exact palette (sorted, so deterministic), or None if over 256."""
    if picture.getcolors(256) is None:
        return None
    channels = len(picture.getbands())
    pixels = np.asarray(picture, dtype=np.uint8).reshape(-1, channels)
    palette, indices = np.unique(pixels, axis=0, return_inverse=True)
    paletted = Image.fromarray(
        indices.reshape(picture.height, picture.width).astype(np.uint8), mode="L"
    ).convert("P")
    paletted.putpalette(palette.astype(np.uint8).tobytes(), rawmode=picture.mode)
    return paletted


def _quantise(picture: Image.Image, colours: int) -> Image.Image:
    if picture.mode == "RGBA":
        return picture.quantize(colours, Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    # Median cut with k-means costs by the number of distinct colours (seconds for a grainy
    # photo): for many, choose the palette on a box-filtered sample, then map every pixel to it.
    factor = math.ceil(math.sqrt(picture.width * picture.height / _PALETTE_SAMPLE))
    few = picture.getcolors(_MANY_COLOURS) is not None
    sample = picture.reduce(factor) if factor > 1 and not few else picture
    palette = sample.quantize(colours, Image.Quantize.MEDIANCUT, kmeans=_KMEANS)
    if sample is picture:
        return palette
    return picture.quantize(palette=palette, dither=Image.Dither.NONE)


def _fewest_colours(
    picture: Image.Image, reference: Reference, floor: float
) -> tuple[int, Image.Image] | None:
    """The smallest palette size whose SSIM meets ``floor`` (binary search: SSIM grows with
    the palette), or None if 256 colours do not."""
    largest = _quantise(picture, PALETTE_SIZES[-1])
    if reference.ssim(largest) < floor:
        return None
    best = (PALETTE_SIZES[-1], largest)
    low, high = 0, len(PALETTE_SIZES) - 2
    while low <= high:
        middle = (low + high) // 2
        candidate = _quantise(picture, PALETTE_SIZES[middle])
        if reference.ssim(candidate) >= floor:
            best, high = (PALETTE_SIZES[middle], candidate), middle - 1
        else:
            low = middle + 1
    return best


def _pillow_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
