"""Localized passes: ``<language>.lproj/pass.strings`` (Apple's Wallet Developer Guide,
"Localizing Passes").

Wallet looks every localizable string of ``pass.json`` (organization name, description, logo
text, field labels, values and change messages, relevant texts) up in the ``pass.strings`` of
the phone's language and shows the translation it finds, else the string itself. Our keys are
the texts in the design's own language, so ``pass.json`` reads as before and a phone in a
language the pass lacks still shows real text. When one text needs two different translations
(the same label translated two ways), the later key gets invisible word joiners (U+2060) until
it is unique.

A strings file is ``"key" = "value";`` lines, with ``\\``, ``"`` and control characters
escaped as in C (``\\Uxxxx`` for the rare ones without a name). We write UTF-16
little-endian with its byte order mark: Apple's "String Resources" guide recommends UTF-16
for strings files (UTF-8 works but is "not recommended"), and notes that the development
language's text is commonly its own key, as ours are.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import Any

from passes.apple.archive import DeflatedHead, ZipEntry, deflate_head, make_entry, make_entry_after
from passes.apple.manifest import sha1_hex
from passes.localization import lproj_name

BOM = b"\xff\xfe"
_WORD_JOINER = "\u2060"
# C escapes: backslash, quote, the usual controls by name, other controls as \Uxxxx.
_ESCAPES = str.maketrans(
    {chr(code): f"\\U{code:04x}" for code in (*range(0x20), 0x7F)}
    | {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
)
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f\x7f"\\]')


def escape(text: str) -> str:
    """``text`` inside a strings file's double quotes."""
    return text.translate(_ESCAPES) if _NEEDS_ESCAPE.search(text) else text


@lru_cache(maxsize=4096)  # a design's texts repeat on every pass
def _line(key: str, value: str) -> str:
    return f'"{escape(key)}" = "{escape(value)}";\n'


def strings_file(entries: Mapping[str, str]) -> bytes:
    """One ``pass.strings`` file: UTF-16LE with a byte order mark."""
    lines = "".join([_line(key, value) for key, value in entries.items()])
    return BOM + lines.encode("utf-16-le")


@dataclass(frozen=True, slots=True)
class StaticStrings:
    """A design's own texts in every language, as the first entries of every pass's strings
    files, worked out once per design. A pass whose strings are all here (most are: names and
    numbers need no entry) reuses the files, their hashes and ZIP entries as they are."""

    languages: tuple[str, ...]
    entries: Mapping[str, Mapping[str, str]]  # key -> language -> text
    files: Mapping[str, bytes]
    hashes: Mapping[str, str]
    zip_entries: tuple[ZipEntry, ...]
    heads: Mapping[str, tuple[Any, DeflatedHead]]  # per file: its SHA-1 and deflate so far

    @classmethod
    def create(
        cls, languages: tuple[str, ...], texts: Iterable[Mapping[str, str]]
    ) -> StaticStrings:
        catalog = StringsCatalog(languages)
        for each in texts:
            catalog.key(each)
        files = catalog.files()
        return cls(
            languages=languages,
            entries=catalog.entries,
            files=files,
            hashes={name: sha1_hex(data) for name, data in files.items()},
            zip_entries=tuple(
                make_entry(name, data, is_deflated=True) for name, data in files.items()
            ),
            heads={
                name: (hashlib.sha1(data, usedforsecurity=False), deflate_head(data))
                for name, data in files.items()
            },
        )

    def catalog(self) -> StringsCatalog:
        """A pass's catalog, starting from these entries."""
        return StringsCatalog(self.languages, self)

    def package(self, catalog: StringsCatalog) -> tuple[Mapping[str, str], tuple[ZipEntry, ...]]:
        """The manifest hashes and ZIP entries of ``catalog``'s files: the design's own when
        it added nothing, else the design's part carried on with the pass's own lines."""
        if catalog.is_static:
            return self.hashes, self.zip_entries
        hashes: dict[str, str] = {}
        entries: list[ZipEntry] = []
        for name, tail in catalog.tails().items():
            sha1, head = self.heads[name]
            digest = sha1.copy()
            digest.update(tail)
            hashes[name] = digest.hexdigest()
            entries.append(make_entry_after(name, head, tail))
        return hashes, tuple(entries)


class StringsCatalog:
    """The localizable strings of one pass, gathered while ``pass.json`` is built.

    ``key(texts)`` takes one text in every language of the design (default language first)
    and returns what ``pass.json`` carries. ``same(text)`` is for data (names, numbers, a
    store's text): it needs no entry unless it is also the key of a translated text. With one
    language the catalog stays empty and the pass has no ``.lproj`` folders, exactly as a
    single-language pass always had.
    """

    def __init__(self, languages: tuple[str, ...], static: StaticStrings | None = None) -> None:
        self.languages = languages
        self.is_localized = len(languages) > 1
        self.static = static
        self.entries: dict[str, Mapping[str, str]] = dict(static.entries) if static else {}
        self._seeded = len(self.entries)
        self._plain: set[str] = set()  # data shown as is: no translated text may take its key

    def key(self, texts: Mapping[str, str]) -> str:
        default = texts[self.languages[0]]
        if not self.is_localized:
            return default
        if len(texts) != len(self.languages):
            texts = {lang: texts.get(lang, default) for lang in self.languages}
        key = default
        while key in self._plain or self.entries.setdefault(key, texts) != texts:
            key += _WORD_JOINER
        return key

    def value(self, texts: Mapping[str, str]) -> str:
        """A card's value: data when it reads the same in every language, else a text."""
        default = texts[self.languages[0]]
        if all(text == default for text in texts.values()):
            return self.same(default)
        return self.key(texts)

    def same(self, text: str) -> str:
        """Data that reads the same in every language."""
        if not self.is_localized:
            return text
        key = text
        while (found := self.entries.get(key)) is not None and any(
            value != text for value in found.values()
        ):
            key += _WORD_JOINER  # the text is also the key of a translation: step aside
        if found is None:
            self._plain.add(key)
        return key

    @property
    def is_static(self) -> bool:
        """Every entry came from the design: the design's files serve as they are."""
        return len(self.entries) == self._seeded

    def files(self) -> Mapping[str, bytes]:
        """``{"ru.lproj/pass.strings": bytes, ...}``; empty for a single-language pass."""
        if not self.is_localized:
            return {}
        if self.static is None:
            return {
                f"{lproj_name(lang)}/pass.strings": strings_file(
                    {key: texts[lang] for key, texts in self.entries.items()}
                )
                for lang in self.languages
            }
        return {name: self.static.files[name] + tail for name, tail in self.tails().items()}

    def tails(self) -> dict[str, bytes]:
        """What each file adds after the design's own entries (UTF-16LE lines)."""
        added = list(islice(self.entries.items(), self._seeded, None))
        return {
            f"{lproj_name(lang)}/pass.strings": "".join(
                [_line(key, texts[lang]) for key, texts in added]
            ).encode("utf-16-le")
            for lang in self.languages
        }
