"""Design rules: text lengths both wallets show (at save), and what the barcode carries."""

from __future__ import annotations

from pathlib import Path

import pytest

from passes import DesignError, check_design_limits, load_design, load_designs
from tests.passes.conftest import CARDS
from tests.passes.test_design import copy_design, edit_toml


def limit_error(folder: Path) -> DesignError:
    design = load_design(folder)  # loading alone accepts it: stored designs keep working
    with pytest.raises(DesignError) as info:
        check_design_limits(design)
    return info.value


class TestLengths:
    def test_the_shipped_designs_are_within_every_limit(self) -> None:
        for design in load_designs(CARDS).values():
            check_design_limits(design)

    @pytest.mark.parametrize(
        ("old", "new", "field", "limit"),
        [
            ('name = "Bean & Brew Rewards"', 'name = "Bean & Brew Rewards Club"',
             "program.name", 20),
            ('organization = "Bean & Brew"', 'organization = "Bean & Brew Coffee Roasters"',
             "program.organization", 20),
            ('logo_text = "Bean & Brew"', 'logo_text = "Bean & Brew Coffee House"',
             "program.logo_text", 20),
            ('primary_label = "COFFEES"', 'primary_label = "COFFEES HAD"', "card.primary_label", 9),
            ('label = "POINTS"', 'label = "POINTS SO FAR"', "fields.header[0].label", 12),
            ('label = "MEMBER"', 'label = "MEMBER OF THE CLUB"', "fields.secondary[0].label", 16),
            ('label = "LEVEL"', 'label = "YOUR CLUB LEVEL TODAY"', "fields.auxiliary[0].label",
             16),
            ('value = "{stamps_left}"', 'value = "{stamps_left} coffees to go, then free"',
             "fields.secondary[1].value", 20),
            ('label = "How it works"', f'label = "{"H" * 36}"', "fields.back[1].label", 35),
        ],
    )  # fmt: skip
    def test_a_long_text_names_its_field(
        self, tmp_path: Path, old: str, new: str, field: str, limit: int
    ) -> None:
        folder = copy_design(tmp_path)
        edit_toml(folder, old, new)
        error = limit_error(folder)
        assert error.key == field
        assert f"at most {limit} characters" in error.message
        assert "Wallet" in error.message  # says which wallet would cut it

    def test_a_translation_is_held_to_the_same_limit(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        edit_toml(
            folder, 'name = "Bean & Brew: бонусы"', 'name = "Bean & Brew: бонусная программа"'
        )
        error = limit_error(folder)
        assert error.key == "translations.ru.program.name"

    def test_values_filled_in_by_the_card_do_not_count(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        edit_toml(folder, 'value = "{member_name}"', 'value = "{member_name}, {member_since}"')
        check_design_limits(load_design(folder))

    def test_a_contact_label_is_named_by_its_contact(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        path = folder / "design.toml"
        label = "When you can find us in the shop, every day"
        path.write_text(
            path.read_text() + f'\n[contacts]\nhours = {{ label = "{label}", value = "9-21" }}\n'
        )
        assert limit_error(folder).key == "contacts.hours.label"


class TestBarcodeValue:
    @pytest.mark.parametrize("value", ["member_phone", "phone", "member_name"])
    def test_member_data_is_refused_with_the_reason(self, tmp_path: Path, value: str) -> None:
        folder = copy_design(tmp_path)
        edit_toml(folder, 'barcode = "qr"', f'barcode = "qr"\nbarcode_value = "{value}"')
        with pytest.raises(DesignError, match="anyone with a camera") as info:
            load_design(folder)
        assert info.value.key == "card.barcode_value"

    def test_an_unknown_value_names_the_field(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        edit_toml(folder, 'barcode = "qr"', 'barcode = "qr"\nbarcode_value = "loyalty_id"')
        with pytest.raises(DesignError, match="card_number") as info:
            load_design(folder)
        assert info.value.key == "card.barcode_value"

    @pytest.mark.parametrize("value", ["[1]", "{ a = 1 }", "true"])
    def test_a_value_that_is_not_text_names_the_field(self, tmp_path: Path, value: str) -> None:
        folder = copy_design(tmp_path)
        edit_toml(folder, 'barcode = "qr"', f'barcode = "qr"\nbarcode_value = {value}')
        with pytest.raises(DesignError) as info:
            load_design(folder)
        assert info.value.key == "card.barcode_value"

    def test_the_card_number_is_the_default_and_may_be_named(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        edit_toml(folder, 'barcode = "qr"', 'barcode = "qr"\nbarcode_value = "card_number"')
        assert load_design(folder).barcode == "qr"

    def test_an_unknown_format_names_the_field(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        edit_toml(folder, 'barcode = "qr"', 'barcode = "ean13"')
        with pytest.raises(DesignError, match="qr, pdf417, aztec, code128") as info:
            load_design(folder)
        assert info.value.key == "card.barcode"

    def test_a_prefix_goes_before_the_card_number(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        edit_toml(folder, 'barcode = "qr"', 'barcode = "qr"\nbarcode_prefix = "BB"')
        assert load_design(folder).barcode_prefix == "BB"

    @pytest.mark.parametrize("prefix", ['"bb"', '"B1"', '"ABCDEFGHI"', "1"])
    def test_a_prefix_is_up_to_8_capital_letters(self, tmp_path: Path, prefix: str) -> None:
        folder = copy_design(tmp_path)
        edit_toml(folder, 'barcode = "qr"', f'barcode = "qr"\nbarcode_prefix = {prefix}')
        with pytest.raises(DesignError, match="capital letters") as info:
            load_design(folder)
        assert info.value.key == "card.barcode_prefix"


class TestValueTemplates:
    @pytest.mark.parametrize("value", ["a }", "{", "{}", "{points:d}", "{points!r}", "{0}"])
    def test_a_template_that_cannot_render_is_refused_on_load(
        self, tmp_path: Path, value: str
    ) -> None:
        folder = copy_design(tmp_path)
        edit_toml(folder, 'value = "{member_name}"', f'value = "{value}"')
        with pytest.raises(DesignError, match="unknown placeholder") as info:
            load_design(folder)
        assert info.value.key == "fields.secondary[0].value"

    def test_doubled_braces_are_the_characters(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        edit_toml(folder, 'value = "{member_name}"', 'value = "{{VIP}} {member_name}"')
        assert load_design(folder).secondary_fields[0].placeholders == {"member_name"}


class TestFieldCounts:
    def test_five_secondary_fields_are_too_many_whatever_the_barcode(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        edit_toml(folder, 'barcode = "qr"', 'barcode = "pdf417"')
        path = folder / "design.toml"
        extra = "".join(
            f'\n[[fields.secondary]]\nkey = "extra{i}"\nlabel = "X"\nvalue = "x"\n'
            for i in range(3)
        )
        path.write_text(path.read_text() + extra)
        with pytest.raises(DesignError) as info:
            load_design(folder)
        assert info.value.key == "fields.secondary"

    def test_at_most_20_back_fields_contacts_included(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        path = folder / "design.toml"
        extra = "".join(
            f'\n[[fields.back]]\nkey = "extra{i}"\nlabel = "X"\nvalue = "x"\n' for i in range(16)
        )
        path.write_text(path.read_text() + extra + '\n[contacts]\nphone = "+74951234567"\n')
        with pytest.raises(DesignError, match="contacts included") as info:
            load_design(folder)
        assert info.value.key == "fields.back"
