"""A design's texts in several languages, shared by both wallets.

A design's texts are written in its default language (``CardDesign.language``);
``CardDesign.translations`` adds other languages, one plain dict per text::

    {"program.name": {"ru": "Клуб Лепесток"}, "fields.how.label": {"ru": "Как это работает"}}

Text ids name where the default text lives: ``program.name``, ``program.organization``,
``program.description``, ``program.logo_text``, ``card.primary_label``, ``card.relevant_text``,
``change_messages.<value>`` and ``fields.<field key>.label|value|change_message``. A text
without a translation shows its default text in that language too.

Values the service fills that are text (the tier name, the latest message) travel on the card
as ``LoyaltyCard.translations`` (value name -> language -> text). A tier's name may also be
translated once in the design, as ``tiers.<the name in the program's rules>``
(``[translations.ru.tiers] Gold = "Золото"``), where the merchant edits the card's other
texts; a translation on the card wins. Texts loyalpass itself puts on cards (``POINTS``,
``Member``, ...) are translated here, in :data:`BUILT_IN`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from passes.errors import DesignError

if TYPE_CHECKING:
    from passes.design import CardDesign, FieldSpec
    from passes.models import LoyaltyCard

#: The texts loyalpass writes on cards, by their English text.
BUILT_IN: Mapping[str, Mapping[str, str]] = {
    "POINTS": {"ru": "БАЛЛЫ"},
    "STAMPS": {"ru": "ШТАМПЫ"},
    "TIER": {"ru": "УРОВЕНЬ"},
    "Member": {"ru": "Участник"},
    "Card number": {"ru": "Номер карты"},
}
#: Card values that are text in a language (the others are names, numbers and dates).
TEXT_VALUES = frozenset({"tier", "message"})
# BCP 47 as Google's LocalizedString takes it: a 2-3 letter language, then subtags.
_LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_LENGTHS = {
    "program.name": 60,
    "program.organization": 60,
    "program.description": 200,
    "program.logo_text": 30,
    "card.primary_label": 30,
    "card.relevant_text": 100,
    "label": 40,
    "value": 500,
    "change_message": 200,
    "tiers": 40,  # member.tier
}
TIER_PREFIX = "tiers."

Fail = Callable[[str, str], NoReturn]
_MEMOS: dict[tuple[int, str], _Memo] = {}
_MEMOS_KEPT = 256


def languages(design: CardDesign) -> tuple[str, ...]:
    """The design's languages: its default first, then the translated ones in order."""
    if not design.translations:
        return (design.language,)
    return _memo(design).languages


def design_text(design: CardDesign, text_id: str, default: str) -> dict[str, str]:
    """One design text in every language of the design (language -> text)."""
    if not design.translations:
        return {design.language: default}
    texts = _memo(design).texts
    found = texts.get((text_id, default))
    if found is None:
        translated = design.translations.get(text_id, {})
        found = texts[text_id, default] = {
            lang: translated.get(lang, default) for lang in languages(design)
        }
    return found


@dataclass(slots=True)
class _Memo:
    translations: Mapping[str, Mapping[str, str]]  # held, so its id is not reused
    languages: tuple[str, ...]
    texts: dict[tuple[str, str], dict[str, str]]


def _memo(design: CardDesign) -> _Memo:
    """What every pass asks of a design's translations, worked out once per translations
    object and default language (a design in use keeps both)."""
    translations = design.translations
    key = (id(translations), design.language)
    memo = _MEMOS.get(key)
    if memo is None or memo.translations is not translations:
        others = sorted({lang for texts in translations.values() for lang in texts})
        found = (design.language, *(lang for lang in others if lang != design.language))
        if len(_MEMOS) >= _MEMOS_KEPT:
            _MEMOS.clear()
        memo = _MEMOS[key] = _Memo(translations, found, {})
    return memo


