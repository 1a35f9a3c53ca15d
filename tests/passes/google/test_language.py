"""Google's localized strings carry the design's language, not a fixed ``en-US``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from passes import CardDesign, DesignError, load_design
from passes.google.objects import loyalty_class, resource_id

CARDS = Path(__file__).resolve().parents[3] / "templates" / "cards"
ISSUER = "3388000000012345678"


def _russian_design(tmp_path: Path, language: str | None) -> Path:
    folder = tmp_path / "cvety"
    shutil.copytree(CARDS / "florist", folder)
    toml = (folder / "design.toml").read_text(encoding="utf-8")
    # A Russian-only design: the shipped Russian translations would repeat its own language.
    start, end = toml.index("[translations.ru"), toml.index("# Default mechanics")
    toml = toml[:start] + toml[end:]
    toml = toml.replace('name = "Petal & Stem Club"', 'name = "Клуб Лепесток"', 1)
    toml = toml.replace('organization = "Petal & Stem"', 'organization = "Лепесток"', 1)
    if language is not None:
        toml = toml.replace("[program]\n", f'[program]\nlanguage = "{language}"\n', 1)
    (folder / "design.toml").write_text(toml, encoding="utf-8")
    return folder


def _descriptions(design: CardDesign) -> list[dict[str, str]]:
    body = loyalty_class(
        design, class_id=resource_id(ISSUER, design.name), images_url="https://x/designs/d"
    )
    return [body[key]["contentDescription"]["defaultValue"] for key in ("programLogo", "heroImage")]


class TestImageDescriptionLanguage:
    def test_a_russian_design_tags_its_descriptions_ru(self, tmp_path: Path) -> None:
        design = load_design(_russian_design(tmp_path, "ru"))
        assert design.language == "ru"
        assert _descriptions(design) == [
            {"language": "ru", "value": "Лепесток"},
            {"language": "ru", "value": "Клуб Лепесток"},
        ]

    def test_a_design_without_a_language_stays_en_us(self, florist: CardDesign) -> None:
        assert florist.language == "en-US"
        assert {d["language"] for d in _descriptions(florist)} == {"en-US"}

    @pytest.mark.parametrize("language", ["russian", "ru_RU", "", "r"])
    def test_a_language_that_is_not_a_bcp47_tag_is_refused(
        self, tmp_path: Path, language: str
    ) -> None:
        with pytest.raises(DesignError, match=r"program\.language"):
            load_design(_russian_design(tmp_path, language))
