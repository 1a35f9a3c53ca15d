"""The console's design form: a design document shown as form fields and read back from them.

The editor shows each text in Russian and English (two tabs). A document keeps its texts in
its default language (``program.language``) in place and the other language under
``translations.<language>``; the form names every text by tab and text id
(``t.ru.program.name``, ``t.en.fields.how.value``), so choosing the other default language
swaps the two without losing a word. Everything the form does not show (rules, images,
change messages, the front fields) is kept as it is in the draft.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from passes import MIN_TEXT_CONTRAST, parse_colour
from passes import contrast_ratio as passes_contrast_ratio

TABS = ("ru", "en")
BARCODES = ("qr", "pdf417", "aztec", "code128")
COLOURS = ("background", "foreground", "label")
LOW_CONTRAST = MIN_TEXT_CONTRAST  # WCAG 2.x AA for normal text
#: The texts of the card the editor shows in each language, besides the back fields.
CARD_TEXTS = (
    "program.organization",
    "program.name",
    "program.logo_text",
    "program.description",
    "card.primary_label",
)
#: Back fields every merchant is offered (added to the design when given a value).
STANDARD_BACK = ("how", "terms", "contacts", "website", "phone", "hours")
_COLOUR_RE = re.compile(r"^#([0-9a-fA-F]{6})$")
_BACK_ERROR = re.compile(r"^fields\.back\[(\d+)\]\.(label|value)$")


@dataclass(frozen=True, slots=True)
class BackField:
    key: str
    is_standard: bool  # offered by the editor, not yet on the card


@dataclass(frozen=True, slots=True)
class DesignForm:
    """What the editor's form shows: ``texts[tab][text id]``, colours, barcode, language."""

    language: str  # the tab of the design's default language
    texts: dict[str, dict[str, str]]
    colours: dict[str, str]
    barcode: str
    back: tuple[BackField, ...]
    warnings: tuple[tuple[str, float], ...]  # (colour name, contrast ratio) below LOW_CONTRAST


def tab_of(language: str) -> str:
    """The editor's tab of a BCP 47 tag (``en-US`` -> ``en``); other languages -> ``en``."""
    base = language.split("-", 1)[0].lower()
    return base if base in TABS else "en"


def language_of(document: Mapping[str, Any]) -> str:
    value = document.get("program", {}).get("language", "en-US")
    return value if isinstance(value, str) else "en-US"


def form_of(document: Mapping[str, Any], standard_labels: Mapping[str, Mapping[str, str]]) -> (
    DesignForm
):  # fmt: skip
    """The form of a draft. ``standard_labels[tab][key]`` labels a standard back field."""
    language = language_of(document)
    base = tab_of(language)
    back = _back_fields(document)
    texts: dict[str, dict[str, str]] = {}
    for tab in TABS:
        if tab == base:
            shown = base_texts(document)
        else:
            shown = translated_texts(document, _translation_key(document, tab, language))
        for field in back:
            if field.is_standard:
                shown.setdefault(f"fields.{field.key}.label", standard_labels[tab][field.key])
        texts[tab] = shown
    colours = {name: _hex(document.get("colors", {}).get(name)) for name in COLOURS}
    barcode = str(document.get("card", {}).get("barcode", "qr"))
    return DesignForm(base, texts, colours, barcode, back, contrast_warnings(colours))


