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

import re
from collections.abc import Mapping
from functools import lru_cache

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


class StringsCatalog:
    """The localizable strings of one pass, gathered while ``pass.json`` is built.

    ``key(texts)`` takes one text in every language of the design (default language first)
    and returns what ``pass.json`` carries. With one language the catalog stays empty and the
    pass has no ``.lproj`` folders, exactly as a single-language pass always had.
    """

    def __init__(self, languages: tuple[str, ...]) -> None:
        self.languages = languages
        self.is_localized = len(languages) > 1
        self.entries: dict[str, dict[str, str]] = {}

    def key(self, texts: Mapping[str, str]) -> str:
        default = texts[self.languages[0]]
        if not self.is_localized:
            return default
        if len(texts) == len(self.languages):
            wanted = dict(texts)
        else:
            wanted = {lang: texts.get(lang, default) for lang in self.languages}
        key = default
        while self.entries.setdefault(key, wanted) != wanted:
            key += _WORD_JOINER
        return key

    def same(self, text: str) -> str:
        """A string that reads the same in every language (a name, a store's text)."""
        return self.key(dict.fromkeys(self.languages, text))

    def files(self) -> dict[str, bytes]:
        """``{"ru.lproj/pass.strings": bytes, ...}``; empty for a single-language pass."""
        if not self.is_localized:
            return {}
        return {
            f"{lproj_name(lang)}/pass.strings": strings_file(
                {key: texts[lang] for key, texts in self.entries.items()}
            )
            for lang in self.languages
        }
