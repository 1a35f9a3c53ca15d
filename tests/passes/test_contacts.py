"""Contacts on the back of the card: checked on load, tappable on Apple, links on Google."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from passes import (
    ApplePassTemplate,
    CardDesign,
    DesignError,
    LoyaltyCard,
    load_design,
    loyalty_object,
    render_pass_json,
)
from tests.passes.test_design import copy_design

CONTACTS = """
[contacts]
terms = "Points last a year. {Not} a credit card."
hours = { label = "Open", value = "Mon-Sat 9:00-21:00" }
phone = "+7 (495) 123-45-67"
email = "hello@beanbrew.example"
website = "https://beanbrew.example/card"
"""


def with_contacts(tmp_path: Path, toml: str = CONTACTS) -> Path:
    folder = copy_design(tmp_path)
    path = folder / "design.toml"
    path.write_text(path.read_text() + toml)
    return folder


def fails(folder: Path) -> DesignError:
    with pytest.raises(DesignError) as info:
        load_design(folder)
    return info.value


@pytest.fixture
def design(tmp_path: Path) -> CardDesign:
    return load_design(with_contacts(tmp_path))


class TestLoad:
    def test_contacts_become_back_fields_in_a_fixed_order(self, design: CardDesign) -> None:
        contacts = [spec for spec in design.back_fields if spec.contact]
        assert [spec.key for spec in contacts] == ["terms", "hours", "phone", "email", "website"]
        assert [spec.label for spec in contacts] == ["Terms", "Open", "Phone", "Email", "Website"]
        assert design.back_fields[0].key == "news"  # the design's own fields come first

    def test_loyalpass_labels_are_translated_and_the_merchants_are_kept(
        self, design: CardDesign
    ) -> None:
        assert design.translations["fields.phone.label"] == {"ru": "Телефон"}
        assert design.translations["fields.website.label"] == {"ru": "Сайт"}
        assert "fields.hours.label" not in design.translations  # "Open" is the merchant's

    def test_a_russian_design_gets_russian_labels(self, tmp_path: Path) -> None:
        folder = with_contacts(tmp_path, '\n[contacts]\nphone = "+74951234567"\n')
        path = folder / "design.toml"
        text = path.read_text().replace('kind = "stamps"', 'kind = "stamps"\nlanguage = "ru"', 1)
        path.write_text(text.replace("[translations.ru", "[translations.en"))
        design = load_design(folder)
        assert design.back_fields[-1].label == "Телефон"
        assert design.translations["fields.phone.label"] == {"en": "Phone"}

    @pytest.mark.parametrize(
        ("toml", "field", "message"),
        [
            ('fax = "+7495"', "contacts.fax", "unknown contact"),
            ('phone = "call us"', "contacts.phone", "international form"),
            ('phone = "+7 495 123 45 67 89 01 23"', "contacts.phone", "international form"),
            ('email = "hello at example"', "contacts.email", "email address"),
            ('website = "http://beanbrew.example"', "contacts.website", "https://"),
            ('website = "https://localhost"', "contacts.website", "https://"),
            ('website = "javascript:alert(1)"', "contacts.website", "https://"),
            ('website = "https://[::1"', "contacts.website", "https://"),
            ('website = "https://petals.example/a b"', "contacts.website", "https://"),
            ('phone = ["+74951234567"]', "contacts.phone", "non-empty"),
            ('hours = ""', "contacts.hours", "non-empty"),
            ("hours = 9", "contacts.hours", "non-empty"),
            (f'terms = "{"x" * 501}"', "contacts.terms", "at most 500"),
            ('hours = { value = "9-21", colour = "red" }', "contacts.hours.colour", "label"),
            ('hours = { label = "", value = "9-21" }', "contacts.hours.label", "non-empty"),
            ('how = "Collect stamps"', "contacts.how", "already has the key"),
        ],
    )
    def test_a_bad_contact_names_its_field(
        self, tmp_path: Path, toml: str, field: str, message: str
    ) -> None:
        error = fails(with_contacts(tmp_path, f"\n[contacts]\n{toml}\n"))
        assert error.key == field
        assert message in error.message

    def test_a_translated_contact_with_a_stray_brace_names_its_field(self, tmp_path: Path) -> None:
        toml = '\n[contacts]\nhours = "9-21"\n[translations.ru.fields.hours]\nvalue = "9-21 {}"\n'
        error = fails(with_contacts(tmp_path, toml))
        assert error.key == "translations.ru.fields.hours.value"

    def test_a_translated_link_is_checked_too(self, tmp_path: Path) -> None:
        toml = (
            '\n[contacts]\nwebsite = "https://beanbrew.example"\n'
            '[translations.ru.fields.website]\nvalue = "beanbrew.ru"\n'
        )
        error = fails(with_contacts(tmp_path, toml))
        assert error.key == "translations.ru.fields.website.value"


class TestRender:
    def card(self) -> LoyaltyCard:
        return LoyaltyCard(
            serial_number="123456789012",
            member_name="Anna",
            barcode_message="123456789012",
            points=5,
            stamps=2,
            stamps_required=10,
        )

    def test_apple_back_fields_carry_their_data_detectors(self, design: CardDesign) -> None:
        template = ApplePassTemplate.create(
            design, pass_type_identifier="pass.test", team_identifier="TEAM123456"
        )
        body = json.loads(render_pass_json(self.card(), template))
        back = {field["key"]: field for field in body["storeCard"]["backFields"]}
        assert back["phone"]["value"] == "+7 (495) 123-45-67"
        assert back["phone"]["dataDetectorTypes"] == ["PKDataDetectorTypePhoneNumber"]
        assert back["website"]["dataDetectorTypes"] == ["PKDataDetectorTypeLink"]
        assert back["email"]["dataDetectorTypes"] == ["PKDataDetectorTypeLink"]
        assert back["terms"]["dataDetectorTypes"] == []  # no stray links in the terms
        assert back["terms"]["value"] == "Points last a year. {Not} a credit card."
        assert "dataDetectorTypes" not in back["how"]  # the design's own field: as before

    def test_google_gets_links_and_text_modules(self, design: CardDesign) -> None:
        body = loyalty_object(self.card(), design, object_id="1.o", class_id="1.c")
        links = body["linksModuleData"]["uris"]
        assert [(link["id"], link["uri"]) for link in links] == [
            ("phone", "tel:+74951234567"),
            ("email", "mailto:hello@beanbrew.example"),
            ("website", "https://beanbrew.example/card"),
        ]
        assert links[0]["description"] == "Phone"
        assert links[0]["localizedDescription"]["translatedValues"] == [
            {"language": "ru", "value": "Телефон"}
        ]
        modules = {module["id"]: module for module in body["textModulesData"]}
        assert modules["hours"]["header"] == "Open"
        assert modules["hours"]["body"] == "Mon-Sat 9:00-21:00"
        assert "phone" not in modules
        assert modules["terms"]["body"] == "Points last a year. {Not} a credit card."

    def test_a_design_without_contacts_has_no_links(self, coffee: CardDesign) -> None:
        body = loyalty_object(self.card(), coffee, object_id="1.o", class_id="1.c")
        assert "linksModuleData" not in body
