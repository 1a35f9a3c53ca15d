"""loyalpass's wallet-format library: card designs, Apple passes and Google Wallet objects.

Pure functions and small value types. No web framework, no database, no environment reads.
"""

from passes.apple.package import (
    MEDIA_TYPE as PKPASS_MEDIA_TYPE,
)
from passes.apple.package import (
    ApplePassTemplate,
    build_pkpass,
    render_pass_json,
)
from passes.apple.signing import Signer
from passes.design import CardDesign, FieldSpec, load_design, load_designs
from passes.devpki import DevelopmentPki, create_development_pki
from passes.errors import (
    CertificateError,
    DesignError,
    PassError,
    PassValidationError,
    SigningError,
)
from passes.google.objects import loyalty_class, loyalty_object, resource_id
from passes.google.savelink import save_url
from passes.models import Beacon, Location, LoyaltyCard, RelevantInterval

__all__ = [
    "PKPASS_MEDIA_TYPE",
    "ApplePassTemplate",
    "Beacon",
    "CardDesign",
    "CertificateError",
    "DesignError",
    "DevelopmentPki",
    "FieldSpec",
    "Location",
    "LoyaltyCard",
    "PassError",
    "PassValidationError",
    "RelevantInterval",
    "Signer",
    "SigningError",
    "build_pkpass",
    "create_development_pki",
    "load_design",
    "load_designs",
    "loyalty_class",
    "loyalty_object",
    "render_pass_json",
    "resource_id",
    "save_url",
]
