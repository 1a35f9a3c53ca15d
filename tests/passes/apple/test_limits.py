"""Apple's limits, checked on hand-made pass.json bodies (one broken rule per case)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from passes import PassValidationError
from passes.apple.limits import validate_pass

Body = dict[str, Any]
FILES = {"icon.png"}


def valid() -> Body:
    return {
        "description": "Card",
        "formatVersion": 1,
        "organizationName": "Shop",
        "passTypeIdentifier": "pass.example.card",
        "serialNumber": "1",
        "teamIdentifier": "TEAM",
        "backgroundColor": "rgb(1, 2, 3)",
        "storeCard": {
            "primaryFields": [{"key": "points", "value": 1, "changeMessage": "Now %@"}],
            "secondaryFields": [{"key": "a", "value": "x"}],
        },
        "barcodes": [
            {"format": "PKBarcodeFormatQR", "message": "1", "messageEncoding": "iso-8859-1"}
        ],
        "webServiceURL": "https://example.com/apple",
        "authenticationToken": "t" * 16,
        "beacons": [{"proximityUUID": "U", "major": 1}],
        "maxDistance": 50,
    }


def set_key(key: str, value: Any) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        body[key] = value

    return change


def in_store(group: str, fields: list[Body]) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        body["storeCard"][group] = fields

    return change


CASES: list[tuple[str, Callable[[Body], None], str]] = [
    ("missing description", lambda b: b.pop("description"), "missing required key description"),
    ("format version", set_key("formatVersion", 2), "formatVersion must be 1"),
    ("two styles", set_key("coupon", {}), "exactly one style key"),
    ("bad colour", set_key("backgroundColor", "rgb(300, 0, 0)"), "backgroundColor"),
    ("colour name", set_key("labelColor", "red"), "labelColor"),
    ("field without key", in_store("auxiliaryFields", [{"value": 1}]), "has no key"),
    ("duplicate key", in_store("auxiliaryFields", [{"key": "a", "value": 1}]), "used twice"),
    ("no value", in_store("auxiliaryFields", [{"key": "b", "value": ""}]), "has no value"),
    (
        "change message",
        in_store("auxiliaryFields", [{"key": "b", "value": 1, "changeMessage": "changed"}]),
        "must contain %@",
    ),
    (
        "four header fields",
        in_store("headerFields", [{"key": f"h{i}", "value": 1} for i in range(4)]),
        "at most 3 headerFields",
    ),
    (
        "two primary fields",
        in_store("primaryFields", [{"key": f"p{i}", "value": 1} for i in range(2)]),
        "at most 1 primaryFields",
    ),
    (
        "crowded square barcode",
        in_store("auxiliaryFields", [{"key": f"x{i}", "value": 1} for i in range(4)]),
        "total at most 4",
    ),
    ("barcode message", set_key("barcodes", [{"format": "PKBarcodeFormatQR"}]), "no message"),
    (
        "barcode format",
        set_key("barcodes", [{"format": "EAN", "message": "1", "messageEncoding": "x"}]),
        "unknown barcode format",
    ),
    ("longitude", set_key("locations", [{"latitude": 1, "longitude": 200}]), "longitude"),
    ("beacon major", set_key("beacons", [{"proximityUUID": "U", "major": 70000}]), "0-65535"),
    ("max distance", set_key("maxDistance", 0), "maxDistance"),
    ("token without url", lambda b: b.pop("webServiceURL"), "go together"),
    ("ftp url", set_key("webServiceURL", "ftp://example.com"), "must use https"),
]


@pytest.mark.parametrize(("mutate", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_broken_rule_is_named(mutate: Callable[[Body], None], message: str) -> None:
    body = copy.deepcopy(valid())
    mutate(body)
    with pytest.raises(PassValidationError, match=message):
        validate_pass(body, FILES)


def test_valid_body_passes() -> None:
    validate_pass(valid(), FILES)


def test_icon_is_required() -> None:
    with pytest.raises(PassValidationError, match="icon.png is missing"):
        validate_pass(valid(), set())


def test_all_problems_are_reported_at_once() -> None:
    body = valid()
    body["formatVersion"] = 3
    body["authenticationToken"] = "short"
    with pytest.raises(PassValidationError) as info:
        validate_pass(body, FILES)
    assert len(info.value.problems) == 2
