"""``pass.json`` for a store card (Apple's PassKit Package Format: pass.json keys).

Built on py-pkpass's pass model, subclassed where it falls short: py-pkpass writes keys
Wallet does not know (``distance: null``), empty ``changeMessage`` and default
``textAlignment`` on every field, ``suppressStripShine: false`` and a deprecated singular
``barcode``; it has no ``maxDistance``, ``relevantDates`` or ``semantics``. The subclasses below
emit only what is set, in camelCase, and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from py_pkpass.models import Barcode, Field, IBeacon, Location, Pass, StoreCard

from passes.contacts import DATA_DETECTORS
from passes.design import FieldSpec
from passes.models import Beacon, RelevantInterval
from passes.models import Location as CardLocation
from passes.values import render_text

BARCODE_FORMATS: Mapping[str, str] = {
    "qr": "PKBarcodeFormatQR",
    "pdf417": "PKBarcodeFormatPDF417",
    "aztec": "PKBarcodeFormatAztec",
    "code128": "PKBarcodeFormatCode128",
}
_DATE_PLACEHOLDERS = frozenset({"member_since", "points_expire_on"})
_NUMBER_PLACEHOLDERS = frozenset({"points", "stamps", "stamps_required", "stamps_left"})


class CardField(Field):  # type: ignore[misc]  # py-pkpass is untyped
    """A pass field that emits only the keys that are set."""

    def __init__(
        self,
        key: str,
        value: str | int,
        label: str = "",
        *,
        change_message: str | None = None,
        is_date: bool = False,
    ) -> None:
        super().__init__(key, value, label)
        self.changeMessage = change_message
        self.is_date = is_date
        self.data_detectors: list[str] | None = None  # None: Wallet's default (all of them)

    def json_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"key": self.key, "value": self.value}
        if self.label:
            body["label"] = self.label
        if self.changeMessage:
            body["changeMessage"] = self.changeMessage
        if self.is_date:
            body.update(dateStyle="PKDateStyleMedium", timeStyle="PKDateStyleNone")
            body["ignoresTimeZone"] = True
        if self.data_detectors is not None:
            body["dataDetectorTypes"] = self.data_detectors
        return body


class StoreLocation(Location):  # type: ignore[misc]
    """A location without py-pkpass's non-Apple ``distance`` key."""

    def __init__(self, location: CardLocation, relevant_text: str | None) -> None:
        super().__init__(location.latitude, location.longitude, location.altitude or 0.0)
        self.has_altitude = location.altitude is not None
        self.relevantText = relevant_text

    def json_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"latitude": self.latitude, "longitude": self.longitude}
        if self.has_altitude:
            body["altitude"] = self.altitude
        if self.relevantText:
            body["relevantText"] = self.relevantText
        return body


class StoreBeacon(IBeacon):  # type: ignore[misc]
    """An iBeacon whose ``major``/``minor`` are omitted when unset (a chain-wide UUID)."""

    def __init__(self, beacon: Beacon, relevant_text: str | None) -> None:
        super().__init__(beacon.proximity_uuid, beacon.major, beacon.minor)
        self.relevantText = relevant_text

    def json_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"proximityUUID": self.proximityUUID}
        if self.major is not None:
            body["major"] = self.major
        if self.minor is not None:
            body["minor"] = self.minor
        if self.relevantText:
            body["relevantText"] = self.relevantText
        return body


class StoreCardPass(Pass):  # type: ignore[misc]
    """py-pkpass's ``Pass`` with the keys it lacks and without the junk it adds."""

    def __init__(self, **identity: str) -> None:
        super().__init__(StoreCard(), **identity)
        self.max_distance: int | None = None
        self.relevant_dates: list[dict[str, str]] = []
        self.semantics: dict[str, Any] | None = None
        self.barcode_list: list[Barcode] = []

    def json_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = super().json_dict()
        body.pop("suppressStripShine", None)
        body.pop("barcode", None)
        if self.barcode_list:
            body["barcodes"] = [dict(b.json_dict()) for b in self.barcode_list]
        if self.locations:
            body["locations"] = [loc.json_dict() for loc in self.locations]
        if self.ibeacons:
            body["beacons"] = [beacon.json_dict() for beacon in self.ibeacons]
        if self.max_distance is not None:
            body["maxDistance"] = self.max_distance
        if self.relevant_dates:
            body["relevantDates"] = self.relevant_dates
        if self.semantics:
            body["semantics"] = self.semantics
        return body


def render_field(
    spec: FieldSpec, values: Mapping[str, object], change_message: str | None
) -> CardField | None:
    """Render one field; ``None`` when a value it shows is missing (Apple needs a value).
    A contact (a phone, a website, ...) carries the data detector that makes it tappable."""
    rendered = _render_field(spec, values, change_message)
    if rendered is not None and spec.contact is not None:
        rendered.data_detectors = list(DATA_DETECTORS[spec.contact])
    return rendered


def _render_field(
    spec: FieldSpec, values: Mapping[str, object], change_message: str | None
) -> CardField | None:
    names = spec.placeholders
    text = render_text(spec, values)
    if text is None:
        return None
    name = next(iter(names)) if len(names) == 1 else ""
    if name and spec.value == "{" + name + "}":
        value = values[name]
        if name in _DATE_PLACEHOLDERS and isinstance(value, date):
            stamp = datetime(value.year, value.month, value.day, 12, tzinfo=UTC)
            return CardField(
                spec.key, stamp.strftime("%Y-%m-%dT%H:%M:%SZ"), spec.label, is_date=True
            )
        if name in _NUMBER_PLACEHOLDERS and isinstance(value, int):
            return CardField(spec.key, value, spec.label, change_message=change_message)
    return CardField(spec.key, text, spec.label, change_message=change_message)


def relevant_dates_json(intervals: tuple[RelevantInterval, ...]) -> list[dict[str, str]]:
    """``relevantDates`` entries; single dates carry both ``date`` (iOS 26) and ``relevantDate``."""
    result: list[dict[str, str]] = []
    for interval in intervals:
        start = w3c_timestamp(interval.start)
        if interval.end is None:
            result.append({"date": start, "relevantDate": start})
        else:
            result.append({"startDate": start, "endDate": w3c_timestamp(interval.end)})
    return result


def w3c_timestamp(moment: datetime) -> str:
    """A W3C timestamp with its offset; naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