def document_of(
    draft: Mapping[str, Any], fields: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The draft with the form's values, and how each design field maps to a form field (so
    an error can be shown next to the field that caused it)."""
    document: dict[str, Any] = copy.deepcopy(dict(draft))
    old_language = language_of(document)
    chosen = fields.get("language", tab_of(old_language))
    base = chosen if chosen in TABS else tab_of(old_language)
    if base != tab_of(old_language):
        _swap_language(document, old_language, base)
    language = language_of(document)
    other = next(tab for tab in TABS if tab != base)
    other_key = _translation_key(document, other, language)
    where: dict[str, str] = {}
    program = document.setdefault("program", {})
    card = document.setdefault("card", {})

    def typed(text_id: str) -> str:
        """A text in the main language; one left empty there takes the other's (what the
        empty field showed, as after choosing the other main language)."""
        own = fields.get(f"t.{base}.{text_id}", "").strip()
        return own or fields.get(f"t.{other}.{text_id}", "").strip()

    for text_id in CARD_TEXTS:
        _set(document, text_id, typed(text_id))
        where[text_id] = f"t.{base}.{text_id}"
    if not program.get("logo_text"):
        program.pop("logo_text", None)
    back: list[dict[str, Any]] = []
    for field in _back_fields(draft):
        value = typed(f"fields.{field.key}.value")
        if not value:
            continue  # a back field emptied in both languages leaves the card
        spec = next((dict(s) for s in _back_specs(document) if s.get("key") == field.key), {})
        spec.update(key=field.key, value=value)
        spec["label"] = typed(f"fields.{field.key}.label")
        for part in ("label", "value"):
            where[f"fields.back[{len(back)}].{part}"] = f"t.{base}.fields.{field.key}.{part}"
        back.append(spec)
    document.setdefault("fields", {})["back"] = back
    translated = _other_texts(fields, other, {s["key"] for s in back})
    for text_id in translated:
        where[f"translations.{other_key}.{text_id}"] = f"t.{other}.{text_id}"
    _replace_translation(document, other_key, translated)
    colours = document.setdefault("colors", {})
    for name in COLOURS:
        colours[name] = fields.get(f"colors.{name}", colours.get(name, ""))
        where[f"colors.{name}"] = f"colors.{name}"
    card["barcode"] = fields.get("barcode", card.get("barcode", "qr"))
    where["card.barcode"] = "barcode"
    return document, where


def form_field_of(field: str | None, where: Mapping[str, str]) -> str | None:
    """The form field a design error's ``field`` is about, or None (shown above the form)."""
    if field is None:
        return None
    if field in where:
        return where[field]
    match = _BACK_ERROR.match(field)
    return where.get(f"fields.back[{match.group(1)}].value") if match else None


def contrast_ratio(first: str, second: str) -> float:
    """The WCAG 2.x contrast ratio of two ``#rrggbb`` colours (1 to 21), as passes computes
    it for the draft's warnings."""
    one, two = parse_colour(first), parse_colour(second)
    if one is None or two is None:
        raise ValueError(f"not #rrggbb colours: {first!r}, {second!r}")
    return passes_contrast_ratio(one, two)


def contrast_warnings(colours: Mapping[str, str]) -> tuple[tuple[str, float], ...]:
    """The text colours (foreground, label) too close to the background to read easily."""
    background = colours.get("background", "")
    found: list[tuple[str, float]] = []
    for name in ("foreground", "label"):
        if _COLOUR_RE.match(background) and _COLOUR_RE.match(colours.get(name, "")):
            ratio = contrast_ratio(colours[name], background)
            if ratio < LOW_CONTRAST:
                found.append((name, math.floor(ratio * 10) / 10))  # 4.48 is not 4.5
    return tuple(found)


def base_texts(document: Mapping[str, Any]) -> dict[str, str]:
    """The texts the editor shows, in the design's default language (text id -> text)."""
    texts = {text_id: str(_get(document, text_id) or "") for text_id in CARD_TEXTS}
    for spec in _back_specs(document):
        for part in ("label", "value"):
            texts[f"fields.{spec['key']}.{part}"] = str(spec.get(part) or "")
    return texts


def translated_texts(document: Mapping[str, Any], key: str) -> dict[str, str]:
    table = document.get("translations", {}).get(key, {})
    return {k: str(v) for k, v in _flatten(table).items()} if isinstance(table, dict) else {}


