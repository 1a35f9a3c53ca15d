"""Reading a merchant's upload: only PNG, JPEG and WebP, bounded before anything is decoded.

The type comes from the file's signature, never its name. The width and height are read from
the file's own header (PNG IHDR, JPEG SOF, WebP VP8/VP8L/VP8X) and checked against
:class:`ImageLimits` before Pillow decodes a pixel, so a small file that declares a huge
picture (a decompression bomb) costs a few microseconds, not gigabytes. What is decoded is
turned upright (EXIF orientation), converted to sRGB (ICC profile) and to 8-bit RGB or RGBA,
and rebuilt without any metadata: EXIF, ICC, XMP and text chunks never reach an output.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageCms, ImageOps

from passes.images.errors import ImageError, ImageRefusal

FORMATS = ("PNG", "JPEG", "WEBP")
# JPEGs are decoded at the smallest DCT scale (1/2, 1/4, 1/8) that keeps both sides at least
# this long: larger than any slot (1125 px), so nothing is lost and a 48 MP photo decodes
# in a quarter of the memory and time.
_JPEG_DRAFT = 1200
# Start-of-frame markers (every SOFn except DHT C4, JPG C8 and DAC CC).
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    Image.DecompressionBombError,
)


@dataclass(frozen=True, slots=True)
class ImageLimits:
    """What an upload may be. The defaults take any phone's photo and refuse more."""

    max_bytes: int = 15 * 1024 * 1024
    max_pixels: int = 50_000_000  # a 48 MP phone photo is 8064 x 6048 = 48.8 M
    max_side: int = 16_384


DEFAULT_IMAGE_LIMITS = ImageLimits()


@dataclass(frozen=True, slots=True)
class SourceImage:
    """An accepted upload: upright, sRGB, 8-bit RGB (opaque) or RGBA, and no metadata."""

    image: Image.Image
    format: str  # "PNG", "JPEG" or "WEBP": what the bytes were

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size


def sniff(data: bytes) -> str | None:
    """``"PNG"``, ``"JPEG"`` or ``"WEBP"`` from the file signature, else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def declared_size(kind: str, data: bytes) -> tuple[int, int]:
    """Width and height as the file's header declares them, without decoding.

    Raises:
        ValueError: the header is missing or malformed.
    """
    if kind == "PNG":
        if data[12:16] != b"IHDR" or len(data) < 24:
            raise ValueError("no IHDR chunk")
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if kind == "JPEG":
        return _jpeg_size(data)
    return _webp_size(data)


def _jpeg_size(data: bytes) -> tuple[int, int]:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError("no JPEG marker")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image or start of scan before any frame header
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _JPEG_SOF:
            if pos + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        pos += 2 + length
    raise ValueError("no JPEG frame header")


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk, payload = data[12:16], data[20:30]
    if len(payload) < 10:
        raise ValueError("truncated WebP header")
    if chunk == b"VP8X":
        width = int.from_bytes(payload[4:7], "little") + 1
        height = int.from_bytes(payload[7:10], "little") + 1
        return width, height
    if chunk == b"VP8L":
        if payload[0] != 0x2F:
            raise ValueError("bad VP8L signature")
        bits = int.from_bytes(payload[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":
        if payload[3:6] != b"\x9d\x01\x2a":
            raise ValueError("bad VP8 start code")
        width, height = struct.unpack("<HH", payload[6:10])
        return width & 0x3FFF, height & 0x3FFF
    raise ValueError("unknown WebP chunk")


def open_image(
    data: bytes, *, field: str, limits: ImageLimits = DEFAULT_IMAGE_LIMITS
) -> SourceImage:
    """Check and decode an uploaded image.

    Accepts PNG, JPEG and WebP (the first frame of an animation) of at most
    ``limits.max_bytes`` bytes and ``limits.max_pixels`` pixels. The result is upright
    (EXIF orientation applied), in sRGB (an embedded ICC profile is converted, then dropped),
    8-bit RGB if fully opaque else RGBA, and carries no metadata.

    Raises:
        ImageError: ``field`` names the upload; ``reason`` is TOO_LARGE (bytes), UNKNOWN_TYPE
            (not one of the three formats, whatever its name says), BOMB (declares more
            pixels, or a longer side, than the limits allow; checked before decoding) or
            UNREADABLE (the header or the pixel data is broken or truncated).
    """
    if len(data) > limits.max_bytes:
        raise ImageError(
            field, ImageRefusal.TOO_LARGE, f"{len(data)} bytes, at most {limits.max_bytes}"
        )
    kind = sniff(data)
    if kind is None:
        raise ImageError(field, ImageRefusal.UNKNOWN_TYPE, "not a PNG, JPEG or WebP image")
    try:
        width, height = declared_size(kind, data)
    except ValueError as exc:
        raise ImageError(field, ImageRefusal.UNREADABLE, f"broken {kind} header: {exc}") from None
    if width * height > limits.max_pixels or max(width, height) > limits.max_side:
        raise ImageError(
            field,
            ImageRefusal.BOMB,
            f"declares {width}x{height} pixels, at most {limits.max_pixels} "
            f"and {limits.max_side} on a side",
        )
    if width == 0 or height == 0:
        raise ImageError(field, ImageRefusal.UNREADABLE, "declares an empty picture")
    try:
        image = _decode(data, kind, (width, height))
    except _DECODE_ERRORS as exc:
        raise ImageError(field, ImageRefusal.UNREADABLE, f"broken {kind} data: {exc}") from None
    return SourceImage(image, kind)


def _decode(data: bytes, kind: str, size: tuple[int, int]) -> Image.Image:
    with Image.open(io.BytesIO(data), formats=[kind]) as opened:
        if opened.size != size:
            raise ValueError("the header and the decoder disagree on the size")
        if kind == "JPEG":
            opened.draft(opened.mode, (_JPEG_DRAFT, _JPEG_DRAFT))
        opened.load()
        icc = opened.info.get("icc_profile")
        image = ImageOps.exif_transpose(opened)
    image = _to_srgb(image, icc if isinstance(icc, bytes) else None)
    return _clean(image)


def _eight_bit(image: Image.Image) -> Image.Image:
    """16-bit grey (PNG) to 8-bit; Pillow's own conversion would clip it, not scale it."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        pixels = np.asarray(image.convert("I"), dtype=np.int64)
        return Image.fromarray(np.clip(pixels >> 8, 0, 255).astype(np.uint8), mode="L")
    return image


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    image = _eight_bit(image)
    alpha = image.getchannel("A") if "A" in image.getbands() else None
    if image.mode == "P" and "transparency" in image.info:
        rgba = image.convert("RGBA")
        alpha, image = rgba.getchannel("A"), rgba.convert("RGB")
    if icc and image.mode in ("RGB", "RGBA", "CMYK", "L", "LA"):
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if "srgb" not in ImageCms.getProfileDescription(profile).lower():
                base = image.convert("RGB") if image.mode in ("RGBA", "LA") else image
                srgb = ImageCms.createProfile("sRGB")
                converted = ImageCms.profileToProfile(base, profile, srgb, outputMode="RGB")
                if converted is not None:
                    image = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unusable profile: read the pixels as sRGB
    rgb = image.convert("RGB")
    if alpha is not None and alpha.getextrema() != (255, 255):
        rgb.putalpha(alpha)
    return rgb


def _clean(image: Image.Image) -> Image.Image:
    """The same pixels in a new image: no ``info`` (EXIF, ICC, text) can follow them out."""
    return Image.frombytes(image.mode, image.size, image.tobytes())
