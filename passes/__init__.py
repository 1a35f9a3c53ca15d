"""loyalpass's wallet-format library: card designs, Apple passes and Google Wallet objects.

Pure functions and small value types. No web framework, no database, no environment reads.
"""

from passes.apple.apns import ApnsClient, PushResult, client_ssl_context
from passes.apple.package import (
    MEDIA_TYPE as PKPASS_MEDIA_TYPE,
)
from passes.apple.package import (
    ApplePassTemplate,
    build_pkpass,
    render_pass_json,
)
from passes.apple.signing import Signer
from passes.contrast import (
    MIN_TEXT_CONTRAST,
    ContrastWarning,
    contrast_ratio,
    contrast_warnings,
    design_contrast_warnings,
    parse_colour,
    relative_luminance,
)
from passes.design import CardDesign, FieldSpec, load_design, load_designs
from passes.design_limits import check_limits as check_design_limits
from passes.devpki import DevelopmentPki, create_development_pki
from passes.errors import (
    CertificateError,
    DesignError,
    PassError,
    PassValidationError,
    SigningError,
)
from passes.geo import MAX_CARD_STORES, Point, StoreIndex, choose_stores, distance_km
from passes.google.callbacks import (
    CallbackEvent,
    CallbackRejected,
    RootKey,
    parse_root_keys,
    verify_callback,
)
from passes.google.client import SCOPE as GOOGLE_WALLET_SCOPE
from passes.google.client import (
    GoogleNotFound,
    GoogleWalletError,
    NotificationQuotaExceeded,
    WalletClient,
)
from passes.google.messages import object_message
from passes.google.objects import length_warnings, loyalty_class, loyalty_object, resource_id
from passes.google.savelink import save_url
from passes.images import (
    DEFAULT_IMAGE_LIMITS,
    DEFAULT_QUALITY_FLOOR,
    IMAGE_SLOTS,
    EncodedPng,
    Focus,
    ImageError,
    ImageLimits,
    ImageRefusal,
    ImageSlot,
    SourceImage,
    encode_png,
    image_psnr,
    image_ssim,
    open_image,
    prepare_image,
    render_slot,
)
from passes.localization import check_translations
from passes.localization import languages as design_languages
from passes.models import Beacon, Location, LoyaltyCard, RelevantInterval
from passes.stamps import MAX_STAMPS, StampImages, stamp_image_name

__all__ = [
    "DEFAULT_IMAGE_LIMITS",
    "DEFAULT_QUALITY_FLOOR",
    "GOOGLE_WALLET_SCOPE",
    "IMAGE_SLOTS",
    "MAX_CARD_STORES",
    "MAX_STAMPS",
    "MIN_TEXT_CONTRAST",
    "PKPASS_MEDIA_TYPE",
    "ApnsClient",
    "ApplePassTemplate",
    "Beacon",
    "CallbackEvent",
    "CallbackRejected",
    "CardDesign",
    "CertificateError",
    "ContrastWarning",
    "DesignError",
    "DevelopmentPki",
    "EncodedPng",
    "FieldSpec",
    "Focus",
    "GoogleNotFound",
    "GoogleWalletError",
    "ImageError",
    "ImageLimits",
    "ImageRefusal",
    "ImageSlot",
    "Location",
    "LoyaltyCard",
    "NotificationQuotaExceeded",
    "PassError",
    "PassValidationError",
    "Point",
    "PushResult",
    "RelevantInterval",
    "RootKey",
    "Signer",
    "StampImages",
    "SigningError",
    "SourceImage",
    "StoreIndex",
    "WalletClient",
    "build_pkpass",
    "check_design_limits",
    "check_translations",
    "choose_stores",
    "client_ssl_context",
    "contrast_ratio",
    "contrast_warnings",
    "create_development_pki",
    "design_contrast_warnings",
    "design_languages",
    "distance_km",
    "encode_png",
    "image_psnr",
    "image_ssim",
    "length_warnings",
    "load_design",
    "load_designs",
    "loyalty_class",
    "loyalty_object",
    "object_message",
    "open_image",
    "parse_colour",
    "parse_root_keys",
    "prepare_image",
    "render_pass_json",
    "relative_luminance",
    "render_slot",
    "resource_id",
    "save_url",
    "stamp_image_name",
    "verify_callback",
]
