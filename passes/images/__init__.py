"""The image pipeline: a merchant's upload made into Apple's and Google's card images.

``open_image`` checks and decodes an upload (PNG, JPEG, WebP; bounded before decoding);
``render_slot`` crops or fits it to a slot at each scale; ``encode_png`` makes each the
smallest PNG above a quality floor; ``prepare_image`` does all three. Refusals raise
``ImageError`` with the field and a stable ``ImageRefusal`` reason.
"""

from passes.images.encode import DEFAULT_QUALITY_FLOOR, PALETTE_SIZES, EncodedPng, encode_png
from passes.images.errors import ImageError, ImageRefusal
from passes.images.quality import image_psnr, image_ssim
from passes.images.slots import (
    CENTRE,
    IMAGE_SLOTS,
    MAX_ASPECT_CHANGE,
    MIN_CONTAINED_POINTS,
    Focus,
    ImageSlot,
    crop_box,
    prepare_image,
    render_slot,
)
from passes.images.source import (
    DEFAULT_IMAGE_LIMITS,
    FORMATS,
    ImageLimits,
    SourceImage,
    open_image,
)

__all__ = [
    "CENTRE",
    "DEFAULT_IMAGE_LIMITS",
    "DEFAULT_QUALITY_FLOOR",
    "FORMATS",
    "IMAGE_SLOTS",
    "MAX_ASPECT_CHANGE",
    "MIN_CONTAINED_POINTS",
    "PALETTE_SIZES",
    "EncodedPng",
    "Focus",
    "ImageError",
    "ImageLimits",
    "ImageRefusal",
    "ImageSlot",
    "SourceImage",
    "crop_box",
    "encode_png",
    "image_psnr",
    "image_ssim",
    "open_image",
    "prepare_image",
    "render_slot",
]
