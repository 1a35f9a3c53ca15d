"""The wheel's geometry: wedges in proportion to the published odds, labels upright and cut
to fit, thin wedges left to the legend."""

from __future__ import annotations

import math

import pytest

from api.wheel.drawing import (
    CHAR_WIDTH,
    ELLIPSIS,
    FONT_SIZE,
    OUTER,
    RADIUS,
    landing,
    sweeps,
    upright,
    wedges,
)


class TestProportions:
    def test_ten_ten_eighty_is_36_36_288(self) -> None:
        drawn = wedges([10, 10, 80], ["A", "B", "C"])
        assert [w.sweep for w in drawn] == [36, 36, 288]
        assert [w.start for w in drawn] == [0, 36, 72]

    @pytest.mark.parametrize("weights", [[1, 1], [3, 7], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]])
    def test_the_angles_sum_to_360_and_follow_the_weights(self, weights: list[int]) -> None:
        angles = sweeps(weights)
        assert sum(angles) == pytest.approx(360)
        for weight, angle in zip(weights, angles, strict=True):
            assert angle == pytest.approx(360 * weight / sum(weights))

    def test_the_first_wedge_starts_at_the_top_and_a_wide_one_takes_the_large_arc(self) -> None:
        small, big = wedges([1, 4], ["a", "b"])
        assert small.path.startswith(f"M0 0L0.00 -{RADIUS}.00")
        assert " 0 0 1 " in small.path
        assert " 0 1 1 " in big.path
        assert small.colour != big.colour

    def test_neighbours_never_share_a_colour_around_the_circle(self) -> None:
        for count in range(2, 13):
            colours = [w.colour for w in wedges([1] * count, ["x"] * count)]
            assert all(colours[i] != colours[(i + 1) % count] for i in range(count))

    def test_the_pointer_lands_on_the_middle_of_the_drawn_wedge(self) -> None:
        drawn = wedges([10, 10, 80], ["A", "B", "C"])
        assert [landing(w) for w in drawn] == [342, 306, 144]


class TestLabels:
    @pytest.mark.parametrize("angle", [-270, -180, -91, -90, 0, 45, 90, 91, 180, 269, 359])
    def test_a_label_never_reads_upside_down(self, angle: float) -> None:
        turned = upright(angle)
        assert -90 <= turned <= 90
        assert (turned - angle) % 180 == pytest.approx(0)

    @pytest.mark.parametrize("count", range(2, 13))
    def test_every_label_is_upright_and_inside_the_rim(self, count: int) -> None:
        labels = [f"Prize number {i} with a long name" for i in range(count)]
        for wedge in wedges([1] * count, labels):
            assert -90 <= wedge.label_angle <= 90
            assert wedge.is_labelled
            half_length = len(wedge.label) * CHAR_WIDTH / 2
            centre = math.hypot(wedge.label_x, wedge.label_y)
            assert centre + half_length <= OUTER + 0.01
            # where the text begins the wedge is still a line high
            inner = centre - half_length
            chord = 2 * inner * math.sin(math.radians(min(wedge.sweep, 180) / 2))
            assert chord >= 1.5 * FONT_SIZE - 0.01

    def test_a_long_label_is_cut_with_an_ellipsis_and_a_short_one_kept(self) -> None:
        long, short = wedges([1] * 12, ["Free cappuccino with a croissant", "Tea"] * 6)[:2]
        assert long.label.endswith(ELLIPSIS)
        assert len(long.label) < 32
        assert "Free cappuccino with a croissant".startswith(long.label[:-1])
        assert short.label == "Tea"

    def test_left_half_labels_are_flipped(self) -> None:
        drawn = wedges([1, 1, 1, 1], ["N", "E", "S", "W"])
        # right half: the text reads outwards; left half: turned half a turn, reads inwards
        assert [w.label_angle for w in drawn] == [-45, 45, -45, 45]

    def test_a_wedge_too_thin_for_text_goes_to_the_legend(self) -> None:
        thin, wide = wedges([1, 199], ["Jackpot", "Try again"])
        assert not thin.is_labelled
        assert thin.label == ""
        assert wide.label == "Try again"