def lproj_name(language: str) -> str:
    """The ``.lproj`` folder of a BCP 47 tag: the language and its script (``zh-Hans``), no
    region (Wallet matches ``en.lproj`` for every English-speaking region)."""
    language_part, *rest = language.split("-")
    script = [part.title() for part in rest[:1] if len(part) == 4 and part.isalpha()]
    return "-".join([language_part.lower(), *script]) + ".lproj"


def built_in(design: CardDesign, english: str) -> dict[str, str]:
    """A loyalpass text in every language of the design; English where none is known."""
    known = BUILT_IN.get(english, {})
    return {lang: known.get(_base(lang), english) for lang in languages(design)}


def primary_label(design: CardDesign, primary: str) -> dict[str, str]:
    """The big field's label: the design's own, or loyalpass's when the primary was swapped."""
    if primary == design.primary:
        if design.primary_label == design.primary.upper():
            return {**built_in(design, design.primary_label),
                    **design.translations.get("card.primary_label", {})}  # fmt: skip
        return design_text(design, "card.primary_label", design.primary_label)
    return built_in(design, primary.upper())


def card_values_by_language(
    card: LoyaltyCard, design: CardDesign, values: Mapping[str, object]
) -> dict[str, dict[str, object]]:
    """The card's values in each language: text values and the program name translated."""
    result: dict[str, dict[str, object]] = {}
    for lang in languages(design):
        translated: dict[str, object] = dict(values)
        for name in TEXT_VALUES:
            text = card.translations.get(name, {}).get(lang)
            if name == "tier" and not text and card.tier:
                text = design.translations.get(TIER_PREFIX + card.tier, {}).get(lang)
            if text and lang != design.language and values.get(name) not in (None, ""):
                translated[name] = text
        translated["program_name"] = design_text(design, "program.name", design.program_name)[lang]
        result[lang] = translated
    return result


def field_values(
    spec: FieldSpec, design: CardDesign, values: Mapping[str, Mapping[str, object]]
) -> dict[str, str] | None:
    """A field's text in every language, or None when a value it shows is missing."""
    templates = design_text(design, f"fields.{spec.key}.value", spec.value)
    texts: dict[str, str] = {}
    for lang, template in templates.items():
        shown = values[lang]
        if any(shown.get(name) in (None, "") for name in spec.placeholders):
            return None
        texts[lang] = template.format_map({name: shown[name] for name in spec.placeholders})
    return texts


def tier_text(card: LoyaltyCard, design: CardDesign) -> dict[str, str]:
    """The tier name in every language; loyalpass's "Member" when the card has no tier."""
    if not card.tier:
        return built_in(design, "Member")
    translated = {**design.translations.get(TIER_PREFIX + card.tier, {}),
                  **card.translations.get("tier", {})}  # fmt: skip
    return {
        lang: card.tier if lang == design.language else translated.get(lang, card.tier)
        for lang in languages(design)
    }


def default_texts(design: CardDesign) -> dict[str, tuple[str, set[str] | None]]:
    """Every translatable text id of a design, with its default text and the placeholders a
    translation must keep (None where the text takes no placeholders)."""
    texts: dict[str, tuple[str, set[str] | None]] = {
        "program.name": (design.program_name, None),
        "program.organization": (design.organization_name, None),
        "program.description": (design.description, None),
        "card.primary_label": (design.primary_label, None),
    }
    if design.logo_text:
        texts["program.logo_text"] = (design.logo_text, None)
    if design.relevant_text:
        texts["card.relevant_text"] = (design.relevant_text, None)
    for name, message in design.change_messages.items():
        texts[f"change_messages.{name}"] = (message, None)
    for spec in (*design.header_fields, *design.secondary_fields, *design.auxiliary_fields,
                 *design.back_fields):  # fmt: skip
        if spec.label:
            texts[f"fields.{spec.key}.label"] = (spec.label, None)
        texts[f"fields.{spec.key}.value"] = (spec.value, set(spec.placeholders))
        if spec.change_message:
            texts[f"fields.{spec.key}.change_message"] = (spec.change_message, None)
    return texts


