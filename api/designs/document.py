"""Design documents: JSON to a validated :class:`passes.CardDesign`, the neutral design a
program gets when none is chosen, and the shipped designs as starter documents.

``passes`` validates designs as a folder (``design.toml`` + PNGs), so a document is written
as TOML with its images into a temporary folder and loaded: one validation for both.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PIL import Image

from passes import CardDesign, load_design

#: The image files a design may hold (passes checks their sizes).
IMAGE_NAMES = frozenset(
    [f"{slot}{suffix}.png" for slot in ("icon", "logo", "strip") for suffix in ("", "@2x", "@3x")]
    + ["google_logo.png", "google_hero.png", "stamp.png"]
)
NEUTRAL_BACKGROUND = "#1f2933"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_design(name: str, document: Mapping[str, Any], images: Mapping[str, bytes]) -> CardDesign:
    """The validated design of ``document`` with ``images`` (file name -> bytes).

    Raises:
        DesignError: names the key (``colors.background``) or the image file that is wrong.
    """
    with tempfile.TemporaryDirectory() as root:
        folder = Path(root) / name
        folder.mkdir()
        body = {key: value for key, value in document.items() if key != "images"}
        (folder / "design.toml").write_text(to_toml(body), encoding="utf-8")
        for file_name, data in images.items():
            if file_name in IMAGE_NAMES:
                (folder / file_name).write_bytes(data)
        return load_design(folder)


def to_toml(document: Mapping[str, Any]) -> str:
    """``document`` as TOML: one line per top-level key, inline tables and arrays."""
    return "".join(f"{_key(key)} = {_value(value)}\n" for key, value in document.items())


def _key(key: str) -> str:
    return _string(str(key))


def _string(text: str) -> str:
    # JSON's string escapes are TOML's basic-string escapes; TOML also forbids a raw DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"not a design value: {type(value).__name__}")


#: How long a name the wallets show whole (passes' length limits: Google cuts issuer and
#: program names after 20 characters); the neutral design stays publishable as it is.
NAME_ROOM = 20


def clip(text: str, room: int) -> str:
    """``text`` cut to ``room`` characters at a word where it can be, with an ellipsis."""
    if len(text) <= room:
        return text
    cut = text[: room - 1]
    word = cut.rsplit(" ", 1)[0] if " " in cut.strip() else cut
    return (word if len(word) >= room // 2 else cut).rstrip(" ,.-") + "\u2026"


def neutral_document(
    merchant_name: str, program_name: str, *, stamps_required: int | None
) -> dict[str, Any]:
    """A plain design showing only the merchant's and program's own names.

    Its texts are English (the default, ``en-US``) with Russian translations, so a phone set
    to Russian shows Russian labels and messages; the names are the merchant's own, as typed.
    (Programs store no language, so the default stays English: guessing one from the names'
    alphabet would be wrong for a merchant who writes in both.)
    """
    full_organization = merchant_name.strip() or program_name.strip()
    full_name = program_name.strip() or full_organization
    organization, name = clip(full_organization, NAME_ROOM), clip(full_name, NAME_ROOM)
    stamps = stamps_required is not None
    primary = "stamps" if stamps else "points"
    program: dict[str, Any] = {
        "name": name,
        "organization": organization,
        "description": f"{full_name[:60]}: loyalty card"[:200],
        "logo_text": organization,
        "kind": primary,
    }
    if stamps:
        program["stamps_required"] = stamps_required
    return {
        "program": program,
        "colors": {"background": NEUTRAL_BACKGROUND, "foreground": "#ffffff", "label": "#cbd2d9"},
        "card": {"primary": primary, "primary_label": primary.upper(), "barcode": "qr"},
        "change_messages": {
            "points": "You have %@ points",
            "stamps": "Stamps on your card: %@",
            "tier": "You are now %@",
            "message": "%@",
        },
        "fields": {
            "secondary": [{"key": "member", "label": "MEMBER", "value": "{member_name}"}],
            "back": [
                {"key": "news", "label": "Latest news", "value": "{message}"},
                {"key": "card_number", "label": "Card number", "value": "{serial_number}"},
            ],
        },
        "translations": {"ru": _neutral_russian(full_name[:60], primary)},
    }


def _neutral_russian(name: str, primary: str) -> dict[str, Any]:
    return {
        "program": {"description": f"{name}: карта лояльности"[:200]},
        "card": {"primary_label": "ШТАМПЫ" if primary == "stamps" else "БАЛЛЫ"},
        "change_messages": {
            "points": "У вас %@ баллов",
            "stamps": "Штампов на карте: %@",
            "tier": "Ваш уровень: %@",
            "message": "%@",
        },
        "fields": {
            "member": {"label": "УЧАСТНИК"},
            "news": {"label": "Новости"},
            "card_number": {"label": "Номер карты"},
        },
    }


def neutral_images() -> dict[str, bytes]:
    """The neutral design's icon and Google logo: plain squares in its background colour."""
    sizes = (("icon.png", 29), ("icon@2x.png", 58), ("icon@3x.png", 87), ("google_logo.png", 330))
    return {name: _square(size, NEUTRAL_BACKGROUND) for name, size in sizes}


def _square(size: int, colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, format="PNG", optimize=True)
    return out.getvalue()


def starter_document(folder: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """A shipped design (``templates/cards/<name>``) as a document and its images."""
    document = tomllib.loads((folder / "design.toml").read_text(encoding="utf-8"))
    images = {
        name: (folder / name).read_bytes() for name in IMAGE_NAMES if (folder / name).exists()
    }
    return document, images
