"""Google Wallet loyalty classes and objects (walletobjects v1: LoyaltyClass, LoyaltyObject),
rendered from the same design and card state as the Apple pass.

A class is the program (issuer, logo, colour, stores); an object is one member's card
(account, balance, barcode, text). Ids are ``<issuerId>.<suffix>`` with the suffix limited to
``[A-Za-z0-9._-]``: Google answers 400 "Invalid resource ID" otherwise, so we refuse first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from passes.contacts import LINK_KINDS, link_uri
from passes.design import CardDesign
from passes.errors import PassValidationError
from passes.localization import (
    built_in,
    card_values_by_language,
    design_text,
    field_values,
    primary_label,
    tier_text,
)
from passes.models import Location, LoyaltyCard
from passes.values import card_values, primary_text

MAX_LOCATIONS = 10
MAX_TEXT_MODULES = 10
_SUFFIX_RE = re.compile(r"^[A-Za-z0-9._-]{1,120}$")
_ISSUER_RE = re.compile(r"^[0-9]{1,25}$")
_MODULE_ID_RE = re.compile(r"[^A-Za-z0-9_-]")
_BARCODES = {"qr": "QR_CODE", "pdf417": "PDF_417", "aztec": "AZTEC", "code128": "CODE_128"}
# Google's recommended lengths: longer text is cut off on the card.
RECOMMENDED_LENGTHS = {"issuerName": 20, "programName": 20, "accountName": 20, "label": 9}


def resource_id(issuer_id: str, suffix: str) -> str:
    """``<issuerId>.<suffix>``.

    Raises:
        PassValidationError: the issuer id is not numeric or the suffix has other characters.
    """
    problems = []
    if not _ISSUER_RE.match(issuer_id):
        problems.append(f"issuer id {issuer_id!r} must be the numeric id Google assigned")
    if not _SUFFIX_RE.match(suffix):
        problems.append(f"id suffix {suffix!r} may only use letters, digits, '.', '_' and '-'")
    if problems:
        raise PassValidationError(problems)
    return f"{issuer_id}.{suffix}"


def length_warnings(design: CardDesign) -> list[str]:
    """Texts longer than Google recommends (they still work, but are cut on the card)."""
    checks = {
        "issuerName": design_text(design, "program.organization", design.organization_name),
        "programName": design_text(design, "program.name", design.program_name),
        "label": primary_label(design, design.primary),
    }
    return [
        f"{name}{'' if lang == design.language else f' ({lang})'} {value!r} is over Google's "
        f"recommended {RECOMMENDED_LENGTHS[name]} characters"
        for name, texts in checks.items()
        for lang, value in texts.items()
        if len(value) > RECOMMENDED_LENGTHS[name]
        and (lang == design.language or value != texts[design.language])
    ]


def localized(texts: Mapping[str, str], language: str) -> dict[str, Any] | None:
    """A LocalizedString: ``texts[language]`` as the default value, the other languages as
    translated values; None when no language says anything else (the plain string does)."""
    default = texts[language]
    others = [
        {"language": lang, "value": text}
        for lang, text in texts.items()
        if lang != language and text != default
    ]
    if not others:
        return None
    return {"defaultValue": {"language": language, "value": default}, "translatedValues": others}


def _with_localized(
    body: dict[str, Any], key: str, texts: Mapping[str, str], language: str
) -> None:
    """Set ``key`` to the default text and ``localizedKey`` to the LocalizedString, if any."""
    body[key] = texts[language]
    translated = localized(texts, language)
    if translated is not None:
        body[f"localized{key[0].upper()}{key[1:]}"] = translated


def loyalty_class(
    design: CardDesign,
    *,
    class_id: str,
    images_url: str,
    callback_url: str | None = None,
    homepage_url: str | None = None,
    locations: Sequence[Location] = (),
) -> dict[str, Any]:
    """The program's LoyaltyClass. Always ``reviewStatus: UNDER_REVIEW`` (Google rejects a
    client that sends APPROVED; loyalty classes under review are approved automatically)."""
    language = design.language
    organization = design_text(design, "program.organization", design.organization_name)
    program = design_text(design, "program.name", design.program_name)
    body: dict[str, Any] = {"id": class_id}
    _with_localized(body, "issuerName", organization, language)
    _with_localized(body, "programName", program, language)
    body.update(
        reviewStatus="UNDER_REVIEW",
        hexBackgroundColor=design.background.hex,
        multipleDevicesAndHoldersAllowedStatus="ONE_USER_ALL_DEVICES",
    )
    _with_localized(body, "accountIdLabel", built_in(design, "Card number"), language)
    _with_localized(body, "accountNameLabel", built_in(design, "Member"), language)
    body["programLogo"] = _image(f"{images_url}/google_logo.png", organization, language)
    if "google_hero.png" in design.images:
        body["heroImage"] = _image(f"{images_url}/google_hero.png", program, language)
    if homepage_url:
        body["homepageUri"] = {"uri": homepage_url}
        _with_localized(body["homepageUri"], "description", organization, language)
    if callback_url:
        body["callbackOptions"] = {"url": callback_url}
    if locations:
        body["merchantLocations"] = _locations(locations)
    return body


def loyalty_object(
    card: LoyaltyCard, design: CardDesign, *, object_id: str, class_id: str,
    state: str = "ACTIVE", hero_url: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """One member's LoyaltyObject: the same balance, barcode and texts as the Apple pass.
    ``hero_url``: this card's own hero image (a stamp card's stamps), over the class's."""
    primary = design.primary_for(has_stamps=card.stamps_required is not None)
    language = design.language
    values = card_values(card, design)
    by_language = card_values_by_language(card, design, values)
    shown = tier_text(card, design)[language] if primary == "tier" else primary_text(card, primary)
    body: dict[str, Any] = {
        "id": object_id,
        "classId": class_id,
        "state": state,
        "accountId": card.serial_number,
        "accountName": card.member_name,
        "loyaltyPoints": _points(primary_label(design, primary), shown, language),
        "barcode": {
            "type": _BARCODES[design.barcode],
            "value": design.barcode_prefix + card.barcode_message,
            "alternateText": card.barcode_message,
        },
    }
    secondary = _secondary(card, design, primary)
    if secondary is not None:
        body["secondaryLoyaltyPoints"] = secondary
    modules = []
    for spec in (*design.header_fields, *design.secondary_fields, *design.auxiliary_fields,
                 *design.back_fields):  # fmt: skip
        texts = field_values(spec, design, by_language)
        if spec.contact in LINK_KINDS:
            continue  # in the links module below
        if texts is not None and spec.label:
            module: dict[str, Any] = {"id": _MODULE_ID_RE.sub("_", spec.key)}
            label = design_text(design, f"fields.{spec.key}.label", spec.label)
            _with_localized(module, "header", label, language)
            cut = {lang: text[:500] for lang, text in texts.items()}
            _with_localized(module, "body", cut, language)
            modules.append(module)
    if modules:
        body["textModulesData"] = modules[:MAX_TEXT_MODULES]
    links = _links(design)
    if links:
        body["linksModuleData"] = {"uris": links}
    if card.locations:
        body["merchantLocations"] = _locations(card.locations)
    if hero_url:
        shown = f"{min(card.stamps, card.stamps_required or 0)}/{card.stamps_required}"
        program = design_text(design, "program.name", design.program_name)
        described = {lang: f"{name}: {shown}" for lang, name in program.items()}
        body["heroImage"] = _image(hero_url, described, design.language)
    return body