def read_language(value: object, key: str, fail: Fail) -> str:
    """A BCP 47 language tag (``ru``, ``en-US``)."""
    if not isinstance(value, str) or not _LANGUAGE_RE.match(value):
        fail(key, "must be a BCP 47 language tag such as 'ru' or 'en-US'")
    return value


def read_translations(raw: object, design: CardDesign, fail: Fail) -> dict[str, dict[str, str]]:
    """``[translations.<language>]`` tables of design.toml as ``{text id: {language: text}}``.

    Tables may nest (``[translations.ru.program] name = ...``) or use quoted dotted keys
    (``"program.name" = ...``). ``fail(key, message)`` raises for the offending key.
    """
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        fail("translations", "must be a table of languages ([translations.ru])")
    known = default_texts(design)
    lprojs = {lproj_name(design.language): design.language}
    result: dict[str, dict[str, str]] = {}
    for lang, table in raw.items():
        where = f"translations.{lang}"
        read_language(lang, where, fail)
        if lang == design.language:
            fail(where, "is the design's own language; write those texts in place")
        if lprojs.setdefault(lproj_name(lang), lang) != lang:
            fail(where, f"shares Apple's {lproj_name(lang)} with {lprojs[lproj_name(lang)]!r}")
        if not isinstance(table, dict):
            fail(where, "must be a table of texts")
        for text_id, text in _flatten(table).items():
            key = f"{where}.{text_id}"
            if text_id not in known and not _is_tier(text_id):
                fail(key, f"unknown text; expected one of {sorted(known)} or tiers.<tier>")
            placeholders = known[text_id][1] if text_id in known else None
            checked = check_text(text_id, text, placeholders, key, fail)
            result.setdefault(text_id, {})[lang] = checked
    return result


def check_translations(
    design: CardDesign, by_language: Mapping[str, Mapping[str, object]]
) -> dict[str, dict[str, str]]:
    """Translations given as data (``{language: {text id: text}}``, as an editor sends them),
    checked as design.toml's are, in the shape ``CardDesign.translations`` holds.

    Raises:
        DesignError: ``key`` names the offending ``translations.<language>.<text id>``.
    """

    def fail(key: str, message: str) -> NoReturn:
        raise DesignError(f"design {design.name}", key, message)

    return read_translations(dict(by_language), design, fail)


def check_text(
    text_id: str, text: object, placeholders: set[str] | None, key: str, fail: Fail
) -> str:
    """A translation, refused (``fail(key, ...)``) when it is empty, too long, or changes the
    placeholders or loses ``%@``."""
    is_message = text_id.startswith("change_messages.") or text_id.endswith(".change_message")
    if _is_tier(text_id):
        limit = _LENGTHS["tiers"]
    else:
        limit = (
            _LENGTHS.get(text_id)
            or _LENGTHS["change_message" if is_message else text_id.rsplit(".", 1)[-1]]
        )
    if not isinstance(text, str) or not text.strip():
        fail(key, "must be a non-empty string")
    if len(text) > limit:
        fail(key, f"at most {limit} characters (has {len(text)})")
    if is_message and "%@" not in text:
        fail(key, "must contain %@ (Wallet puts the new value there)")
    if placeholders is None:
        return text
    try:
        shown = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:
        fail(key, "has an unmatched { or }")
    if shown != placeholders:
        fail(key, f"must show the same values as the original: {sorted(placeholders)}")
    return text


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _is_tier(text_id: str) -> bool:
    """``tiers.<name>``: a tier's name (any name the rules give; placeholders are none)."""
    return text_id.startswith(TIER_PREFIX) and len(text_id) > len(TIER_PREFIX)


def _base(language: str) -> str:
    return language.split("-", 1)[0].lower()
