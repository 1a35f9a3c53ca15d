"""Google Wallet loyalty classes and objects (walletobjects v1: LoyaltyClass, LoyaltyObject),
rendered from the same design and card state as the Apple pass.

A class is the program (issuer, logo, colour, stores); an object is one member's card
(account, balance, barcode, text). Ids are ``<issuerId>.<suffix>`` with the suffix limited to
``[A-Za-z0-9._-]``: Google answers 400 "Invalid resource ID" otherwise, so we refuse first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from passes.design import CardDesign
from passes.errors import PassValidationError
from passes.models import Location, LoyaltyCard
from passes.values import card_values, primary_text, render_text

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
        "issuerName": design.organization_name,
        "programName": design.program_name,
        "label": design.primary_label,
    }
    return [
        f"{name} {value!r} is over Google's recommended {RECOMMENDED_LENGTHS[name]} characters"
        for name, value in checks.items()
        if len(value) > RECOMMENDED_LENGTHS[name]
    ]


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
    body: dict[str, Any] = {
        "id": class_id,
        "issuerName": design.organization_name,
        "programName": design.program_name,
        "reviewStatus": "UNDER_REVIEW",
        "hexBackgroundColor": design.background.hex,
        "multipleDevicesAndHoldersAllowedStatus": "ONE_USER_ALL_DEVICES",
        "accountIdLabel": "Card number",
        "accountNameLabel": "Member",
        "programLogo": _image(
            f"{images_url}/google_logo.png", design.organization_name, design.language
        ),
    }
    if "google_hero.png" in design.images:
        body["heroImage"] = _image(
            f"{images_url}/google_hero.png", design.program_name, design.language
        )
    if homepage_url:
        body["homepageUri"] = {"uri": homepage_url, "description": design.organization_name}
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
    values = card_values(card, design)
    body: dict[str, Any] = {
        "id": object_id,
        "classId": class_id,
        "state": state,
        "accountId": card.serial_number,
        "accountName": card.member_name,
        "loyaltyPoints": _points(design.primary_label_for(primary), primary_text(card, primary)),
        "barcode": {
            "type": _BARCODES[design.barcode],
            "value": card.barcode_message,
            "alternateText": card.barcode_message,
        },
    }
    secondary = _secondary(card, primary)
    if secondary is not None:
        body["secondaryLoyaltyPoints"] = secondary
    modules = []
    for spec in (*design.header_fields, *design.secondary_fields, *design.auxiliary_fields,
                 *design.back_fields):  # fmt: skip
        text = render_text(spec, values)
        if text is not None and spec.label:
            module_id = _MODULE_ID_RE.sub("_", spec.key)
            modules.append({"id": module_id, "header": spec.label, "body": text[:500]})
    if modules:
        body["textModulesData"] = modules[:MAX_TEXT_MODULES]
    if card.locations:
        body["merchantLocations"] = _locations(card.locations)
    if hero_url:
        shown = f"{min(card.stamps, card.stamps_required or 0)}/{card.stamps_required}"
        body["heroImage"] = _image(hero_url, f"{design.program_name}: {shown}", design.language)
    return body


INT32 = range(-(2**31), 2**31)  # LoyaltyPointsBalance.int is an int32 in Google's API


def _points(label: str, value: str | int) -> dict[str, Any]:
    # Past int32 Google refuses the object; the string form shows the same digits.
    is_int32 = isinstance(value, int) and value in INT32
    balance = {"int": value} if is_int32 else {"string": str(value)}
    return {"label": label, "balance": balance}


def _secondary(card: LoyaltyCard, primary: str) -> dict[str, Any] | None:
    if primary != "points":
        return _points("POINTS", card.points)
    if card.tier:
        return _points("TIER", card.tier)
    return None


def _image(uri: str, description: str, language: str) -> dict[str, Any]:
    # A LocalizedString's language is the language of its text: the design's, not ours.
    return {
        "sourceUri": {"uri": uri},
        "contentDescription": {"defaultValue": {"language": language, "value": description}},
    }


def _locations(locations: Sequence[Location]) -> list[dict[str, float]]:
    if len(locations) > MAX_LOCATIONS:
        raise PassValidationError([f"at most {MAX_LOCATIONS} merchantLocations"])
    return [{"latitude": loc.latitude, "longitude": loc.longitude} for loc in locations]
