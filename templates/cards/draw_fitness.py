"""Artwork of the fitness-club starter ("Kettle & Core"): a kettlebell icon and logo mark and a
strip of a kettlebell, a dumbbell and a pulse line on speed stripes. Drawn by ``draw.py``."""

from __future__ import annotations

import math

from draw import CLEAR, Color, Pen, Point, blob, gradient, mix

NAVY, ORANGE, TEAL = (22, 33, 58), (255, 138, 61), (94, 210, 190)
BACKGROUND = NAVY  # the design's background colour, behind icon and strip
STEEL, WHITE = (206, 214, 226), (255, 255, 255)


def box(cx: float, cy: float, w: float, h: float, angle: float = 0.0) -> list[Point]:
    """A w x h rectangle centred on (cx, cy), turned `angle` degrees."""
    ca, sa = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    corners = ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2))
    return [(cx + u * ca - v * sa, cy + u * sa + v * ca) for u, v in corners]


def kettlebell(pen: Pen, cx: float, cy: float, s: float, body: Color, hole: Color) -> None:
    """A kettlebell about `s` units tall whose base sits at cy + s/2."""
    pen.circle(cx, cy - s * 0.2, s * 0.3, body)  # handle
    pen.circle(cx, cy - s * 0.2, s * 0.19, hole)
    pen.circle(cx, cy + s * 0.12, s * 0.36, body)  # bell
    pen.poly(box(cx, cy + s * 0.45, s * 0.44, s * 0.1), body)  # flat base
    if hole != CLEAR:
        pen.poly(blob(cx - s * 0.14, cy + s * 0.02, s * 0.2, s * 0.09, -50), mix(body, WHITE, 0.35))


def dumbbell(pen: Pen, cx: float, cy: float, length: float, angle: float, color: Color) -> None:
    """A dumbbell `length` units long along `angle` degrees: bar, two plates each end."""
    ca, sa = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    pen.poly(box(cx, cy, length * 0.9, length * 0.06, angle), mix(color, NAVY, 0.25))
    for side in (-1, 1):
        for offset, height in ((0.3, 0.42), (0.39, 0.32)):
            u = side * length * offset
            pen.poly(box(cx + u * ca, cy + u * sa, length * 0.08, length * height, angle), color)


def icon(pen: Pen, _h: float) -> None:
    pen.glow(50, 56, 50, 46, ORANGE, 0.3)
    kettlebell(pen, 50, 50, 72, ORANGE, NAVY)


def mark(pen: Pen, _h: float) -> None:
    """A kettlebell in a 50x50 box with a pulse line cut through it to transparency."""
    kettlebell(pen, 25, 24, 44, ORANGE, CLEAR)
    pulse = [(4, 30), (17, 30), (21, 22), (26, 38), (30, 27), (46, 27)]
    pen.line(pulse, 3.2, CLEAR)


def strip(pen: Pen, h: float) -> None:
    pen.img.paste(gradient(pen.img.size, [(14, 21, 38), NAVY, (30, 44, 76), (38, 56, 96)]))
    pen.img.paste(
        (8, 12, 22), (0, 0), gradient(pen.img.size, [(120,), (0,), (0,), (150,)], vertical=True)
    )
    pen.glow(300, h / 2, 140, h * 1.1, ORANGE, 0.22)
    for i, x in enumerate(range(150, 420, 34)):  # speed stripes
        color = (*(TEAL if i % 2 else ORANGE), 22 + 6 * (i % 3))
        pen.poly([(x, h + 6), (x + 16, h + 6), (x + 66, -6), (x + 50, -6)], color)
    dumbbell(pen, 214, h * 0.58, 92, -24, STEEL)
    pulse = [(140, h * 0.72), (236, h * 0.72), (248, h * 0.5), (262, h * 0.9)]
    pulse += [(276, h * 0.62), (290, h * 0.72), (390, h * 0.72)]
    pen.line(pulse, 3.4, TEAL)
    pen.circle(312, h * 0.58 + 3, h * 0.38, (0, 0, 0, 70))  # shadow
    kettlebell(pen, 310, h * 0.5, h * 0.86, ORANGE, mix(NAVY, (30, 44, 76), 0.6))
