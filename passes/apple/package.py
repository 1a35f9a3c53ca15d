"""Signed ``.pkpass`` archives (Apple's Wallet Developer Guide, "Pass Design and Creation").

A pass is ``pass.json``, the design's images, ``manifest.json`` (SHA-1 of every file) and
``signature`` (PKCS#7 of the manifest), zipped with no enclosing folder. Everything that does
not depend on the member (image hashes, image ZIP entries, which field carries which
``changeMessage``) is worked out once per design in :class:`ApplePassTemplate`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from py_pkpass.models import Barcode

from passes.apple.archive import ZipEntry, make_entry, write_zip
from passes.apple.limits import validate_pass
from passes.apple.manifest import build_manifest, sha1_hex
from passes.apple.pass_json import (
    BARCODE_FORMATS,
    CardField,
    StoreBeacon,
    StoreCardPass,
    StoreLocation,
    relevant_dates_json,
    render_field,
    w3c_timestamp,
)
from passes.apple.signing import Signer
from passes.design import CardDesign, FieldSpec
from passes.errors import SigningError
from passes.models import LoyaltyCard
from passes.values import card_values, primary_text

MEDIA_TYPE = "application/vnd.apple.pkpass"
_APPLE_IMAGE_PREFIXES = ("icon", "logo", "strip")
_GROUPS = ("header", "secondary", "auxiliary", "back")
_PRIMARIES = ("points", "stamps", "tier")


@dataclass(frozen=True, slots=True)
class PlannedField:
    group: str
    spec: FieldSpec
    change_message: str | None


@dataclass(frozen=True, slots=True)
class ApplePassTemplate:
    """A design bound to a pass type, with its per-design work done once."""

    design: CardDesign
    pass_type_identifier: str
    team_identifier: str
    allow_http: bool
    image_hashes: Mapping[str, str]
    image_entries: tuple[ZipEntry, ...]
    fields: Mapping[str, tuple[PlannedField, ...]]  # by the primary value shown

    @classmethod
    def create(
        cls,
        design: CardDesign,
        *,
        pass_type_identifier: str,
        team_identifier: str,
        allow_http: bool = False,
    ) -> ApplePassTemplate:
        """Hash and lay out the design's Apple images and plan its change messages."""
        images = {
            name: data
            for name, data in sorted(design.images.items())
            if name.startswith(_APPLE_IMAGE_PREFIXES)
        }
        return cls(
            design=design,
            pass_type_identifier=pass_type_identifier,
            team_identifier=team_identifier,
            allow_http=allow_http,
            image_hashes={name: sha1_hex(data) for name, data in images.items()},
            image_entries=tuple(
                make_entry(name, data, is_deflated=False) for name, data in images.items()
            ),
            fields={primary: _plan_fields(design, primary) for primary in _PRIMARIES},
        )


def _plan_fields(design: CardDesign, primary: str) -> tuple[PlannedField, ...]:
    """Attach each change message to one field only: iOS shows a generic text when several
    fields with messages change at once. The primary field claims its value first; a field
    that only repeats the primary value is dropped when the primary was substituted."""
    claimed: set[str] = {primary}
    planned: list[PlannedField] = []
    for group in _GROUPS:
        for spec in getattr(design, f"{group}_fields"):
            if primary != design.primary and spec.value == "{" + primary + "}":
                continue
            message = spec.change_message
            names = spec.placeholders
            name = next(iter(names)) if len(names) == 1 else ""
            if message is None and name not in claimed and spec.value == "{" + name + "}":
                message = design.change_messages.get(name)
                if message:
                    claimed.add(name)
            planned.append(PlannedField(group, spec, message))
    return tuple(planned)


def build_pass(card: LoyaltyCard, template: ApplePassTemplate) -> StoreCardPass:
    """The py-pkpass model of ``card`` in ``template``'s design."""
    design = template.design
    model = StoreCardPass(
        passTypeIdentifier=template.pass_type_identifier,
        organizationName=design.organization_name,
        teamIdentifier=template.team_identifier,
    )
    model.serialNumber = card.serial_number
    model.description = design.description
    model.backgroundColor = design.background.css_rgb
    model.foregroundColor = design.foreground.css_rgb
    model.labelColor = design.label_colour.css_rgb
    model.logoText = design.logo_text or None
    info = model.passInformation
    primary = design.primary_for(has_stamps=card.stamps_required is not None)
    info.primaryFields.append(
        CardField(
            primary,
            primary_text(card, primary),
            design.primary_label_for(primary),
            change_message=None if primary in card.quiet else design.change_messages.get(primary),
        )
    )
    values = card_values(card, design)
    for planned in template.fields[primary]:
        # A quiet value (a message beyond the card's notification budget) changes silently.
        quiet = bool(planned.spec.placeholders & card.quiet)
        rendered = render_field(planned.spec, values, None if quiet else planned.change_message)
        if rendered is not None:
            getattr(info, f"{planned.group}Fields").append(rendered)
    model.barcode_list = [
        Barcode(
            card.barcode_message,
            BARCODE_FORMATS[design.barcode],
            altText=card.barcode_message,
        )
    ]
    relevant_text = card.relevant_text or design.relevant_text
    model.locations = [
        StoreLocation(location, location.relevant_text or relevant_text)
        for location in card.locations
    ]
    model.ibeacons = [
        StoreBeacon(beacon, beacon.relevant_text or relevant_text) for beacon in card.beacons
    ]
    if card.locations:
        model.max_distance = design.max_distance
    model.relevant_dates = relevant_dates_json(card.relevant_dates)
    if card.expiration_date is not None:
        model.expirationDate = w3c_timestamp(card.expiration_date)
    model.voided = card.is_voided
    if card.web_service_url is not None:
        model.webServiceURL = card.web_service_url
        model.authenticationToken = card.authentication_token
    return model


def render_pass_json(card: LoyaltyCard, template: ApplePassTemplate) -> bytes:
    """``pass.json`` bytes for ``card``, checked against Apple's limits.

    Raises:
        PassValidationError: the pass would break a Wallet limit.
    """
    body = build_pass(card, template).json_dict()
    validate_pass(body, template.image_hashes, allow_http=template.allow_http)
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def build_pkpass(
    card: LoyaltyCard,
    template: ApplePassTemplate,
    signer: Signer,
    images: Mapping[str, bytes] | None = None,
) -> bytes:
    """Return a signed ``.pkpass`` archive for ``card``; ``images`` replace or add the design's
    images by name (a stamp card's strip showing its stamps).

    Raises:
        PassValidationError: the pass would break a Wallet limit.
        SigningError: the signer is for another pass type, or signing failed.
    """
    if signer.pass_type_identifier != template.pass_type_identifier:
        raise SigningError(
            f"the signer is for {signer.pass_type_identifier!r}, "
            f"the pass is {template.pass_type_identifier!r}"
        )
    pass_json = render_pass_json(card, template)
    extra = images or {}
    hashes = {**template.image_hashes, **{name: sha1_hex(data) for name, data in extra.items()}}
    manifest = build_manifest({**hashes, "pass.json": sha1_hex(pass_json)})
    return write_zip(
        (
            make_entry("pass.json", pass_json, is_deflated=True),
            make_entry("manifest.json", manifest, is_deflated=True),
            make_entry("signature", signer.sign(manifest), is_deflated=False),
            *(e for e in template.image_entries if e.name.decode() not in extra),
            *(make_entry(name, data, is_deflated=False) for name, data in sorted(extra.items())),
        )
    )
