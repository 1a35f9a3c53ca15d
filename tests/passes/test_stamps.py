"""Stamp pictures: N of M marks over the design's art, at Apple's and Google's exact sizes."""

from __future__ import annotations

import dataclasses
import io
import itertools
import math
import shutil
import threading
from pathlib import Path

import pytest
from PIL import Image

from passes import CardDesign, DesignError, load_design
from passes.design import Colour
from passes.stamps import (
    HERO_SIZE,
    MAX_STAMPS,
    STRIP_POINTS,
    StampImages,
    art_version,
    contrast_ratio,
    layout,
    mark_colour,
    render_hero,
    render_strips,
    stamp_image_name,
)
from tests.passes.conftest import CARDS

STRIP_SIZES = {"strip.png": (375, 123), "strip@2x.png": (750, 246), "strip@3x.png": (1125, 369)}


def picture(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def stamp_icon(colour: tuple[int, int, int, int] = (200, 30, 60, 255)) -> bytes:
    """A merchant's stamp: a filled square with a transparent border."""
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    image.paste(Image.new("RGBA", (40, 40), colour), (12, 12))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def with_images(design: CardDesign, **images: bytes | None) -> CardDesign:
    merged = {name: data for name, data in design.images.items() if name not in images}
    merged.update({name: data for name, data in images.items() if data is not None})
    return dataclasses.replace(design, images=merged)


def colour_at(data: bytes, x: float, y: float) -> tuple[int, int, int]:
    rgb = picture(data).convert("RGB").getpixel((round(x), round(y)))
    assert isinstance(rgb, tuple)
    return (int(rgb[0]), int(rgb[1]), int(rgb[2]))


def near(actual: tuple[int, int, int], expected: Colour, tolerance: int = 24) -> bool:
    wanted = (expected.red, expected.green, expected.blue)
    return all(abs(a - b) <= tolerance for a, b in zip(actual, wanted, strict=True))


class TestPictures:
    def test_0_3_and_10_of_10_differ_at_exact_sizes(self, coffee: CardDesign) -> None:
        strips = {count: render_strips(coffee, count, 10) for count in (0, 3, 10)}
        heroes = {count: render_hero(coffee, count, 10) for count in (0, 3, 10)}
        for count in (0, 3, 10):
            assert set(strips[count]) == set(STRIP_SIZES)
            for name, size in STRIP_SIZES.items():
                image = picture(strips[count][name])
                assert (image.format, image.size, image.mode) == ("PNG", size, "P")
            hero = picture(heroes[count])
            assert (hero.format, hero.size, hero.mode) == ("PNG", HERO_SIZE, "P")
        for first, second in itertools.combinations((0, 3, 10), 2):
            assert heroes[first] != heroes[second]
            for name in STRIP_SIZES:
                assert strips[first][name] != strips[second][name]

    def test_same_input_same_bytes(self, florist: CardDesign) -> None:
        assert render_strips(florist, 4, 8) == render_strips(florist, 4, 8)
        assert render_hero(florist, 4, 8) == render_hero(florist, 4, 8)

    def test_filled_marks_then_empty_ones_in_reading_order(self, coffee: CardDesign) -> None:
        data = render_strips(coffee, 3, 10)["strip@2x.png"]
        ink, plate = mark_colour(coffee), coffee.background
        for index, mark in enumerate(layout(10, 750, 246)):
            # A third of the way up from the centre: inside a filled disc, inside an empty ring.
            sample = colour_at(data, mark.x, mark.y - mark.diameter * 0.3)
            assert near(sample, ink if index < 3 else plate), (index, sample)

    def test_more_stamps_than_the_card_holds_show_a_full_card(self, coffee: CardDesign) -> None:
        assert render_hero(coffee, 14, 10) == render_hero(coffee, 10, 10)
        assert stamp_image_name(14, 10) == "10-of-10.png"
        assert stamp_image_name(-1, 10) == "0-of-10.png"

    def test_a_design_without_a_strip_draws_on_its_background(self, coffee: CardDesign) -> None:
        bare = with_images(
            coffee, **{"strip.png": None, "strip@2x.png": None, "strip@3x.png": None}
        )
        bare = with_images(bare, **{"google_hero.png": None})
        strips = render_strips(bare, 2, 6)
        corner = colour_at(strips["strip@3x.png"], 2, 2)
        assert near(corner, coffee.background, tolerance=2)
        assert picture(render_hero(bare, 2, 6)).size == HERO_SIZE

    def test_strips_stay_small(self, coffee: CardDesign, florist: CardDesign) -> None:
        # Palette PNGs: the three strips together stay within 40 KB (the designs' own strips
        # went through the image pipeline and are smaller still; see passes/images).
        for design in (coffee, florist):
            drawn = sum(len(data) for data in render_strips(design, 5, 10).values())
            assert drawn < 40_000


class TestLayout:
    @pytest.mark.parametrize("required", range(1, 21))
    def test_every_total_from_1_to_20_fits_without_overlap(self, required: int) -> None:
        width, height = STRIP_POINTS
        marks = layout(required, width, height)
        assert len(marks) == required
        for mark in marks:
            radius = mark.diameter / 2
            assert radius <= mark.x <= width - radius
            assert radius <= mark.y <= height - radius
            assert mark.diameter >= 24  # a thumb-sized mark even at 20 stamps
        for first, second in itertools.combinations(marks, 2):
            gap = math.dist((first.x, first.y), (second.x, second.y))
            assert gap >= first.diameter * 1.2

    def test_rows_when_needed(self) -> None:
        def rows(required: int) -> int:
            return len({round(mark.y, 3) for mark in layout(required, *STRIP_POINTS)})

        assert [rows(n) for n in (1, 4, 5, 10, 12, 20)] == [1, 1, 1, 2, 2, 3]
        tens = layout(10, *STRIP_POINTS)
        assert [round(m.y) for m in tens].count(round(tens[0].y)) == 5  # two rows of five

    def test_up_to_the_programs_limit(self) -> None:
        assert len(layout(MAX_STAMPS, *STRIP_POINTS)) == MAX_STAMPS
        for required in (0, MAX_STAMPS + 1):
            with pytest.raises(ValueError, match="1 to 50"):
                layout(required, *STRIP_POINTS)


class TestContrast:
    def test_wcag_ratio(self) -> None:
        black, white = Colour(0, 0, 0), Colour(255, 255, 255)
        assert contrast_ratio(black, white) == pytest.approx(21.0)
        assert contrast_ratio(white, white) == pytest.approx(1.0)

    def test_shipped_designs_marks_stand_out(self, coffee: CardDesign, florist: CardDesign) -> None:
        for design in (coffee, florist):
            assert mark_colour(design) == design.foreground
            assert contrast_ratio(mark_colour(design), design.background) >= 3.0

    def test_a_faint_foreground_is_replaced_by_black_or_white(self, coffee: CardDesign) -> None:
        dark = dataclasses.replace(coffee, foreground=Colour(0x4A, 0x30, 0x20))
        light = dataclasses.replace(
            coffee, background=Colour(0xF4, 0xEE, 0xE0), foreground=Colour(0xFF, 0xFF, 0xF0)
        )
        assert mark_colour(dark) == Colour(255, 255, 255)
        assert mark_colour(light) == Colour(0, 0, 0)
        data = render_strips(light, 1, 1)["strip.png"]
        mark = layout(1, *STRIP_POINTS)[0]
        assert near(colour_at(data, mark.x, mark.y - mark.diameter * 0.3), Colour(0, 0, 0))


class TestMerchantStamp:
    def test_the_merchants_icon_is_the_mark(self, coffee: CardDesign) -> None:
        own = with_images(coffee, **{"stamp.png": stamp_icon()})
        data = render_strips(own, 2, 4)["strip@3x.png"]
        assert data != render_strips(coffee, 2, 4)["strip@3x.png"]
        marks = layout(4, 1125, 369)
        filled = colour_at(data, marks[0].x, marks[0].y)
        empty = colour_at(data, marks[3].x, marks[3].y)
        assert near(filled, Colour(200, 30, 60))  # the icon itself
        assert max(empty) - min(empty) < 30  # a grey ghost: no saturated colour
        assert art_version(own) != art_version(coffee)

    def test_the_design_loads_an_optional_stamp_png(self, tmp_path: Path) -> None:
        folder = tmp_path / "coffee"
        shutil.copytree(CARDS / "coffee", folder)
        (folder / "stamp.png").write_bytes(stamp_icon())
        assert load_design(folder).images["stamp.png"] == stamp_icon()
        big = Image.new("RGBA", (600, 600))
        big.save(folder / "stamp.png")
        with pytest.raises(DesignError, match="stamp.png"):
            load_design(folder)


class TestCache:
    def test_each_picture_is_drawn_once(self, coffee: CardDesign) -> None:
        cache = StampImages(capacity=8)
        first = cache.strips(coffee, 3, 10)
        assert cache.strips(coffee, 3, 10) is first
        assert cache.strips(coffee, 12, 10) is cache.strips(coffee, 10, 10)
        cache.hero(coffee, 3, 10)
        cache.hero(coffee, 3, 10)
        assert cache.renders == 3  # strips 3/10 and 10/10, hero 3/10
        assert first == render_strips(coffee, 3, 10)

    def test_a_new_design_version_is_drawn_again(self, coffee: CardDesign) -> None:
        cache = StampImages()
        cache.hero(coffee, 1, 5)
        recoloured = dataclasses.replace(coffee, background=Colour(0, 0x40, 0x80))
        assert cache.version(recoloured) != cache.version(coffee)
        assert cache.hero(recoloured, 1, 5) != cache.hero(coffee, 1, 5)
        assert cache.renders == 2

    def test_least_recently_used_is_dropped(self, florist: CardDesign) -> None:
        cache = StampImages(capacity=2)
        for count in (0, 1, 0, 2, 0, 1):
            cache.hero(florist, count, 3)
        assert cache.renders == 4  # 0, 1, 2, then 1 again (dropped for 2)

    def test_threads_share_the_cache(self, florist: CardDesign) -> None:
        cache = StampImages()
        cache.hero(florist, 2, 3)
        results: list[bytes] = []
        workers = [
            threading.Thread(target=lambda: results.append(cache.hero(florist, 2, 3)))
            for _ in range(8)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert len(set(results)) == 1
        assert cache.renders == 1
