"""Localized passes: ``en.lproj`` and ``ru.lproj/pass.strings`` in the signed archive, every
localizable string of ``pass.json`` a key of every language, escaped and UTF-16 encoded."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from api.settings import DEV_PASS_TYPE_ID, DEV_TEAM_ID
from passes import (
    ApplePassTemplate,
    CardDesign,
    LoyaltyCard,
    Signer,
    build_pkpass,
    check_translations,
    load_design,
)
from passes.apple.strings import BOM, StringsCatalog, escape, strings_file
from tests.passes.conftest import CARDS
from tests.support.pkpass import verify_pkpass

_ENTRY = re.compile(r'"((?:[^"\\]|\\.)*)" = "((?:[^"\\]|\\.)*)";\n')
_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        escaped = match.group(1)
        return chr(int(escaped[1:], 16)) if escaped[0] == "U" else _UNESCAPE[escaped]

    return re.sub(r'\\(U[0-9a-fA-F]{4}|[nrt"\\])', one, text)


def parse_strings(data: bytes) -> dict[str, str]:
    """Read a strings file as Wallet does: UTF-16 by its byte order mark, C escapes."""
    assert data.startswith(BOM), "UTF-16LE with a byte order mark"
    text = data[len(BOM) :].decode("utf-16-le")
    entries = _ENTRY.findall(text)
    assert "".join(f'"{k}" = "{v}";\n' for k, v in entries) == text, "unparsed text"
    parsed = {_unescape(k): _unescape(v) for k, v in entries}
    assert len(parsed) == len(entries), "duplicate keys"
    return parsed


def localizable(pass_json: dict[str, Any]) -> Iterator[str]:
    """Every string of pass.json that Wallet looks up in pass.strings (data included)."""
    for key in ("organizationName", "description", "logoText"):
        if key in pass_json:
            yield pass_json[key]
    for group in pass_json["storeCard"].values():
        for field in group:
            yield field["label"]
            if "changeMessage" in field:
                yield field["changeMessage"]
            if isinstance(field["value"], str) and "dateStyle" not in field:
                yield field["value"]
    for place in (*pass_json.get("locations", ()), *pass_json.get("beacons", ())):
        if "relevantText" in place:
            yield place["relevantText"]


@pytest.fixture
def member(card: LoyaltyCard) -> LoyaltyCard:
    return dataclasses.replace(
        card,
        member_name='Anna "Annie" Petrova',
        tier="Gold",
        member_since=date(2026, 3, 1),
        message='Double points\non "latte" days',
        translations={
            "tier": {"ru": "Золото"},
            "message": {"ru": 'Двойные баллы\nв дни "латте"'},
        },
    )


def _archive(data: bytes) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    strings = {
        name.split(".lproj/")[0]: parse_strings(archive.read(name))
        for name in archive.namelist()
        if name.endswith(".lproj/pass.strings")
    }
    return json.loads(archive.read("pass.json")), strings


class TestLocalizedPackage:
    def test_both_languages_are_signed_and_in_the_manifest(
        self, member: LoyaltyCard, coffee_template: ApplePassTemplate, signer: Signer,
        root_ca: Path,
    ) -> None:  # fmt: skip
        verified = verify_pkpass(build_pkpass(member, coffee_template, signer), root_ca)
        assert {"en.lproj/pass.strings", "ru.lproj/pass.strings"} <= set(verified.manifest)
        assert verified.infos["ru.lproj/pass.strings"].compress_type == zipfile.ZIP_DEFLATED

    def test_every_localizable_string_is_a_key_of_every_language(
        self, member: LoyaltyCard, coffee_template: ApplePassTemplate, signer: Signer
    ) -> None:
        pass_json, strings = _archive(build_pkpass(member, coffee_template, signer))
        assert set(strings) == {"en", "ru"}
        assert strings["en"].keys() == strings["ru"].keys()
        fields = {f["key"]: f for group in pass_json["storeCard"].values() for f in group}
        # Data reads the same in every language and needs no entry: a name, a card number,
        # "3/10", a store's text.
        data = {member.member_name, member.serial_number, "3/10", "Coffee on Tverskaya"}
        assert {fields["member"]["value"], fields["stamps"]["value"]} <= data
        used = set(localizable(pass_json))
        assert used - data <= strings["ru"].keys()
        assert not data & strings["ru"].keys()
        assert all(strings["en"][key] == key for key in used - data)  # keys: the English texts

    def test_russian_labels_and_lock_screen_messages(
        self, member: LoyaltyCard, coffee_template: ApplePassTemplate, signer: Signer
    ) -> None:
        pass_json, strings = _archive(build_pkpass(member, coffee_template, signer))
        ru = strings["ru"]
        fields = {f["key"]: f for group in pass_json["storeCard"].values() for f in group}
        assert ru[fields["stamps"]["label"]] == "КОФЕ"
        assert ru[fields["stamps"]["changeMessage"]] == "Кофе на карте: %@"
        assert ru[fields["next_reward"]["label"]] == "ДО БЕСПЛАТНОГО"
        assert ru[fields["points"]["changeMessage"]] == "У вас %@ баллов"
        assert ru[fields["how"]["value"]].startswith("Штамп за каждую чашку кофе.")
        assert ru[pass_json["description"]] == "Карта лояльности кофейни Bean & Brew"
        assert "Coffee on Tverskaya" not in ru  # a store's own text is shown as it is

    def test_service_values_are_translated(
        self, member: LoyaltyCard, coffee_template: ApplePassTemplate, signer: Signer
    ) -> None:
        pass_json, strings = _archive(build_pkpass(member, coffee_template, signer))
        fields = {f["key"]: f for group in pass_json["storeCard"].values() for f in group}
        assert fields["tier"]["value"] == "Gold"
        assert strings["ru"]["Gold"] == "Золото"
        assert strings["ru"][fields["news"]["value"]] == 'Двойные баллы\nв дни "латте"'
        assert fields["member"]["value"] not in strings["ru"]  # a name is a name

    def test_a_points_card_on_a_stamp_design_says_points_in_russian(
        self, member: LoyaltyCard, coffee_template: ApplePassTemplate, signer: Signer
    ) -> None:
        points_card = dataclasses.replace(member, stamps_required=None)
        pass_json, strings = _archive(build_pkpass(points_card, coffee_template, signer))
        primary = pass_json["storeCard"]["primaryFields"][0]
        assert (primary["label"], strings["ru"][primary["label"]]) == ("POINTS", "БАЛЛЫ")

    def test_quotes_newlines_and_backslashes_are_escaped(
        self, member: LoyaltyCard, coffee_template: ApplePassTemplate, signer: Signer
    ) -> None:
        odd = dataclasses.replace(member, message='a "quote", a \\ and\r\na\ttab')
        archive = zipfile.ZipFile(io.BytesIO(build_pkpass(odd, coffee_template, signer)))
        raw = archive.read("ru.lproj/pass.strings")[2:].decode("utf-16-le")
        assert '"a \\"quote\\", a \\\\ and\\r\\na\\ttab"' in raw
        assert "\n" not in raw.replace(";\n", "")  # one line per entry
        assert parse_strings(archive.read("ru.lproj/pass.strings"))[odd.message or ""]

    def test_data_equal_to_a_translated_text_steps_aside(
        self, member: LoyaltyCard, coffee_template: ApplePassTemplate, signer: Signer
    ) -> None:
        named = dataclasses.replace(member, member_name="How it works")
        pass_json, strings = _archive(build_pkpass(named, coffee_template, signer))
        fields = {f["key"]: f for group in pass_json["storeCard"].values() for f in group}
        assert strings["ru"][fields["how"]["label"]] == "Как это работает"
        assert fields["member"]["value"] == "How it works\u2060"  # looks the same, no entry
        assert fields["member"]["value"] not in strings["ru"]

    def test_design_texts_are_written_once_per_design(
        self, card: LoyaltyCard, member: LoyaltyCard, coffee_template: ApplePassTemplate,
        signer: Signer,
    ) -> None:  # fmt: skip
        static = coffee_template.strings.files
        plain = zipfile.ZipFile(io.BytesIO(build_pkpass(card, coffee_template, signer)))
        assert plain.read("ru.lproj/pass.strings") == static["ru.lproj/pass.strings"]
        translated = zipfile.ZipFile(io.BytesIO(build_pkpass(member, coffee_template, signer)))
        ru = parse_strings(translated.read("ru.lproj/pass.strings"))
        assert ru["Gold"] == "Золото"
        assert parse_strings(static["ru.lproj/pass.strings"]).items() <= ru.items()

    def test_same_card_gives_same_strings(
        self, member: LoyaltyCard, coffee_template: ApplePassTemplate, signer: Signer
    ) -> None:
        first = zipfile.ZipFile(io.BytesIO(build_pkpass(member, coffee_template, signer)))
        second = zipfile.ZipFile(io.BytesIO(build_pkpass(member, coffee_template, signer)))
        for name in ("en.lproj/pass.strings", "ru.lproj/pass.strings", "pass.json"):
            assert first.read(name) == second.read(name)


class TestStringsFile:
    def test_utf16_with_byte_order_mark(self) -> None:
        data = strings_file({"POINTS": "БАЛЛЫ", "☕": "кофе 🌷"})
        assert data[:2] == b"\xff\xfe"
        assert data[2:].decode("utf-16-le") == '"POINTS" = "БАЛЛЫ";\n"☕" = "кофе 🌷";\n'

    @pytest.mark.parametrize(
        ("text", "escaped"),
        [
            ('say "hi"', 'say \\"hi\\"'),
            ("a\\b", "a\\\\b"),
            ("two\nlines", "two\\nlines"),
            ("cr\r", "cr\\r"),
            ("tab\t", "tab\\t"),
            ("bell\x07", "bell\\U0007"),
        ],
    )
    def test_escapes(self, text: str, escaped: str) -> None:
        assert escape(text) == escaped
        assert parse_strings(strings_file({text: text})) == {text: text}


class TestCatalog:
    def test_one_language_has_no_files_and_plain_keys(self) -> None:
        catalog = StringsCatalog(("en-US",))
        assert catalog.key({"en-US": "POINTS"}) == "POINTS"
        assert catalog.files() == {}

    def test_the_same_text_translated_two_ways_gets_two_keys(self) -> None:
        catalog = StringsCatalog(("en-US", "ru"))
        first = catalog.key({"en-US": "Card", "ru": "Карта"})
        second = catalog.key({"en-US": "Card", "ru": "Открытка"})
        again = catalog.key({"en-US": "Card", "ru": "Карта"})
        assert first == again == "Card"
        assert second.rstrip("\u2060") == "Card"
        assert second != first
        ru = parse_strings(catalog.files()["ru.lproj/pass.strings"])
        assert (ru[first], ru[second]) == ("Карта", "Открытка")

    def test_lproj_folders_drop_the_region(self, coffee: CardDesign) -> None:
        catalog = StringsCatalog(("en-US", "ru-RU", "zh-hans-CN"))
        catalog.key({"en-US": "x"})
        assert set(catalog.files()) == {
            "en.lproj/pass.strings",
            "ru.lproj/pass.strings",
            "zh-Hans.lproj/pass.strings",
        }


@pytest.mark.parametrize("name", ["coffee", "florist"])
def test_every_shipped_design_signs_in_both_languages(
    name: str, member: LoyaltyCard, signer: Signer, root_ca: Path
) -> None:
    template = ApplePassTemplate.create(
        load_design(CARDS / name), pass_type_identifier=DEV_PASS_TYPE_ID,
        team_identifier=DEV_TEAM_ID,
    )  # fmt: skip
    expiring = dataclasses.replace(member, points_expiring=40, points_expire_on=date(2026, 12, 31))
    data = build_pkpass(expiring, template, signer)
    verified = verify_pkpass(data, root_ca)
    assert {"en.lproj/pass.strings", "ru.lproj/pass.strings"} <= set(verified.manifest)
    pass_json, strings = _archive(data)
    assert strings["en"].keys() == strings["ru"].keys()
    labels = [f["label"] for group in pass_json["storeCard"].values() for f in group]
    assert all(strings["ru"][label] != label for label in labels)  # every label translated


def test_a_russian_design_with_english_translations(
    member: LoyaltyCard, florist: CardDesign, signer: Signer
) -> None:
    russian = dataclasses.replace(
        florist, language="ru", program_name="Клуб Petal & Stem",
        description="Карта лояльности Petal & Stem", translations={},
    )  # fmt: skip
    russian = dataclasses.replace(
        russian,
        translations=check_translations(
            russian, {"en": {"program.name": "Petal & Stem Club",
                             "program.description": "Petal & Stem loyalty card"}},
        ),
    )  # fmt: skip
    template = ApplePassTemplate.create(
        russian, pass_type_identifier=DEV_PASS_TYPE_ID, team_identifier=DEV_TEAM_ID
    )
    points_card = dataclasses.replace(member, stamps_required=None)
    pass_json, strings = _archive(build_pkpass(points_card, template, signer))
    assert pass_json["description"] == "Карта лояльности Petal & Stem"  # keys: Russian texts
    assert strings["ru"]["Карта лояльности Petal & Stem"] == "Карта лояльности Petal & Stem"
    assert strings["en"]["Карта лояльности Petal & Stem"] == "Petal & Stem loyalty card"
    primary = pass_json["storeCard"]["primaryFields"][0]
    assert primary["label"] == "БАЛЛЫ"  # loyalpass's own label in the design's language
    assert strings["en"]["БАЛЛЫ"] == "POINTS"
