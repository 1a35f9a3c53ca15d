"""Loading and validating card designs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from passes import CardDesign, DesignError, load_design, load_designs
from passes.design import png_size
from tests.passes.conftest import CARDS


def copy_design(tmp_path: Path, name: str = "coffee") -> Path:
    target = tmp_path / name
    shutil.copytree(CARDS / name, target)
    return target


def edit_toml(folder: Path, old: str, new: str) -> None:
    path = folder / "design.toml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


class TestShippedDesigns:
    def test_both_load(self) -> None:
        designs = load_designs(CARDS)
        assert {"coffee", "florist"} <= designs.keys()

    def test_coffee_is_a_stamp_card(self, coffee: CardDesign) -> None:
        assert coffee.primary == "stamps"
        assert coffee.default_kind == "stamps"
        assert coffee.stamps_required == 10
        assert coffee.background.hex == "#3b2418"

    def test_florist_is_a_points_card(self, florist: CardDesign) -> None:
        assert florist.primary == "points"
        assert florist.change_messages[florist.primary] == "You have %@ points"

    @pytest.mark.parametrize("name", ["coffee", "florist"])
    def test_images_are_real_art_at_each_scale(self, name: str) -> None:
        design = load_design(CARDS / name)
        for slot, (width, height) in {"icon": (29, 29), "strip": (375, 123)}.items():
            for scale, suffix in ((1, ""), (2, "@2x"), (3, "@3x")):
                data = design.images[f"{slot}{suffix}.png"]
                assert png_size(data) == (width * scale, height * scale)
                assert len(data) > 300  # drawn art (palette PNG), not a blank square (~100 B)
        assert "google_logo.png" in design.images
        assert "google_hero.png" in design.images


class TestInvalidDesigns:
    def test_missing_icon(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        (folder / "icon@2x.png").unlink()
        with pytest.raises(DesignError, match=r"icon@2x\.png.*missing") as info:
            load_design(folder)
        assert info.value.file.endswith("icon@2x.png")

    def test_bad_colour_names_file_and_key(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        edit_toml(folder, 'background = "#3b2418"', 'background = "brown"')
        with pytest.raises(DesignError) as info:
            load_design(folder)
        assert info.value.key == "colors.background"
        assert info.value.file.endswith("design.toml")
        assert "brown" in str(info.value)

    def test_too_many_header_fields(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        extra = "".join(
            f'\n[[fields.header]]\nkey = "h{i}"\nlabel = "H"\nvalue = "{{points}}"\n'
            for i in range(3)
        )
        (folder / "design.toml").write_text((folder / "design.toml").read_text() + extra)
        with pytest.raises(DesignError, match="at most 3 header fields") as info:
            load_design(folder)
        assert info.value.key == "fields.header"

    def test_too_many_fields_beside_a_square_barcode(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        extra = "".join(
            f'\n[[fields.auxiliary]]\nkey = "a{i}"\nlabel = "A"\nvalue = "{{points}}"\n'
            for i in range(2)
        )
        (folder / "design.toml").write_text((folder / "design.toml").read_text() + extra)
        with pytest.raises(DesignError, match="square barcode"):
            load_design(folder)

    def test_duplicate_field_key(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        edit_toml(folder, 'key = "next_reward"', 'key = "member"')
        with pytest.raises(DesignError, match="duplicate field key 'member'"):
            load_design(folder)

    def test_unknown_placeholder(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        edit_toml(folder, 'value = "{member_name}"', 'value = "{nickname}"')
        with pytest.raises(DesignError, match="nickname") as info:
            load_design(folder)
        assert info.value.key == "fields.secondary[0].value"

    def test_change_message_needs_placeholder(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        edit_toml(folder, 'points = "You have %@ points"', 'points = "Points changed"')
        with pytest.raises(DesignError, match="%@") as info:
            load_design(folder)
        assert info.value.key == "change_messages.points"

    def test_wrong_image_size(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        shutil.copy(folder / "icon@2x.png", folder / "icon.png")
        with pytest.raises(DesignError, match="58x58 px, must be exactly 29x29"):
            load_design(folder)

    def test_not_a_png(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        (folder / "logo.png").write_bytes(b"GIF89a....")
        with pytest.raises(DesignError, match="not a PNG"):
            load_design(folder)

    def test_missing_toml(self, tmp_path: Path) -> None:
        with pytest.raises(DesignError, match="design.toml: file not found"):
            load_design(tmp_path)

    def test_broken_toml(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        (folder / "design.toml").write_text("[program\nname=")
        with pytest.raises(DesignError, match="not valid TOML"):
            load_design(folder)

    def test_stamps_program_needs_a_goal(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        edit_toml(folder, "stamps_required = 10\n", "")
        with pytest.raises(DesignError) as info:
            load_design(folder)
        assert info.value.key == "program.stamps_required"

    def test_unknown_primary(self, tmp_path: Path) -> None:
        folder = copy_design(tmp_path)
        edit_toml(folder, 'primary = "stamps"', 'primary = "balance"')
        with pytest.raises(DesignError, match="points, stamps, tier"):
            load_design(folder)
