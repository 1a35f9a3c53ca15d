"""Card designs: one wallet-neutral description that renders to Apple and Google cards.

A design is a folder ``templates/cards/<name>/`` holding ``design.toml`` and PNG images
(``icon``, ``logo``, ``strip`` at 1x/2x/3x in Apple's point sizes; optionally ``google_logo.png``,
``google_hero.png``, ``stamp.png``). :func:`load_design` reads and validates it, so a broken
design fails when it is loaded, with the file and key named, never while a pass is signed.
"""

from __future__ import annotations

import re
import string
import struct
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, NoReturn, cast

from passes.contacts import read_contacts, with_contact_labels
from passes.design_limits import check_field_counts, read_barcode_prefix, template_names
from passes.errors import DesignError
from passes.localization import read_language, read_translations

PrimaryValue = Literal["points", "stamps", "tier"]
BarcodeKind = Literal["qr", "pdf417", "aztec", "code128"]

#: Values a field template may reference, e.g. ``value = "{points}"``.
PLACEHOLDERS = frozenset(
    {
        "member_name",
        "points",
        "stamps",
        "stamps_required",
        "stamps_left",
        "tier",
        "discount_percent",
        "member_since",
        "points_expiring",
        "points_expire_on",
        "serial_number",
        "message",
        "program_name",
    }
)

# Apple's point sizes (width, height); "exact" images must match, others must fit inside.
_IMAGE_SLOTS: dict[str, tuple[int, int, bool]] = {
    "icon": (29, 29, True),
    "logo": (160, 50, False),
    "strip": (375, 123, False),
}
_GOOGLE_IMAGES: dict[str, tuple[int, int]] = {
    "google_logo.png": (660, 660),
    "google_hero.png": (1032, 336),
    "stamp.png": (512, 512),  # drawn into each stamp mark (passes/stamps.py)
}
_COLOUR_RE = re.compile(r"^#([0-9a-fA-F]{6})$")
_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One text field on the card: a stable key, a label and a value template."""

    key: str
    label: str
    value: str
    change_message: str | None = None
    placeholders: frozenset[str] = frozenset()  # names the value template references
    contact: str | None = None  # a [contacts] entry's kind (passes.contacts)

    def __post_init__(self) -> None:
        object.__setattr__(self, "placeholders", _placeholders(self.value))


@dataclass(frozen=True, slots=True)
class Colour:
    """An sRGB colour."""

    red: int
    green: int
    blue: int

    @property
    def hex(self) -> str:
        return f"#{self.red:02x}{self.green:02x}{self.blue:02x}"

    @property
    def css_rgb(self) -> str:
        """Apple's ``rgb(r, g, b)`` notation."""
        return f"rgb({self.red}, {self.green}, {self.blue})"


@dataclass(frozen=True, slots=True)
class CardDesign:
    """A validated card design. Images are held in memory, keyed by their file name."""

    name: str
    program_name: str
    organization_name: str
    description: str
    logo_text: str | None
    background: Colour
    foreground: Colour
    label_colour: Colour
    primary: PrimaryValue
    primary_label: str
    barcode: BarcodeKind
    header_fields: tuple[FieldSpec, ...]
    secondary_fields: tuple[FieldSpec, ...]
    auxiliary_fields: tuple[FieldSpec, ...]
    back_fields: tuple[FieldSpec, ...]
    change_messages: Mapping[str, str]
    relevant_text: str | None
    max_distance: int | None
    default_kind: Literal["points", "stamps"]
    stamps_required: int | None
    images: Mapping[str, bytes] = field(repr=False)
    rule_defaults: Mapping[str, Any] = field(default_factory=dict)
    barcode_prefix: str = ""  # before the card number in the barcode (passes.design_limits)
    language: str = "en-US"  # BCP 47 tag of the design's texts (Google's localized strings)
    # Other languages: text id -> language -> text (passes.localization names the text ids).
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def primary_for(self, *, has_stamps: bool) -> PrimaryValue:
        """The big field for a card: the design's choice, except that a stamp design used by
        a points program shows points (there are no stamps to show)."""
        if self.primary == "stamps" and not has_stamps:
            return "points"
        return self.primary

    def primary_label_for(self, primary: PrimaryValue) -> str:
        return self.primary_label if primary == self.primary else primary.upper()


