"""The back of the card: how it works, terms, opening hours, address, phone, email, website.

A design's ``[contacts]`` table names each by its kind, as a text or as a table with its own
label::

    [contacts]
    phone = "+7 495 123-45-67"
    website = "https://petals.example"
    hours = { label = "Open", value = "Mon-Sat 9:00-21:00" }

Each becomes a back field keyed by its kind (so ``[translations.ru.fields]`` translates it,
``website.value`` as any field's value), shown on Apple's back with the data detector that
makes it tappable, and on Google in the links module (``tel:``, ``mailto:``, ``https:``) or as
a text module. Contacts are checked when the design loads; errors name ``contacts.<kind>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from passes.design import CardDesign, FieldSpec

Fail = Callable[[str, str], NoReturn]

#: Kinds in the order the back of the card lists them.
CONTACT_KINDS = ("how", "terms", "hours", "address", "phone", "email", "website")
#: Kinds shown as links on Google and detected as such by Apple.
LINK_KINDS = frozenset({"phone", "email", "website"})
#: Apple's data detectors per kind; an empty list turns them off, so a number in the terms
#: is not made a phone link (Wallet runs every detector on back fields by default).
DATA_DETECTORS: Mapping[str, list[str]] = {
    "how": [],
    "terms": [],
    "hours": [],
    "address": ["PKDataDetectorTypeAddress"],
    "phone": ["PKDataDetectorTypePhoneNumber"],
    "email": ["PKDataDetectorTypeLink"],  # UIKit's link detector finds email addresses too
    "website": ["PKDataDetectorTypeLink"],
}
#: Labels when the design gives none, by language.
DEFAULT_LABELS: Mapping[str, Mapping[str, str]] = {
    "how": {"en": "How it works", "ru": "Как это работает"},
    "terms": {"en": "Terms", "ru": "Условия"},
    "hours": {"en": "Opening hours", "ru": "Часы работы"},
    "address": {"en": "Address", "ru": "Адрес"},
    "phone": {"en": "Phone", "ru": "Телефон"},
    "email": {"en": "Email", "ru": "Эл. почта"},
    "website": {"en": "Website", "ru": "Сайт"},
}
# Google's text module body holds 500 characters; a link's text stays short.
_LENGTHS = {
    "how": 500, "terms": 500, "hours": 200, "address": 200,
    "phone": 30, "email": 254, "website": 200,
}  # fmt: skip
_PHONE_SEPARATORS = re.compile(r"[\s().-]")
_PHONE_RE = re.compile(r"^\+?[0-9]{5,15}$")  # E.164: at most 15 digits
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_HOST_RE = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def read_contacts(
    table: Mapping[str, Any], language: object, taken: Iterable[str], fail: Fail
) -> tuple[FieldSpec, ...]:
    """The back fields of ``[contacts]``, in :data:`CONTACT_KINDS` order. ``taken``: the keys
    of the design's own fields (a contact may not reuse one).

    Raises:
        DesignError: through ``fail``, naming ``contacts.<kind>``.
    """
    from passes.design import FieldSpec

    unknown = sorted(set(table) - set(CONTACT_KINDS))
    if unknown:
        fail(f"contacts.{unknown[0]}", f"unknown contact; one of {', '.join(CONTACT_KINDS)}")
    used = set(taken)
    specs: list[FieldSpec] = []
    for kind in CONTACT_KINDS:
        if kind not in table:
            continue
        where = f"contacts.{kind}"
        item = table[kind]
        label = default_label(kind, language)
        if isinstance(item, dict):
            extra = sorted(set(item) - {"label", "value"})
            if extra:
                fail(f"{where}.{extra[0]}", "a contact has only a label and a value")
            label = item.get("label", label)
            if not isinstance(label, str) or not label.strip():
                fail(f"{where}.label", "must be a non-empty string")
            item = item.get("value")
        value = check_contact(kind, item, where, fail)
        if kind in used:
            fail(where, f"a field of the design already has the key {kind!r}")
        # A contact is plain text: braces are not placeholders.
        template = value.replace("{", "{{").replace("}", "}}")
        specs.append(FieldSpec(key=kind, label=label, value=template, contact=kind))
    return tuple(specs)


def check_contact(kind: str, value: object, where: str, fail: Fail) -> str:
    """A contact's text, refused unless it is the right shape for ``kind``."""
    if not isinstance(value, str) or not value.strip():
        fail(where, "must be a non-empty string")
    if len(value) > _LENGTHS[kind]:
        fail(where, f"at most {_LENGTHS[kind]} characters (has {len(value)})")
    if kind == "phone" and not _PHONE_RE.match(_PHONE_SEPARATORS.sub("", value)):
        fail(where, "must be a phone number in international form, such as +7 495 123-45-67")
    if kind == "email" and not _EMAIL_RE.match(value):
        fail(where, "must be an email address, such as hello@petals.example")
    if kind == "website" and not _is_https_url(value):
        fail(where, "must be an https:// address, such as https://petals.example")
    return value


def _is_https_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
    except ValueError:  # "https://[::1" and the like
        return False
    return parts.scheme == "https" and _HOST_RE.match(host) is not None and " " not in text


def default_label(kind: str, language: object) -> str:
    """The label of a contact in ``language`` (English when loyalpass has none)."""
    base = str(language).split("-", 1)[0].lower()
    labels = DEFAULT_LABELS[kind]
    return labels.get(base, labels["en"])


def with_contact_labels(
    design: CardDesign, translations: dict[str, dict[str, str]], fail: Fail
) -> dict[str, dict[str, str]]:
    """``translations`` plus loyalpass's label of each contact that kept its default label,
    in every other language it knows; translated links are checked as the originals are.

    Raises:
        DesignError: through ``fail``, naming ``translations.<lang>.fields.<kind>.value``.
    """
    result = {text_id: dict(texts) for text_id, texts in translations.items()}
    others = sorted({lang for texts in translations.values() for lang in texts})
    for spec in design.back_fields:
        if spec.contact is None:
            continue
        for lang, text in translations.get(f"fields.{spec.key}.value", {}).items():
            where = f"translations.{lang}.fields.{spec.key}.value"
            try:
                shown = text.format_map({})
            except (ValueError, KeyError, IndexError):  # "{}" and the like
                fail(where, "write { and } twice ({{ and }}) in a contact")
            check_contact(spec.contact, shown, where, fail)
        if spec.label != default_label(spec.contact, design.language):
            continue
        labels = result.setdefault(f"fields.{spec.key}.label", {})
        for lang in others:
            labels.setdefault(lang, default_label(spec.contact, lang))
    return result


def link_uri(kind: str, text: str) -> str:
    """The URI a contact's link opens: ``tel:`` (digits only), ``mailto:`` or the website."""
    if kind == "phone":
        return "tel:" + _PHONE_SEPARATORS.sub("", text)
    if kind == "email":
        return f"mailto:{text}"
    return text
