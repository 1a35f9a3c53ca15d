"""Reading a card's barcode from a photo, for phones whose browser has no BarcodeDetector.

The decoding is zxing-cpp's (a maintained C++ library with Python bindings); Pillow opens the
photo. Large photos are scaled down first: a card's code needs far fewer pixels than a phone
camera takes, and decoding time grows with the pixel count.
"""

from __future__ import annotations

import io
import logging

import zxingcpp
from PIL import Image, UnidentifiedImageError

logger = logging.getLogger(__name__)
MAX_SIDE = 1600
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding them


def read_code(data: bytes) -> str | None:
    """The text of the first barcode in the photo, or None when there is none (or it is not
    an image Pillow can open)."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                return None
            image = opened.convert("L")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return None
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    results = zxingcpp.read_barcodes(image)
    found = next((r.text for r in results if r.text), None)
    logger.info("photo decoded", extra={"found": found is not None})
    return found
