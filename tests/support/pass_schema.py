"""A JSON Schema of Apple's documented pass.json keys for store cards, written for these tests
from Apple's PassKit Package Format Reference (independent of passes/apple/limits.py).

``additionalProperties: false`` everywhere: a key Apple does not document (py-pkpass's
``distance``) fails the test.
"""

from __future__ import annotations

from typing import Any

_RGB = {"type": "string", "pattern": r"^rgb\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\)$"}
_W3C = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$",
}
_FIELD: dict[str, Any] = {
    "type": "object",
    "required": ["key", "value"],
    "additionalProperties": False,
    "properties": {
        "key": {"type": "string", "minLength": 1},
        "value": {"type": ["string", "number"]},
        "label": {"type": "string"},
        "changeMessage": {"type": "string", "pattern": "%@"},
        "attributedValue": {"type": ["string", "number"]},
        "textAlignment": {
            "enum": [
                "PKTextAlignmentLeft",
                "PKTextAlignmentCenter",
                "PKTextAlignmentRight",
                "PKTextAlignmentNatural",
            ]
        },
        "dateStyle": {
            "enum": [
                "PKDateStyleNone",
                "PKDateStyleShort",
                "PKDateStyleMedium",
                "PKDateStyleLong",
                "PKDateStyleFull",
            ]
        },
        "timeStyle": {
            "enum": [
                "PKDateStyleNone",
                "PKDateStyleShort",
                "PKDateStyleMedium",
                "PKDateStyleLong",
                "PKDateStyleFull",
            ]
        },
        "isRelative": {"type": "boolean"},
        "ignoresTimeZone": {"type": "boolean"},
        "currencyCode": {"type": "string"},
        "numberStyle": {"type": "string"},
        "dataDetectorTypes": {"type": "array"},
        "semantics": {"type": "object"},
        "row": {"enum": [0, 1]},
    },
}
_FIELDS = {"type": "array", "items": _FIELD}

PASS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "description",
        "formatVersion",
        "organizationName",
        "passTypeIdentifier",
        "serialNumber",
        "teamIdentifier",
        "storeCard",
    ],
    "additionalProperties": False,
    "properties": {
        "description": {"type": "string", "minLength": 1},
        "formatVersion": {"const": 1},
        "organizationName": {"type": "string", "minLength": 1},
        "passTypeIdentifier": {"type": "string", "pattern": r"^pass\.[A-Za-z0-9.\-]+$"},
        "serialNumber": {"type": "string", "minLength": 1},
        "teamIdentifier": {"type": "string", "minLength": 1},
        "storeCard": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "headerFields": {**_FIELDS, "maxItems": 3},
                "primaryFields": {**_FIELDS, "maxItems": 1},
                "secondaryFields": {**_FIELDS, "maxItems": 4},
                "auxiliaryFields": {**_FIELDS, "maxItems": 4},
                "backFields": _FIELDS,
            },
        },
        "backgroundColor": _RGB,
        "foregroundColor": _RGB,
        "labelColor": _RGB,
        "logoText": {"type": "string"},
        "barcodes": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["format", "message", "messageEncoding"],
                "additionalProperties": False,
                "properties": {
                    "format": {
                        "enum": [
                            "PKBarcodeFormatQR",
                            "PKBarcodeFormatPDF417",
                            "PKBarcodeFormatAztec",
                            "PKBarcodeFormatCode128",
                        ]
                    },
                    "message": {"type": "string", "minLength": 1},
                    "messageEncoding": {"type": "string"},
                    "altText": {"type": "string"},
                },
            },
        },
        "locations": {
            "type": "array",
            "maxItems": 10,
            "items": {
                "type": "object",
                "required": ["latitude", "longitude"],
                "additionalProperties": False,
                "properties": {
                    "latitude": {"type": "number", "minimum": -90, "maximum": 90},
                    "longitude": {"type": "number", "minimum": -180, "maximum": 180},
                    "altitude": {"type": "number"},
                    "relevantText": {"type": "string"},
                },
            },
        },
        "beacons": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["proximityUUID"],
                "additionalProperties": False,
                "properties": {
                    "proximityUUID": {"type": "string"},
                    "major": {"type": "integer", "minimum": 0, "maximum": 65535},
                    "minor": {"type": "integer", "minimum": 0, "maximum": 65535},
                    "relevantText": {"type": "string"},
                },
            },
        },
        "maxDistance": {"type": "number", "exclusiveMinimum": 0},
        "relevantDate": _W3C,
        "relevantDates": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "date": _W3C,
                    "relevantDate": _W3C,
                    "startDate": _W3C,
                    "endDate": _W3C,
                },
            },
        },
        "expirationDate": _W3C,
        "voided": {"type": "boolean"},
        "sharingProhibited": {"type": "boolean"},
        "webServiceURL": {"type": "string", "pattern": r"^https?://"},
        "authenticationToken": {"type": "string", "minLength": 16},
        "userInfo": {"type": "object"},
        "associatedStoreIdentifiers": {"type": "array", "items": {"type": "integer"}},
        "appLaunchURL": {"type": "string"},
        "semantics": {"type": "object"},
        "nfc": {"type": "object"},
        "suppressStripShine": {"type": "boolean"},
    },
}