def _back_specs(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    specs = document.get("fields", {}).get("back", [])
    return [s for s in specs if isinstance(s, dict) and isinstance(s.get("key"), str)]


def _back_fields(document: Mapping[str, Any]) -> tuple[BackField, ...]:
    present = [spec["key"] for spec in _back_specs(document)]
    offered = [key for key in STANDARD_BACK if key not in present]
    return tuple(BackField(k, False) for k in present) + tuple(BackField(k, True) for k in offered)


def _other_texts(fields: Mapping[str, str], tab: str, back: set[str]) -> dict[str, str]:
    prefix = f"t.{tab}."
    texts: dict[str, str] = {}
    for name, value in fields.items():
        text_id = name.removeprefix(prefix)
        if name == text_id or not value.strip():
            continue  # a text left empty shows the default language's
        is_back = text_id.startswith("fields.") and text_id.split(".")[1] in back
        if text_id in CARD_TEXTS or is_back:
            texts[text_id] = value.strip()
    return texts


def _replace_translation(document: dict[str, Any], key: str, texts: Mapping[str, str]) -> None:
    """Put the form's texts of one language over the ones it shows; others are kept (the
    change messages' and front fields' translations)."""
    translations = document.setdefault("translations", {})
    kept = {
        text_id: text
        for text_id, text in _flatten(translations.get(key, {})).items()
        if not _is_form_text(text_id, document)
    }
    merged = {**kept, **texts}
    if merged:
        translations[key] = _nest(merged)
    else:
        translations.pop(key, None)
    if not translations:
        document.pop("translations")


def _is_form_text(text_id: str, document: Mapping[str, Any]) -> bool:
    if text_id in CARD_TEXTS:
        return True
    parts = text_id.split(".")
    back = {s["key"] for s in _back_specs(document)} | set(STANDARD_BACK)
    return parts[0] == "fields" and len(parts) == 3 and parts[1] in back


def _swap_language(document: dict[str, Any], old: str, tab: str) -> None:
    """Make ``tab`` the default language: its translations go in place, the old default
    texts become a translation (every text keeps its words)."""
    translations = document.setdefault("translations", {})
    new_key = _translation_key(document, tab, old)
    incoming = _flatten(translations.pop(new_key, {}))
    outgoing = {text_id: _get(document, text_id) for text_id in _all_text_ids(document)}
    for text_id, text in incoming.items():
        _set(document, text_id, str(text))
    translations[old] = _nest({k: str(v) for k, v in outgoing.items() if v})
    document["program"]["language"] = tab


def _translation_key(document: Mapping[str, Any], tab: str, language: str) -> str:
    """The key of ``tab``'s translation: an existing one of that language (``en-GB``) or the
    tab's own code."""
    for key in document.get("translations", {}):
        if isinstance(key, str) and key != language and tab_of(key) == tab:
            return key
    return tab


def _all_text_ids(document: Mapping[str, Any]) -> list[str]:
    ids = [
        *CARD_TEXTS,
        "card.relevant_text",
        *(f"change_messages.{name}" for name in document.get("change_messages", {})),
    ]
    for group in ("header", "secondary", "auxiliary", "back"):
        for spec in document.get("fields", {}).get(group, []):
            if isinstance(spec, dict) and isinstance(spec.get("key"), str):
                ids += [f"fields.{spec['key']}.{part}" for part in ("label", "value")]
                if spec.get("change_message"):
                    ids.append(f"fields.{spec['key']}.change_message")
    return ids


def _get(document: Mapping[str, Any], text_id: str) -> Any:
    section, _, rest = text_id.partition(".")
    if section == "fields":
        key, _, part = rest.partition(".")
        for group in ("header", "secondary", "auxiliary", "back"):
            for spec in document.get("fields", {}).get(group, []):
                if isinstance(spec, dict) and spec.get("key") == key:
                    return spec.get(part)
        return None
    table = document.get(section, {})
    return table.get(rest) if isinstance(table, dict) else None


def _set(document: dict[str, Any], text_id: str, text: str) -> None:
    section, _, rest = text_id.partition(".")
    if section != "fields":
        document.setdefault(section, {})[rest] = text
        return
    key, _, part = rest.partition(".")
    for group in ("header", "secondary", "auxiliary", "back"):
        for spec in document.get("fields", {}).get(group, []):
            if isinstance(spec, dict) and spec.get("key") == key:
                spec[part] = text


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _nest(flat: Mapping[str, str]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for text_id, text in flat.items():
        *path, last = text_id.split(".")
        table = nested
        for part in path:
            table = table.setdefault(part, {})
        table[last] = text
    return nested


def _hex(value: object) -> str:
    return value.lower() if isinstance(value, str) and _COLOUR_RE.match(value) else "#000000"
