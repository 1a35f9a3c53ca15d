"""Artwork of the clothing-store starter ("Loom & Lane"): a hanger icon, a T-shirt logo mark
and a strip of garments on a rail. Drawn by ``draw.py``."""

from __future__ import annotations

from draw import CLEAR, Color, Pen, Point, bezier, gradient, mix

SLATE, MUSTARD, CREAM = (43, 45, 66), (233, 196, 106), (240, 234, 214)
BACKGROUND = SLATE  # the design's background colour, behind icon and strip
TERRACOTTA, TEAL, ROSE, SKY = (231, 111, 81), (42, 157, 143), (214, 140, 160), (140, 180, 220)

#: A T-shirt one unit wide and about one unit tall, from the collar's middle (0, 0).
SHIRT: list[Point] = [
    (-0.14, 0.0), (-0.5, 0.14), (-0.62, 0.42), (-0.4, 0.5), (-0.34, 0.38),
    (-0.34, 1.0), (0.34, 1.0), (0.34, 0.38), (0.4, 0.5), (0.62, 0.42), (0.5, 0.14), (0.14, 0.0),
    (0.0, 0.12),
]  # fmt: skip
#: A dress, same units.
DRESS: list[Point] = [
    (-0.12, 0.0), (-0.3, 0.06), (-0.26, 0.4), (-0.5, 1.1), (0.5, 1.1), (0.26, 0.4), (0.3, 0.06),
    (0.12, 0.0), (0.0, 0.1),
]  # fmt: skip


def garment(pen: Pen, shape: list[Point], x: float, y: float, width: float, color: Color) -> None:
    pen.poly([(x + u * width, y + v * width) for u, v in shape], color)


def hanger(pen: Pen, x: float, y: float, width: float, color: Color, stroke: float) -> None:
    """A hanger whose hook top is at (x, y) and whose shoulders span `width`."""
    hook = bezier((x - width * 0.09, y + width * 0.08), (x - width * 0.1, y - width * 0.03),
                  (x + width * 0.08, y - width * 0.04), (x, y + width * 0.16), n=24)  # fmt: skip
    pen.line(hook, stroke, color)
    top = (x, y + width * 0.16)
    left, right = (x - width / 2, y + width * 0.42), (x + width / 2, y + width * 0.42)
    pen.line([left, top, right, left], stroke, color)


def icon(pen: Pen, _h: float) -> None:
    pen.glow(50, 50, 50, 50, (90, 94, 130), 0.5)
    hanger(pen, 50, 14, 70, MUSTARD, 5.5)
    garment(pen, SHIRT, 50, 44, 56, CREAM)


def mark(pen: Pen, _h: float) -> None:
    """A T-shirt in a 50x50 box with a V collar cut to transparency."""
    garment(pen, SHIRT, 25, 6, 40, MUSTARD)
    pen.poly([(19.4, 6), (30.6, 6), (25, 14)], CLEAR)


def strip(pen: Pen, h: float) -> None:
    pen.img.paste(gradient(pen.img.size, [(30, 31, 46), SLATE, (58, 60, 86), (70, 72, 102)]))
    pen.img.paste(
        (18, 18, 28), (0, 0), gradient(pen.img.size, [(90,), (0,), (0,), (150,)], vertical=True)
    )
    pen.glow(300, h / 2, 160, h * 1.2, MUSTARD, 0.16)
    rail = h * 0.1
    pen.line([(120, rail), (420, rail)], 3.2, mix(CREAM, SLATE, 0.35))
    rack = [
        (170, SHIRT, 48, mix(SKY, SLATE, 0.45)),
        (214, DRESS, 52, mix(ROSE, SLATE, 0.3)),
        (262, SHIRT, 56, TEAL),
        (312, DRESS, 60, TERRACOTTA),
        (360, SHIRT, 56, MUSTARD),
        (404, DRESS, 52, CREAM),
    ]
    for x, shape, width, color in rack:
        top = rail + width * 0.04
        shoulders = top + width * 0.3
        garment(pen, shape, x + 2, shoulders + 3, width, (0, 0, 0, 60))  # shadow
        garment(pen, shape, x, shoulders, width, color)
        hanger(pen, x, rail - width * 0.05, width * 0.78, mix(CREAM, SLATE, 0.15), 1.8)
