"""Apple's limits on a pass, checked before signing (PassKit Package Format Reference).

Wallet silently refuses a pass that breaks these, so we refuse it first and say why.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from passes.errors import PassValidationError

STYLE_KEYS = ("boardingPass", "coupon", "eventTicket", "generic", "storeCard")
REQUIRED_KEYS = (
    "description",
    "formatVersion",
    "organizationName",
    "passTypeIdentifier",
    "serialNumber",
    "teamIdentifier",
)
FIELD_GROUPS = ("headerFields", "primaryFields", "secondaryFields", "auxiliaryFields", "backFields")
MAX_LOCATIONS = 10
MAX_BEACON_UUIDS = 10
MIN_TOKEN_LENGTH = 16
_RGB_RE = re.compile(r"^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$")
_SQUARE = ("PKBarcodeFormatQR", "PKBarcodeFormatAztec")


def validate_pass(
    body: Mapping[str, Any], file_names: Collection[str], *, allow_http: bool = False
) -> None:
    """Check a pass.json body and the names of the files beside it.

    ``allow_http`` permits an ``http://`` web service URL (development devices only).

    Raises:
        PassValidationError: listing every problem found.
    """
    problems: list[str] = []
    problems += [f"missing required key {key}" for key in REQUIRED_KEYS if not body.get(key)]
    if body.get("formatVersion") != 1:
        problems.append("formatVersion must be 1")
    styles = [key for key in STYLE_KEYS if key in body]
    if len(styles) != 1:
        problems.append(f"exactly one style key is required, found {styles or 'none'}")
    if "icon.png" not in file_names:
        problems.append("icon.png is missing: Wallet will not open a pass without an icon")
    for key in ("backgroundColor", "foregroundColor", "labelColor"):
        if key in body and not _is_rgb(body[key]):
            problems.append(f"{key} must be rgb(r, g, b) with 0-255 components")
    if styles:
        problems += _check_fields(body[styles[0]], body.get("barcodes") or [])
    problems += _check_barcodes(body.get("barcodes") or [])
    problems += _check_relevance(body)
    problems += _check_web_service(body, allow_http=allow_http)
    if problems:
        raise PassValidationError(problems)


def _is_rgb(value: object) -> bool:
    match = _RGB_RE.match(value) if isinstance(value, str) else None
    return match is not None and all(int(part) <= 255 for part in match.groups())


def _check_fields(style: Mapping[str, Any], barcodes: list[Mapping[str, Any]]) -> list[str]:
    problems: list[str] = []
    keys: set[str] = set()
    for group in FIELD_GROUPS:
        for item in style.get(group, []):
            key = item.get("key")
            if not key:
                problems.append(f"a field in {group} has no key")
            elif key in keys:
                problems.append(f"field key {key!r} is used twice")
            keys.add(key)
            if "value" not in item or item["value"] in (None, ""):
                problems.append(f"field {key!r} has no value")
            message = item.get("changeMessage")
            if message is not None and "%@" not in message:
                problems.append(f"changeMessage of {key!r} must contain %@")
    if len(style.get("headerFields", [])) > 3:
        problems.append("at most 3 headerFields")
    if len(style.get("primaryFields", [])) > 1:
        problems.append("at most 1 primaryFields entry on a store card")
    side = len(style.get("secondaryFields", [])) + len(style.get("auxiliaryFields", []))
    if barcodes and barcodes[0].get("format") in _SQUARE and side > 4:
        problems.append("with a square barcode, secondary + auxiliary fields total at most 4")
    return problems


def _check_barcodes(barcodes: list[Mapping[str, Any]]) -> list[str]:
    problems: list[str] = []
    for barcode in barcodes:
        if not barcode.get("message"):
            problems.append("a barcode has no message")
        if not barcode.get("messageEncoding"):
            problems.append("a barcode has no messageEncoding")
        if barcode.get("format") not in (
            *_SQUARE,
            "PKBarcodeFormatPDF417",
            "PKBarcodeFormatCode128",
        ):
            problems.append(f"unknown barcode format {barcode.get('format')!r}")
    return problems


def _check_relevance(body: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    locations = body.get("locations") or []
    if len(locations) > MAX_LOCATIONS:
        problems.append(f"at most {MAX_LOCATIONS} locations (found {len(locations)})")
    for location in locations:
        if not -90 <= location.get("latitude", 999) <= 90:
            problems.append(f"latitude out of range: {location.get('latitude')}")
        if not -180 <= location.get("longitude", 999) <= 180:
            problems.append(f"longitude out of range: {location.get('longitude')}")
    beacons = body.get("beacons") or []
    uuids = {beacon.get("proximityUUID") for beacon in beacons}
    if len(uuids) > MAX_BEACON_UUIDS:
        problems.append(f"at most {MAX_BEACON_UUIDS} distinct beacon UUIDs (found {len(uuids)})")
    for beacon in beacons:
        for part in ("major", "minor"):
            if part in beacon and not 0 <= beacon[part] <= 65535:
                problems.append(f"beacon {part} must be 0-65535")
    max_distance = body.get("maxDistance")
    if max_distance is not None and (not isinstance(max_distance, int) or max_distance <= 0):
        problems.append("maxDistance must be a positive number of metres")
    return problems


def _check_web_service(body: Mapping[str, Any], *, allow_http: bool) -> list[str]:
    url = body.get("webServiceURL")
    token = body.get("authenticationToken")
    if url is None and token is None:
        return []
    problems: list[str] = []
    if not url or not token:
        problems.append("webServiceURL and authenticationToken go together")
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        problems.append(f"authenticationToken must be at least {MIN_TOKEN_LENGTH} characters")
    if url:
        schemes = ("https://", "http://") if allow_http else ("https://",)
        if not url.startswith(schemes):
            problems.append("webServiceURL must use https (http only in development mode)")
        if url.rstrip("/").endswith("/v1"):
            problems.append("webServiceURL must not end in /v1: the device adds /v1 itself")
    return problems