INT32 = range(-(2**31), 2**31)  # LoyaltyPointsBalance.int is an int32 in Google's API


def _points(label: Mapping[str, str], value: str | int, language: str) -> dict[str, Any]:
    # Past int32 Google refuses the object; the string form shows the same digits.
    is_int32 = isinstance(value, int) and value in INT32
    balance = {"int": value} if is_int32 else {"string": str(value)}
    body: dict[str, Any] = {}
    _with_localized(body, "label", label, language)
    body["balance"] = balance
    return body


def _secondary(card: LoyaltyCard, design: CardDesign, primary: str) -> dict[str, Any] | None:
    if primary != "points":
        return _points(built_in(design, "POINTS"), card.points, design.language)
    if card.tier:
        return _points(built_in(design, "TIER"), card.tier, design.language)
    return None


def _links(design: CardDesign) -> list[dict[str, Any]]:
    """The design's phone, email and website as Google's links (the label as the link's
    text; the URI is the design's own language's, as a Uri has no translations)."""
    links: list[dict[str, Any]] = []
    for spec in design.back_fields:
        if spec.contact not in LINK_KINDS:
            continue
        link: dict[str, Any] = {"uri": link_uri(spec.contact, spec.value.format_map({}))}
        label = design_text(design, f"fields.{spec.key}.label", spec.label)
        _with_localized(link, "description", label, design.language)
        link["id"] = spec.key
        links.append(link)
    return links


def _image(uri: str, description: Mapping[str, str], language: str) -> dict[str, Any]:
    # A LocalizedString's language is the language of its text: the design's, not ours.
    content = localized(description, language) or {
        "defaultValue": {"language": language, "value": description[language]}
    }
    return {"sourceUri": {"uri": uri}, "contentDescription": content}


def _locations(locations: Sequence[Location]) -> list[dict[str, float]]:
    if len(locations) > MAX_LOCATIONS:
        raise PassValidationError([f"at most {MAX_LOCATIONS} merchantLocations"])
    return [{"latitude": loc.latitude, "longitude": loc.longitude} for loc in locations]
