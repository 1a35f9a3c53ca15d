"""Design texts in several languages: ``[translations.<language>]`` in design.toml, checked
when the design loads, and the texts each language shows."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from passes import (
    CardDesign,
    DesignError,
    LoyaltyCard,
    check_translations,
    design_languages,
    load_design,
)
from passes.localization import (
    built_in,
    design_text,
    languages,
    lproj_name,
    primary_label,
    tier_text,
)
from tests.passes.conftest import CARDS
from tests.passes.test_design import copy_design, edit_toml


def add_translations(folder: Path, toml: str) -> None:
    path = folder / "design.toml"
    text = path.read_text(encoding="utf-8")
    start, end = text.index("[translations.ru"), text.index("# Default mechanics")
    path.write_text(text[:start] + toml + "\n" + text[end:], encoding="utf-8")


class TestShippedTranslations:
    @pytest.mark.parametrize("name", ["coffee", "florist"])
    def test_every_shipped_design_speaks_russian(self, name: str) -> None:
        design = load_design(CARDS / name)
        assert languages(design) == ("en-US", "ru")
        label_ids = [
            f"fields.{spec.key}.label"
            for spec in (
                *design.header_fields,
                *design.secondary_fields,
                *design.auxiliary_fields,
                *design.back_fields,
            )  # fmt: skip
            if spec.label
        ]
        for text_id in ("program.name", "program.description", *label_ids):
            assert "ru" in design.translations[text_id], text_id
        for value in design.change_messages:
            assert "%@" in design.translations[f"change_messages.{value}"]["ru"]

    def test_translations_are_plain_data(self, florist: CardDesign) -> None:
        # Stored as JSON and read back, they are the same dicts.
        assert json.loads(json.dumps(florist.translations)) == florist.translations
        assert florist.translations["fields.how.label"] == {"ru": "Как это работает"}

    def test_texts_in_each_language(self, florist: CardDesign) -> None:
        assert design_text(florist, "program.name", florist.program_name) == {
            "en-US": "Petal & Stem Club",
            "ru": "Клуб Petal & Stem",
        }
        # A text without a translation shows the default text in every language.
        assert design_text(florist, "fields.member.value", "{member_name}") == {
            "en-US": "{member_name}",
            "ru": "{member_name}",
        }
        assert primary_label(florist, "points") == {"en-US": "POINTS", "ru": "БАЛЛЫ"}
        assert primary_label(florist, "stamps") == {"en-US": "STAMPS", "ru": "ШТАМПЫ"}


class TestDefaultLanguage:
    def test_loyalpass_texts_follow_a_russian_design(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path, "florist")
        add_translations(folder, "")
        edit_toml(folder, "[program]\n", '[program]\nlanguage = "ru"\n')
        design = load_design(folder)
        assert built_in(design, "Card number") == {"ru": "Номер карты"}
        assert primary_label(design, "stamps") == {"ru": "ШТАМПЫ"}

    def test_tier_names_come_from_the_card(self, florist: CardDesign) -> None:
        card = LoyaltyCard("1", "A", "1", tier="Bloom", translations={"tier": {"ru": "Цвет"}})
        assert tier_text(card, florist) == {"en-US": "Bloom", "ru": "Цвет"}
        untiered = LoyaltyCard("1", "A", "1")
        assert tier_text(untiered, florist) == {"en-US": "Member", "ru": "Участник"}


class TestInvalidTranslations:
    @pytest.mark.parametrize(
        ("toml", "key", "message"),
        [
            ('[translations.ru.program]\nnickname = "x"', r"translations\.ru\.program\.nickname",
             "unknown text"),
            ('[translations.ru.fields.nope]\nlabel = "x"', r"translations\.ru\.fields\.nope\.label",
             "unknown text"),
            ('[translations.ru.change_messages]\npoints = "Баллы"',
             r"translations\.ru\.change_messages\.points", "%@"),
            ('[translations.ru.fields.how]\nvalue = "{points} штампов"',
             r"translations\.ru\.fields\.how\.value", "same values"),
            ('[translations.ru.fields.since]\nvalue = "{member_since"',
             r"translations\.ru\.fields\.since\.value", "unmatched"),
            ('[translations.ru.fields.member]\nlabel = ""',
             r"translations\.ru\.fields\.member\.label", "non-empty"),
            (f'[translations.ru.program]\nlogo_text = "{"x" * 31}"',
             r"translations\.ru\.program\.logo_text", "at most 30"),
            ('[translations.ru.program]\nname = 5', r"translations\.ru\.program\.name",
             "non-empty string"),
            ('[translations.russian.program]\nname = "x"', r"translations\.russian",
             "BCP 47"),
            ('[translations.en-US.program]\nname = "x"', r"translations\.en-US",
             "own language"),
            ('[translations.en-GB.program]\nname = "x"', r"translations\.en-GB", "en.lproj"),
            ('translations = "ru"', r"translations", "table of languages"),
        ],
    )  # fmt: skip
    def test_refused_with_the_key_named(
        self, tmp_path: Path, toml: str, key: str, message: str
    ) -> None:
        folder = copy_design(tmp_path, "coffee")
        if toml.startswith("translations ="):
            add_translations(folder, "")
            text = (folder / "design.toml").read_text(encoding="utf-8")
            (folder / "design.toml").write_text(toml + "\n" + text, encoding="utf-8")
        else:
            add_translations(folder, toml)
        with pytest.raises(DesignError, match=message) as info:
            load_design(folder)
        assert re.fullmatch(key, info.value.key), info.value.key

    def test_dotted_and_nested_keys_read_the_same(self, tmp_path: Path) -> None:
        nested = copy_design(tmp_path / "a", "coffee")
        add_translations(nested, '[translations.ru.fields.how]\nlabel = "Как"')
        dotted = copy_design(tmp_path / "b", "coffee")
        add_translations(dotted, '[translations.ru]\n"fields.how.label" = "Как"')
        assert (
            load_design(nested).translations
            == load_design(dotted).translations
            == {"fields.how.label": {"ru": "Как"}}
        )


@pytest.mark.parametrize(
    ("language", "folder"),
    [
        ("ru", "ru.lproj"),
        ("en-US", "en.lproj"),
        ("zh-Hant-TW", "zh-Hant.lproj"),
        ("pt-BR", "pt.lproj"),
    ],
)
def test_lproj_names(language: str, folder: str) -> None:
    assert lproj_name(language) == folder


class TestTranslationsAsData:
    def test_an_editor_payload_is_checked_like_the_toml(self, coffee: CardDesign) -> None:
        checked = check_translations(coffee, {"ru": {"fields.how.label": "Как"}})
        assert checked == {"fields.how.label": {"ru": "Как"}}
        assert design_languages(dataclasses.replace(coffee, translations=checked)) == (
            "en-US",
            "ru",
        )

    def test_the_offending_text_is_named(self, coffee: CardDesign) -> None:
        with pytest.raises(DesignError) as info:
            check_translations(coffee, {"ru": {"change_messages.stamps": "Кофе"}})
        assert info.value.key == "translations.ru.change_messages.stamps"
