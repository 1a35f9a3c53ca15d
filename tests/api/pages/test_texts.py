"""The page texts (api/pages/texts.py): every key a template or page uses exists in every
language, with the same placeholders, so no page ever shows a blank or a KeyError."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from api.pages.texts import LOCALES, TEXTS, text

ROOT = Path(__file__).resolve().parents[3]
# t("key" ...) in templates and page code; text(locale, "key" ...) in page code.
USE = re.compile(r"""\bt\(\s*["']([a-z0-9_]+)["']|\btext\(\s*[a-z_.]+\s*,\s*["']([a-z0-9_]+)["']""")


def _used_keys() -> set[str]:
    pages = (ROOT / "templates" / "pages").rglob("*.html")
    code = (p for p in (ROOT / "api").rglob("*.py") if p.name != "texts.py")
    sources = [*pages, *code]
    return {a or b for path in sources for a, b in USE.findall(path.read_text(encoding="utf-8"))}


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class TestTexts:
    def test_every_language_has_the_same_keys(self) -> None:
        assert TEXTS.keys() == set(LOCALES)
        for locale in LOCALES:
            assert TEXTS[locale].keys() == TEXTS[LOCALES[0]].keys(), locale

    def test_every_key_used_by_a_page_exists(self) -> None:
        used = _used_keys()
        assert len(used) > 50  # the pattern still finds the templates' calls
        keys = TEXTS["ru"].keys()
        # a key ending in "_" is a prefix a template completes (t("welcome_" ~ welcome))
        missing = [k for k in used if k not in keys and not k.endswith("_")]
        prefixes = [k for k in used if k.endswith("_") and not any(x.startswith(k) for x in keys)]
        assert sorted(missing + prefixes) == []

    @pytest.mark.parametrize("key", sorted(TEXTS["ru"]))
    def test_placeholders_agree_across_languages(self, key: str) -> None:
        assert _placeholders(TEXTS["ru"][key]) == _placeholders(TEXTS["en"][key])

    def test_text_fills_placeholders(self) -> None:
        assert "Corner" in text("en", "join_title", program="Corner")
