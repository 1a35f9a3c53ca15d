"""Signed ``.pkpass`` archives (Apple's Wallet Developer Guide, "Pass Design and Creation").

A pass is ``pass.json``, the design's images, ``manifest.json`` (SHA-1 of every file) and
``signature`` (PKCS#7 of the manifest), zipped with no enclosing folder. Everything that does
not depend on the member (image hashes, image ZIP entries, which field carries which
``changeMessage``) is worked out once per design in :class:`ApplePassTemplate`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
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
from passes.apple.strings import StaticStrings, StringsCatalog
from passes.design import CardDesign, FieldSpec
from passes.errors import SigningError
from passes.localization import (
    built_in,
    card_values_by_language,
    default_texts,
    design_text,
    field_values,
    languages,
    primary_label,
    tier_text,
)
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
    message_id: str | None = None  # the change message's text id (passes.localization)


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
    strings: StaticStrings  # the design's texts in its languages (lproj files)

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
            strings=StaticStrings.create(languages(design), _static_texts(design)),
        )


def _static_texts(design: CardDesign) -> Iterator[Mapping[str, str]]:
    """The design's texts as passes show them, in the order the strings files list them."""
    for text_id, (default, placeholders) in default_texts(design).items():
        texts = design_text(design, text_id, default)
        if text_id == "card.primary_label" or placeholders:
            continue  # the primary labels follow; values with placeholders vary per card
        if placeholders is not None:  # a field value: shown as formatted ("{{" is "{")
            texts = {lang: text.format_map({}) for lang, text in texts.items()}
        yield texts
    for primary in _PRIMARIES:
        yield primary_label(design, primary)
    yield built_in(design, "Member")


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
            message_id = f"fields.{spec.key}.change_message" if message else None
            names = spec.placeholders
            name = next(iter(names)) if len(names) == 1 else ""
            if message is None and name not in claimed and spec.value == "{" + name + "}":
                message = design.change_messages.get(name)
                if message:
                    claimed.add(name)
                    message_id = f"change_messages.{name}"
            planned.append(PlannedField(group, spec, message, message_id))
    return tuple(planned)


def build_pass(
    card: LoyaltyCard, template: ApplePassTemplate, catalog: StringsCatalog | None = None
) -> StoreCardPass:
    """The py-pkpass model of ``card`` in ``template``'s design. Its localizable strings are
    keys of ``catalog`` (the texts in the design's language), which gathers the translations."""
    design = template.design
    strings = catalog or template.strings.catalog()

    def text(text_id: str, default: str) -> str:
        return strings.key(design_text(design, text_id, default))

    model = StoreCardPass(
        passTypeIdentifier=template.pass_type_identifier,
        organizationName=text("program.organization", design.organization_name),
        teamIdentifier=template.team_identifier,
    )
    model.serialNumber = card.serial_number
    model.description = text("program.description", design.description)
    model.backgroundColor = design.background.css_rgb
    model.foregroundColor = design.foreground.css_rgb
    model.labelColor = design.label_colour.css_rgb
    model.logoText = text("program.logo_text", design.logo_text) if design.logo_text else None
    info = model.passInformation
    primary = design.primary_for(has_stamps=card.stamps_required is not None)
    message = None if primary in card.quiet else design.change_messages.get(primary)
    info.primaryFields.append(
        CardField(
            primary,
            _primary_value(card, design, primary, strings),
            strings.key(primary_label(design, primary)),
            change_message=text(f"change_messages.{primary}", message) if message else None,
        )
    )
    values = card_values(card, design)
    by_language = card_values_by_language(card, design, values)
    for planned in template.fields[primary]:
        # A quiet value (a message beyond the card's notification budget) changes silently.
        quiet = bool(planned.spec.placeholders & card.quiet)
        rendered = render_field(planned.spec, values, None if quiet else planned.change_message)
        if rendered is None:
            continue
        key = planned.spec.key
        if planned.spec.label:
            rendered.label = text(f"fields.{key}.label", planned.spec.label)
        if rendered.changeMessage and planned.message_id:
            rendered.changeMessage = text(planned.message_id, rendered.changeMessage)
        if isinstance(rendered.value, str) and not rendered.is_date:
            texts = field_values(planned.spec, design, by_language)
            rendered.value = strings.value(texts) if texts else strings.same(rendered.value)
        getattr(info, f"{planned.group}Fields").append(rendered)
    model.barcode_list = [
        Barcode(
            design.barcode_prefix + card.barcode_message,
            BARCODE_FORMATS[design.barcode],
            altText=card.barcode_message,
        )
    ]
    relevant_text = card.relevant_text and strings.same(card.relevant_text)
    if not relevant_text and design.relevant_text:
        relevant_text = text("card.relevant_text", design.relevant_text)
    model.locations = [
        StoreLocation(location, _same(strings, location.relevant_text) or relevant_text)
        for location in card.locations
    ]
    model.ibeacons = [
        StoreBeacon(beacon, _same(strings, beacon.relevant_text) or relevant_text)
        for beacon in card.beacons
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


def _primary_value(
    card: LoyaltyCard, design: CardDesign, primary: str, strings: StringsCatalog
) -> str | int:
    if primary == "tier":
        return strings.value(tier_text(card, design))
    value = primary_text(card, primary)
    return strings.same(value) if isinstance(value, str) else value  # "3/10"


def _same(strings: StringsCatalog, text: str | None) -> str | None:
    return strings.same(text) if text else None


def render_pass(
    card: LoyaltyCard, template: ApplePassTemplate
) -> tuple[bytes, Mapping[str, bytes]]:
    """``pass.json`` bytes for ``card``, checked against Apple's limits, and the
    ``<language>.lproj/pass.strings`` files of a design in several languages.

    Raises:
        PassValidationError: the pass would break a Wallet limit.
    """
    catalog = template.strings.catalog()
    return _pass_json(card, template, catalog), catalog.files()


def _pass_json(card: LoyaltyCard, template: ApplePassTemplate, catalog: StringsCatalog) -> bytes:
    body = build_pass(card, template, catalog).json_dict()
    validate_pass(body, template.image_hashes, allow_http=template.allow_http)
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def render_pass_json(card: LoyaltyCard, template: ApplePassTemplate) -> bytes:
    """``pass.json`` bytes for ``card``, checked against Apple's limits.

    Raises:
        PassValidationError: the pass would break a Wallet limit.
    """
    return render_pass(card, template)[0]


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
    catalog = template.strings.catalog()
    pass_json = _pass_json(card, template, catalog)
    hashes, strings_entries = template.strings.package(catalog)
    extra = images or {}
    image_hashes = {**template.image_hashes, **{n: sha1_hex(d) for n, d in extra.items()}}
    manifest = build_manifest({**image_hashes, **hashes, "pass.json": sha1_hex(pass_json)})
    return write_zip(
        (
            make_entry("pass.json", pass_json, is_deflated=True),
            make_entry("manifest.json", manifest, is_deflated=True),
            make_entry("signature", signer.sign(manifest), is_deflated=False),
            *(e for e in template.image_entries if e.name.decode() not in extra),
            *(make_entry(name, data, is_deflated=False) for name, data in sorted(extra.items())),
            *strings_entries,
        )
    )
