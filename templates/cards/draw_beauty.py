"""Artwork of the beauty-salon starter ("Шёлк и гребень" / "Silk & Comb"): a hand-mirror icon,
a scissors logo mark and a strip of a mirror, a comb, scissors and sparkles. Drawn by
``draw.py``."""

from __future__ import annotations

import math
import random

from draw import CLEAR, Color, Pen, Point, blob, gradient, mix

PLUM, ROSE, GOLD = (74, 31, 61), (242, 181, 201), (232, 190, 140)
BACKGROUND = PLUM  # the design's background colour, behind icon and strip
BLUSH, CREAM = (250, 222, 230), (255, 245, 247)


def turned(cx: float, cy: float, angle: float, pts: list[Point]) -> list[Point]:
    """`pts` (relative to the origin) turned `angle` degrees and moved to (cx, cy)."""
    ca, sa = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return [(cx + u * ca - v * sa, cy + u * sa + v * ca) for u, v in pts]


def mirror(pen: Pen, cx: float, cy: float, s: float, angle: float, glass: Color) -> None:
    """A hand mirror `s` units long, turned `angle` degrees: oval frame, glass and handle."""
    head = turned(cx, cy, angle, [(0.0, -s * 0.12)])[0]
    handle = [(-s * 0.045, s * 0.1), (s * 0.045, s * 0.1), (s * 0.025, s * 0.5)]
    pen.poly(turned(cx, cy, angle, [*handle, (-s * 0.025, s * 0.5)]), GOLD)
    end = turned(cx, cy, angle, [(0.0, s * 0.5)])[0]
    pen.circle(end[0], end[1], s * 0.045, GOLD)
    pen.poly(blob(head[0], head[1], s * 0.56, s * 0.46, angle + 90), GOLD)
    pen.poly(blob(head[0], head[1], s * 0.47, s * 0.37, angle + 90), glass)
    shine = turned(cx, cy, angle, [(-s * 0.08, -s * 0.2)])[0]
    pen.poly(blob(shine[0], shine[1], s * 0.16, s * 0.05, angle + 60), mix(glass, CREAM, 0.6))


def comb(pen: Pen, cx: float, cy: float, length: float, angle: float, color: Color) -> None:
    """A comb `length` units long: a spine and a row of teeth."""
    spine = [(-length / 2, -length * 0.06), (length / 2, -length * 0.06)]
    spine += [(length / 2, length * 0.03), (-length / 2, length * 0.03)]
    pen.poly(turned(cx, cy, angle, spine), color)
    teeth = 16
    for i in range(teeth):
        u = -length * 0.46 + i * length * 0.92 / (teeth - 1)
        tooth = [(u - length * 0.012, 0), (u + length * 0.012, 0)]
        tooth += [(u + length * 0.009, length * 0.17), (u - length * 0.009, length * 0.17)]
        pen.poly(turned(cx, cy, angle, tooth), color)


def scissors(pen: Pen, cx: float, cy: float, s: float, angle: float, color: Color) -> None:
    """Open scissors `s` units long pointing along `angle` - 90 degrees (up when 0)."""
    for side in (-1, 1):
        blade = turned(cx, cy, angle + side * 14, [(0.0, 0.0)])[0]
        tip = turned(cx, cy, angle + side * 14, [(0.0, -s * 0.62)])[0]
        pen.poly(blob((blade[0] + tip[0]) / 2, (blade[1] + tip[1]) / 2, s * 0.66, s * 0.12,
                      angle + side * 14 - 90, 1, 0.3), color)  # fmt: skip
        ring = turned(cx, cy, angle - side * 24, [(0.0, s * 0.3)])[0]
        pen.ring(ring[0], ring[1], s * 0.12, s * 0.05, color)
        pen.line([(cx, cy), turned(cx, cy, angle - side * 24, [(0.0, s * 0.19)])[0]],
                 s * 0.07, color)  # fmt: skip
    pen.circle(cx, cy, s * 0.04, mix(color, PLUM, 0.5))


def sparkle(pen: Pen, cx: float, cy: float, r: float, color: Color) -> None:
    """A four-pointed star of radius `r`."""
    pts: list[Point] = []
    for i in range(8):
        a = math.radians(45 * i - 90)
        d = r if i % 2 == 0 else r * 0.28
        pts.append((cx + d * math.cos(a), cy + d * math.sin(a)))
    pen.poly(pts, color)


def icon(pen: Pen, _h: float) -> None:
    pen.glow(50, 44, 52, 50, (160, 70, 120), 0.4)
    mirror(pen, 48, 52, 84, -20, BLUSH)
    sparkle(pen, 76, 22, 9, CREAM)


def mark(pen: Pen, _h: float) -> None:
    """Scissors in a 50x50 box."""
    scissors(pen, 25, 29, 40, 0, ROSE)
    sparkle(pen, 42, 8, 5.5, GOLD)
    pen.circle(25, 29, 1.4, CLEAR)


def strip(pen: Pen, h: float) -> None:
    pen.img.paste(gradient(pen.img.size, [(52, 20, 42), PLUM, (98, 44, 80), (120, 58, 98)]))
    pen.img.paste(
        (30, 10, 24), (0, 0), gradient(pen.img.size, [(110,), (0,), (0,), (150,)], vertical=True)
    )
    pen.glow(300, h / 2, 150, h * 1.2, ROSE, 0.28)
    rng = random.Random(5)
    for _ in range(14):  # drifting petals
        x, y = rng.uniform(150, 400), rng.uniform(4, h - 4)
        fade = max(0.0, min(1.0, (x - 150) / 90))
        color = mix(PLUM, ROSE, 0.35 + 0.4 * fade)
        pen.poly(blob(x, y, 9, 5, rng.uniform(0, 180), 0.4), color)
    comb(pen, 226, h * 0.62, 96, -18, mix(ROSE, PLUM, 0.15))
    pen.poly(blob(300, h * 0.55, h * 0.8, h * 0.7, 90), (0, 0, 0, 60))  # shadow
    mirror(pen, 294, h * 0.5, h * 1.06, 16, BLUSH)
    scissors(pen, 350, h * 0.6, 52, 24, CREAM)
    for x, y, r in ((182, 0.26, 7), (268, 0.2, 5), (352, 0.16, 8), (394, 0.86, 5)):
        sparkle(pen, x, h * y, r, GOLD)
