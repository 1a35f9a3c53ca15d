"""WCAG 2.x contrast of a design's text colours."""

from __future__ import annotations

import pytest

from passes import (
    MIN_TEXT_CONTRAST,
    contrast_ratio,
    contrast_warnings,
    design_contrast_warnings,
    load_designs,
    parse_colour,
    relative_luminance,
)
from passes.design import Colour
from tests.passes.conftest import CARDS

BLACK, WHITE = Colour(0, 0, 0), Colour(255, 255, 255)


def colour(text: str) -> Colour:
    parsed = parse_colour(text)
    assert parsed is not None
    return parsed


class TestContrastRatio:
    def test_black_on_white_is_21_and_a_colour_on_itself_is_1(self) -> None:
        assert relative_luminance(BLACK) == 0
        assert relative_luminance(WHITE) == pytest.approx(1)
        assert contrast_ratio(BLACK, WHITE) == pytest.approx(21)
        assert contrast_ratio(WHITE, BLACK) == pytest.approx(21)
        assert contrast_ratio(colour("#3b2418"), colour("#3b2418")) == pytest.approx(1)

    @pytest.mark.parametrize(
        ("foreground", "background", "expected"),
        [
            # Published reference pairs (WebAIM's contrast checker).
            ("#767676", "#ffffff", 4.54),
            ("#777777", "#ffffff", 4.48),
            ("#0000ff", "#ffffff", 8.59),
            ("#ff0000", "#ffffff", 4.0),
        ],
    )
    def test_known_pairs(self, foreground: str, background: str, expected: float) -> None:
        ratio = contrast_ratio(colour(foreground), colour(background))
        assert ratio == pytest.approx(expected, abs=0.01)


class TestWarnings:
    def test_readable_colours_give_none(self) -> None:
        assert contrast_warnings(colour("#1f2933"), WHITE, colour("#cbd2d9")) == []

    def test_each_pale_text_colour_is_named_with_its_ratio(self) -> None:
        warnings = contrast_warnings(WHITE, colour("#777777"), colour("#ffff00"))
        assert [(w.field, w.code) for w in warnings] == [
            ("colors.foreground", "low_contrast"),
            ("colors.label", "low_contrast"),
        ]
        assert warnings[0].ratio == 4.47  # 4.478...: rounded down, never up to the bar
        assert warnings[0].ratio < MIN_TEXT_CONTRAST
        assert "#777777" in warnings[0].detail
        assert "4.5:1" in warnings[0].detail

    def test_just_above_the_bar_passes(self) -> None:
        assert contrast_warnings(WHITE, colour("#767676"), BLACK) == []

    def test_the_shipped_designs_are_readable(self) -> None:
        designs = load_designs(CARDS)
        assert designs
        for design in designs.values():
            assert design_contrast_warnings(design) == [], design.name


class TestParseColour:
    @pytest.mark.parametrize("text", ["#fff", "3b2418", "#3b241g", "", None, 7, "#3b24180"])
    def test_anything_but_rrggbb_is_none(self, text: object) -> None:
        assert parse_colour(text) is None

    def test_hex_round_trips(self) -> None:
        assert colour("#3B2418").hex == "#3b2418"