def load_design(folder: Path) -> CardDesign:
    """Read and validate the design in ``folder``.

    Raises:
        DesignError: the folder, ``design.toml`` or an image is missing or invalid.
    """
    toml_path = folder / "design.toml"
    try:
        raw = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DesignError(toml_path, "", "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise DesignError(toml_path, "", f"not valid TOML: {exc}") from None
    reader = _TomlReader(toml_path, raw)

    program = reader.table("program")
    colours = reader.table("colors")
    card = reader.table("card")
    fields = reader.table("fields", required=False)
    messages = reader.table("change_messages", required=False)

    change_messages: dict[str, str] = {}
    for name, text in messages.items():
        key = f"change_messages.{name}"
        if name not in PLACEHOLDERS:
            reader.fail(key, f"unknown value {name!r}; expected one of {sorted(PLACEHOLDERS)}")
        if not isinstance(text, str) or "%@" not in text:
            reader.fail(key, "must be a string containing %@ (Wallet puts the new value there)")
        change_messages[name] = text

    primary = reader.choice(card, "card.primary", ("points", "stamps", "tier"))
    default_kind = reader.choice(
        program,
        "program.kind",
        ("points", "stamps"),
        default="stamps" if primary == "stamps" else "points",
    )
    stamps_required = reader.integer(
        program, "program.stamps_required", required=False, low=1, high=50
    )
    if default_kind == "stamps" and stamps_required is None:
        reader.fail("program.stamps_required", "required when program.kind is 'stamps'")

    groups = {
        group: tuple(reader.fields(fields, group))
        for group in ("header", "secondary", "auxiliary", "back")
    }
    contacts = reader.table("contacts", required=False)
    taken = [spec.key for specs in groups.values() for spec in specs]
    groups["back"] += read_contacts(contacts, program.get("language", "en-US"), taken, reader.fail)
    barcode = reader.choice(
        card, "card.barcode", ("qr", "pdf417", "aztec", "code128"), default="qr"
    )
    check_field_counts(reader.fail, groups, barcode=barcode, primary=primary)

    design = CardDesign(
        name=folder.name,
        program_name=reader.text(program, "program.name", max_length=60),
        organization_name=reader.text(program, "program.organization", max_length=60),
        description=reader.text(program, "program.description", max_length=200),
        logo_text=reader.text(program, "program.logo_text", required=False, max_length=30),
        background=reader.colour(colours, "colors.background"),
        foreground=reader.colour(colours, "colors.foreground"),
        label_colour=reader.colour(colours, "colors.label"),
        primary=cast(PrimaryValue, primary),
        primary_label=reader.text(card, "card.primary_label", required=False, max_length=30)
        or primary.upper(),
        barcode=cast(BarcodeKind, barcode),
        barcode_prefix=read_barcode_prefix(card, reader.fail),
        header_fields=groups["header"],
        secondary_fields=groups["secondary"],
        auxiliary_fields=groups["auxiliary"],
        back_fields=groups["back"],
        change_messages=change_messages,
        relevant_text=reader.text(card, "card.relevant_text", required=False, max_length=100),
        max_distance=reader.integer(card, "card.max_distance", required=False, low=1, high=10_000),
        default_kind=cast(Literal["points", "stamps"], default_kind),
        stamps_required=stamps_required,
        images=_load_images(folder),
        rule_defaults=reader.table("rules", required=False),
        language=read_language(program.get("language", "en-US"), "program.language", reader.fail),
    )
    translations = read_translations(raw.get("translations"), design, reader.fail)
    translations = with_contact_labels(design, translations, reader.fail)
    return replace(design, translations=translations) if translations else design


def load_designs(root: Path) -> dict[str, CardDesign]:
    """Load every design folder under ``root`` (folders holding a ``design.toml``).

    Raises:
        DesignError: any design is invalid; one bad design stops start-up.
    """
    return {
        path.parent.name: load_design(path.parent) for path in sorted(root.glob("*/design.toml"))
    }


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk.

    Raises:
        ValueError: ``data`` is not a PNG.
    """
    if len(data) < 24 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _placeholders(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def _load_images(folder: Path) -> dict[str, bytes]:
    images: dict[str, bytes] = {}
    for slot, (width, height, is_exact) in _IMAGE_SLOTS.items():
        for scale, suffix in ((1, ""), (2, "@2x"), (3, "@3x")):
            name = f"{slot}{suffix}.png"
            path = folder / name
            if not path.exists():
                if slot == "icon":
                    raise DesignError(
                        path, "", "missing: every pass needs an icon at 1x, 2x and 3x"
                    )
                continue
            data = path.read_bytes()
            _check_png(path, data, width * scale, height * scale, is_exact=is_exact)
            images[name] = data
        has_scaled = any(n.startswith(f"{slot}@") for n in images)
        if slot != "icon" and has_scaled and f"{slot}.png" not in images:
            raise DesignError(folder / f"{slot}.png", "", "missing: @2x/@3x given without 1x")
    for name, (width, height) in _GOOGLE_IMAGES.items():
        path = folder / name
        if path.exists():
            data = path.read_bytes()
            _check_png(path, data, width, height, is_exact=False)
            images[name] = data
    return images


def _check_png(path: Path, data: bytes, width: int, height: int, *, is_exact: bool) -> None:
    try:
        actual = png_size(data)
    except ValueError:
        raise DesignError(path, "", "not a PNG file") from None
    fits = actual == (width, height) if is_exact else actual[0] <= width and actual[1] <= height
    if not fits:
        want = "exactly" if is_exact else "at most"
        size = f"{actual[0]}x{actual[1]}"
        raise DesignError(path, "", f"is {size} px, must be {want} {width}x{height}")


class _TomlReader:
    """Typed access to the parsed TOML that names the file and key in every error."""

    def __init__(self, path: Path, raw: dict[str, Any]) -> None:
        self.path = path
        self.raw = raw

    def fail(self, key: str, message: str) -> NoReturn:
        raise DesignError(self.path, key, message)

    def table(self, name: str, *, required: bool = True) -> dict[str, Any]:
        value = self.raw.get(name)
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.fail(name, "missing table" if value is None else "must be a table")
        return cast(dict[str, Any], value)

    def text(
        self, table: dict[str, Any], key: str, *, required: bool = True, max_length: int
    ) -> str:
        value = table.get(key.rsplit(".", 1)[-1])
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail(key, "missing" if value is None else "must be a non-empty string")
        if len(value) > max_length:
            self.fail(key, f"at most {max_length} characters (has {len(value)})")
        return value

    def integer(
        self, table: dict[str, Any], key: str, *, required: bool = True, low: int, high: int
    ) -> int | None:
        value = table.get(key.rsplit(".", 1)[-1])
        if value is None and not required:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            self.fail(key, f"must be a whole number from {low} to {high}")
        return value

    def choice(
        self,
        table: dict[str, Any],
        key: str,
        options: tuple[str, ...],
        *,
        default: str | None = None,
    ) -> str:
        value = table.get(key.rsplit(".", 1)[-1], default)
        if not isinstance(value, str) or value not in options:
            self.fail(key, f"must be one of {', '.join(options)} (got {value!r})")
        return value

    def colour(self, table: dict[str, Any], key: str) -> Colour:
        value = table.get(key.rsplit(".", 1)[-1])
        match = _COLOUR_RE.match(value) if isinstance(value, str) else None
        if match is None:
            self.fail(key, f"must be a colour like '#3b2418' (got {value!r})")
        number = int(match.group(1), 16)
        return Colour(number >> 16, (number >> 8) & 0xFF, number & 0xFF)

    def fields(self, fields: dict[str, Any], group: str) -> list[FieldSpec]:
        items = fields.get(group, [])
        key = f"fields.{group}"
        if not isinstance(items, list):
            self.fail(key, f"must be an array of tables ([[fields.{group}]])")
        specs: list[FieldSpec] = []
        for index, item in enumerate(items):
            where = f"{key}[{index}]"
            if not isinstance(item, dict):
                self.fail(where, "must be a table")
            field_key = item.get("key")
            if not isinstance(field_key, str) or not _KEY_RE.match(field_key):
                self.fail(f"{where}.key", "must be a short identifier (letters, digits, _)")
            value = self.text(item, f"{where}.value", max_length=500)
            unknown = template_names(value) - PLACEHOLDERS
            if unknown:
                self.fail(f"{where}.value", f"unknown placeholder(s) {sorted(unknown)}")
            label = item.get("label", "")
            if not isinstance(label, str) or len(label) > 40:
                self.fail(f"{where}.label", "must be a string of at most 40 characters")
            change = item.get("change_message")
            if change is not None and (not isinstance(change, str) or "%@" not in change):
                self.fail(f"{where}.change_message", "must contain %@")
            specs.append(FieldSpec(key=field_key, label=label, value=value, change_message=change))
        return specs
