"""Draw the Wallet artwork for the built-in loyalty-card designs.

Writes, next to this file, ``coffee/`` ("Bean & Brew": cup icon, coffee-bean
logo, latte-and-beans strip), ``florist/`` ("Petal & Stem": tulip icon,
blossom logo, tulip-meadow strip), ``fitness/``, ``beauty/`` and ``clothing/``
(drawn by ``draw_fitness.py``, ``draw_beauty.py`` and ``draw_clothing.py``
with the shapes defined here).  Each folder gets Apple Wallet
``icon``/``logo``/``strip`` PNGs at @1x/@2x/@3x plus ``google_logo.png`` and
``google_hero.png`` for Google Wallet.

Everything is built from vector shapes with Pillow only (no fonts, no external
assets).  Every file is drawn from the same description at its own size,
supersampled 4x and downscaled with LANCZOS; the output is byte-for-byte
deterministic (fixed random seeds, no PNG metadata) and palette-quantised by
``passes.encode_png`` (the image pipeline merchants' uploads go through).

Run from the repository root:  python templates/cards/draw.py
"""

from __future__ import annotations

import importlib.util
import math
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

from PIL import Image, ImageDraw

from passes import encode_png

SS = 4  # supersampling factor
HERE = Path(__file__).resolve().parent
Color = tuple[int, ...]
Point = tuple[float, float]
CLEAR: Color = (0, 0, 0, 0)


def mix(a: Color, b: Color, t: float) -> Color:
    """Linear blend of two RGB colours (t=0 gives a, t=1 gives b)."""
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=False))


def blob(
    cx: float,
    cy: float,
    length: float,
    width: float,
    angle: float,
    tip_a: float = 0.0,
    tip_b: float = 0.0,
    n: int = 144,
) -> list[Point]:
    """Ellipse-like outline along an axis at `angle` degrees (screen coords).

    tip_a / tip_b (0..1) sharpen the +axis / -axis end: 0 is round, 1 is a point.
    """
    ca, sa = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        s = math.sin(t)
        u = math.cos(t) * length / 2
        v = s * abs(s) ** (tip_a if u >= 0 else tip_b) * width / 2
        pts.append((cx + u * ca - v * sa, cy + u * sa + v * ca))
    return pts


def bezier(p0: Point, p1: Point, p2: Point, p3: Point, n: int = 48) -> list[Point]:
    """Points along a cubic Bezier curve."""
    out = []
    for i in range(n + 1):
        t = i / n
        a, b, c, d = (1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t**3
        out.append(
            (
                a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
                a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1],
            )
        )
    return out


def heart(cx: float, cy: float, size: float, n: int = 160) -> list[Point]:
    """Classic parametric heart, roughly `size` units wide."""
    k = size / 32
    return [
        (
            cx + k * 16 * math.sin(t) ** 3,
            cy
            - k * (13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)),
        )
        for t in (2 * math.pi * i / n for i in range(n))
    ]


class Pen:
    """Draws shapes given in design units onto a supersampled image."""

    def __init__(self, img: Image.Image, k: float, origin: Point = (0.0, 0.0)) -> None:
        self.img, self.k, self.origin = img, k, origin
        # RGB canvases blend translucent fills; RGBA canvases (logos) write pixels as-is.
        self.draw = ImageDraw.Draw(img, "RGBA") if img.mode == "RGB" else ImageDraw.Draw(img)

    def xy(self, p: Point) -> Point:
        return (self.origin[0] + p[0] * self.k, self.origin[1] + p[1] * self.k)

    def poly(self, pts: Sequence[Point], fill: Color) -> None:
        self.draw.polygon([self.xy(p) for p in pts], fill=fill)

    def circle(self, cx: float, cy: float, r: float, fill: Color) -> None:
        self.poly(blob(cx, cy, 2 * r, 2 * r, 0), fill)

    def ring(self, cx: float, cy: float, r: float, width: float, fill: Color) -> None:
        (x0, y0), (x1, y1) = self.xy((cx - r, cy - r)), self.xy((cx + r, cy + r))
        self.draw.ellipse((x0, y0, x1, y1), outline=fill, width=max(1, round(width * self.k)))

    def line(self, pts: Sequence[Point], width: float, fill: Color) -> None:
        """Thick polyline with round joints and caps (use opaque colours)."""
        px, w = [self.xy(p) for p in pts], width * self.k
        self.draw.line(px, fill=fill, width=max(1, round(w)), joint="curve")
        for x, y in (px[0], px[-1]):
            self.draw.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=fill)

    def glow(
        self, cx: float, cy: float, rx: float, ry: float, color: Color, strength: float
    ) -> None:
        """Soft radial wash of `color` that fades out at the given radii."""
        m = Image.radial_gradient("L").point(
            lambda v: round(255 * strength * max(0.0, 1 - v / 181) ** 1.3)
        )
        w, h = max(1, round(2 * rx * self.k)), max(1, round(2 * ry * self.k))
        x, y = self.xy((cx - rx, cy - ry))
        self.img.paste(
            Image.new(self.img.mode, (w, h), color),
            (round(x), round(y)),
            m.resize((w, h), Image.BILINEAR),
        )


def gradient(size: tuple[int, int], stops: Sequence[Color], vertical: bool = False) -> Image.Image:
    """Multi-stop linear gradient (left to right, or top to bottom); 1-tuples give a mask."""
    vals = []
    for i in range(256):
        t = i / 255 * (len(stops) - 1)
        j = min(int(t), len(stops) - 2)
        vals.append(mix(stops[j], stops[j + 1], t - j))
    mode = "L" if len(stops[0]) == 1 else "RGB"
    strip = Image.new(mode, (1, 256) if vertical else (256, 1))
    strip.putdata([v[0] for v in vals] if mode == "L" else vals)
    return strip.resize(size, Image.BILINEAR)


Painter = Callable[[Pen, float], None]  # (pen, canvas height in units)


def render(
    size: tuple[int, int],
    painter: Painter,
    units: float,
    bg: Color | None = None,
    span: float | None = None,
) -> Image.Image:
    """Draw `painter` on a `size` canvas; `units` design units span `span` px, centred."""
    w, h = size
    span = span or w
    img = Image.new("RGB" if bg else "RGBA", (w * SS, h * SS), bg or CLEAR)
    k = span * SS / units
    origin = ((w - span) * SS / 2, (h - span) * SS / 2) if span != w else (0.0, 0.0)
    painter(Pen(img, k, origin), h * SS / k)
    return img.resize(size, Image.LANCZOS)


# ---------------------------------------------------------------- coffee ----
BROWN, CREAM, CARAMEL = (59, 36, 24), (255, 244, 228), (222, 164, 95)
COFFEE, LATTE = (112, 64, 36), (176, 112, 62)


def bean(
    pen: Pen,
    cx: float,
    cy: float,
    size: float,
    angle: float,
    body: Color,
    crease: Color,
    shine: Color | None = None,
) -> None:
    """A roasted coffee bean with its S-shaped crease."""
    pen.poly(blob(cx, cy, size, size * 0.7, angle), body)
    if shine:
        pen.poly(blob(cx - size * 0.08, cy - size * 0.1, size * 0.6, size * 0.3, angle), shine)
    ca, sa, half = math.cos(math.radians(angle)), math.sin(math.radians(angle)), size * 0.36
    crease_pts = [
        (u, size * 0.07 * math.sin(math.pi * u / half))
        for u in (half * (2 * i / 30 - 1) for i in range(31))
    ]
    pen.line(
        [(cx + u * ca - v * sa, cy + u * sa + v * ca) for u, v in crease_pts], size * 0.075, crease
    )


def coffee_icon(pen: Pen, _h: float) -> None:
    pen.glow(50, 58, 50, 46, CARAMEL, 0.28)
    steam = mix(CREAM, BROWN, 0.2)
    for i, x in enumerate((38, 48, 58)):
        top = 13 if i == 1 else 18
        pen.line(
            [(x + 3.2 * math.sin((y - 36) / 9 + 0.6 * i), y) for y in range(36, top - 1, -1)],
            4.6,
            steam,
        )
    pen.poly(blob(48, 82, 64, 10, 0), CARAMEL)  # saucer
    pen.ring(71, 58, 10.5, 5.2, CREAM)  # handle
    left = bezier((24, 44), (25, 68), (31, 79), (42, 80))
    pen.poly(left + [(96 - x, y) for x, y in reversed(left)], CREAM)  # cup body
    pen.poly(blob(48, 44, 48, 10, 0), CREAM)  # rim
    pen.poly(blob(48, 44.6, 41, 6.4, 0), COFFEE)  # coffee inside
    pen.poly(heart(48, 61, 17), CARAMEL)  # heart on the cup


def coffee_mark(pen: Pen, _h: float) -> None:
    """Two crossed beans in a 50x50 box; creases and the gap are cut to transparency."""
    bean(pen, 18, 28, 31, -58, CARAMEL, CLEAR)
    pen.poly(blob(32, 24, 35, 35 * 0.7 + 4, -18), CLEAR)
    bean(pen, 32, 24, 31, -18, CREAM, CLEAR)


def coffee_strip(pen: Pen, h: float) -> None:
    pen.img.paste(gradient(pen.img.size, [(44, 26, 17), BROWN, (92, 56, 33), (120, 74, 42)]))
    pen.img.paste(
        (24, 14, 9), (0, 0), gradient(pen.img.size, [(75,), (0,), (0,), (85,)], vertical=True)
    )
    cx, cy, r = 300.0, h / 2, h * 0.47
    pen.glow(cx, cy, 150, h * 1.2, CARAMEL, 0.35)
    rng = random.Random(7)
    placed: list[tuple[float, float]] = []
    for _ in range(400):
        x, y, s = rng.uniform(140, 395), rng.uniform(-8, h + 8), rng.uniform(17, 25)
        if math.hypot(x - cx, y - cy) < r + 14 or any(
            math.hypot(x - a, y - b) < 23 for a, b in placed
        ):
            continue
        placed.append((x, y))
        fade = max(0.0, min(1.0, (x - 140) / 80))
        ang = rng.uniform(0, 180)
        pen.poly(blob(x + 1.5, y + 2.5, s, s * 0.7, ang), (0, 0, 0, round(90 * fade)))
        bean(
            pen,
            x,
            y,
            s,
            ang,
            mix(BROWN, (104, 60, 33), fade),
            mix(BROWN, (36, 20, 12), fade),
            mix(BROWN, (128, 80, 46), fade),
        )
    pen.circle(cx + 2, cy + 4, r + 1, (0, 0, 0, 90))  # saucer shadow
    pen.circle(cx, cy, r, CREAM)
    pen.ring(cx, cy, r * 0.8, r * 0.04, mix(CREAM, CARAMEL, 0.35))
    a = math.radians(205)
    pen.line(
        [
            (cx + r * 0.6 * math.cos(a), cy + r * 0.6 * math.sin(a)),
            (cx + r * 1.02 * math.cos(a), cy + r * 1.02 * math.sin(a)),
        ],
        r * 0.2,
        mix(CREAM, CARAMEL, 0.15),
    )
    pen.circle(cx + 1, cy + 2, r * 0.74, (0, 0, 0, 60))  # cup shadow
    pen.circle(cx, cy, r * 0.74, CREAM)
    pen.circle(cx, cy, r * 0.64, COFFEE)
    pen.circle(cx, cy, r * 0.58, LATTE)
    for i, (size, col) in enumerate([(0.8, CREAM), (0.6, LATTE), (0.44, CREAM), (0.24, LATTE)]):
        pen.poly(heart(cx, cy + r * (0.03 - 0.06 * i), r * size), col)
    pen.line([(cx, cy - r * 0.28), (cx, cy + r * 0.4)], r * 0.035, CREAM)


# --------------------------------------------------------------- florist ----
GREEN, WHITE, PINK = (31, 77, 58), (255, 255, 255), (244, 182, 194)
LEAF, LEAF_DARK = (110, 172, 122), (72, 134, 96)
TULIPS: list[tuple[Color, Color]] = [
    (PINK, (252, 224, 230)),
    ((232, 126, 152), (246, 178, 194)),
    ((236, 236, 230), WHITE),
    ((248, 204, 212), WHITE),
]


def tulip(
    pen: Pen, x: float, y: float, s: float, colors: tuple[Color, Color], tilt: float = 0.0
) -> None:
    """A tulip head about `s` units tall centred at (x, y), tilted `tilt` degrees."""
    main, light = colors
    ct, st = math.cos(math.radians(tilt)), math.sin(math.radians(tilt))

    def at(dx: float, dy: float) -> tuple[float, float]:
        return x + (dx * ct - dy * st) * s, y + (dx * st + dy * ct) * s

    pen.poly(blob(*at(0, -0.08), 0.95 * s, 0.46 * s, -90 + tilt, 1, 0), light)
    pen.poly(blob(*at(0, 0.17), 0.52 * s, 0.66 * s, tilt), main)
    for side in (-1, 1):
        pen.poly(
            blob(*at(0.17 * side, -0.02), 0.86 * s, 0.42 * s, -90 + tilt + 14 * side, 1, 0), main
        )


def stem(pen: Pen, x0: float, y0: float, x1: float, y1: float, width: float, color: Color) -> None:
    pen.line(
        bezier((x0, y0), (x0, y0 - (y0 - y1) * 0.5), (x1, y1 + (y0 - y1) * 0.4), (x1, y1)),
        width,
        color,
    )


def florist_icon(pen: Pen, _h: float) -> None:
    pen.glow(50, 44, 52, 52, (70, 140, 104), 0.45)
    stem(pen, 50, 90, 50, 46, 5, LEAF)
    pen.poly(blob(36, 74, 36, 13, -58, 1, 1), LEAF)
    pen.poly(blob(64, 78, 28, 11, -122, 1, 1), LEAF_DARK)
    tulip(pen, 50, 34, 40, (PINK, (253, 228, 233)))


def florist_mark(pen: Pen, _h: float) -> None:
    """Five-petal blossom with a blush centre in a 50x50 box (gaps cut to transparency)."""
    for i in range(5):
        a = math.radians(-90 + 72 * i)
        pen.poly(
            blob(25 + 10.5 * math.cos(a), 25 + 10.5 * math.sin(a), 21, 15, -90 + 72 * i, 0.3), WHITE
        )
    pen.circle(25, 25, 8.2, CLEAR)
    pen.circle(25, 25, 6.2, PINK)


def florist_strip(pen: Pen, h: float) -> None:
    pen.img.paste(gradient(pen.img.size, [(36, 86, 65), GREEN, (22, 58, 43), (14, 40, 30)]))
    pen.img.paste(
        (8, 24, 17), (0, 0), gradient(pen.img.size, [(60,), (0,), (0,), (140,)], vertical=True)
    )
    pen.glow(300, h * 0.4, 140, h * 1.1, (80, 150, 112), 0.35)
    rng = random.Random(11)
    for i in range(9):  # faint background foliage
        x = 150 + i * 28 + rng.uniform(-8, 8)
        pen.poly(
            blob(x, h + 4, rng.uniform(70, 100), 16, -90 + rng.uniform(-35, 35), 1, 1),
            (150, 220, 175, 26),
        )
    back = [
        (194, 0.4, 21, 3, 6),
        (256, 0.2, 23, 1, -5),
        (316, 0.16, 24, 3, 4),
        (372, 0.24, 22, 2, -6),
    ]
    front = [
        (170, 0.64, 26, 3, -8),
        (222, 0.36, 32, 0, 4),
        (286, 0.5, 30, 2, -4),
        (344, 0.4, 34, 1, 6),
        (392, 0.62, 30, 0, -8),
    ]
    meadow(pen, h, back, rng, 0.45)
    for x, y in [(140, 0.3), (152, 0.72), (246, 0.86), (308, 0.1)]:  # drifting petals
        pen.poly(
            blob(x, h * y, 7, 4.2, rng.uniform(0, 180), 0.4),
            mix(PINK, GREEN, 0.2 if x < 200 else 0.05),
        )
    meadow(pen, h, front, rng, 0.0)


def meadow(
    pen: Pen,
    h: float,
    heads: list[tuple[float, float, float, int, float]],
    rng: random.Random,
    fade: float,
) -> None:
    """A row of tulips on stems with leaves; `fade` pushes the greens towards the background."""
    leaf, dark = mix(LEAF, GREEN, fade), mix(LEAF_DARK, GREEN, fade)
    for x, fy, s, _c, tilt in heads:
        base = x + rng.uniform(-10, 10)
        stem(
            pen,
            base,
            h + 4,
            x - math.sin(math.radians(tilt)) * s * 0.3,
            h * fy + s * 0.3,
            3.6,
            leaf,
        )
        side = 1 if x % 2 else -1
        pen.poly(
            blob(
                base + 10 * side,
                h - 6,
                rng.uniform(46, 60),
                13,
                -90 + side * rng.uniform(16, 28),
                1,
                1,
            ),
            dark if int(x) % 3 else leaf,
        )
    for x, fy, s, c, tilt in heads:
        pen.poly(
            blob(x + 1.5, h * fy + 2.5, s * 0.7, s * 0.9, 90, 0.3),
            (0, 0, 0, round(50 * (1 - fade))),
        )
        tulip(pen, x, h * fy, s, TULIPS[c], tilt)


# ------------------------------------------------------------------ main ----
def write(img: Image.Image, path: Path) -> None:
    # Through the image pipeline: the fewest palette colours above its quality floor.
    path.write_bytes(encode_png(img).data)


def build(name: str, bg: Color, icon: Painter, mark: Painter, strip: Painter) -> None:
    out = HERE / name
    out.mkdir(exist_ok=True)
    for scale, suffix in ((1, ""), (2, "@2x"), (3, "@3x")):
        write(render((29 * scale, 29 * scale), icon, 100, bg), out / f"icon{suffix}.png")
        write(render((160 * scale, 50 * scale), mark, 160), out / f"logo{suffix}.png")
        write(render((375 * scale, 123 * scale), strip, 375, bg), out / f"strip{suffix}.png")
    google = Image.new("RGBA", (660, 660), bg + (255,))
    google.alpha_composite(render((660, 660), mark, 50, span=330))
    write(google.convert("RGB"), out / "google_logo.png")
    write(render((1032, 336), strip, 375, bg), out / "google_hero.png")


def sibling(name: str) -> ModuleType:
    """A drawing module next to this file, loaded by path (``templates/`` is data, not a
    package); it finds this module's shapes under the name ``draw``."""
    sys.modules.setdefault("draw", sys.modules[__name__])
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    build("coffee", BROWN, coffee_icon, coffee_mark, coffee_strip)
    build("florist", GREEN, florist_icon, florist_mark, florist_strip)
    for name in ("fitness", "beauty", "clothing"):
        art = sibling(f"draw_{name}")
        build(name, art.BACKGROUND, art.icon, art.mark, art.strip)


if __name__ == "__main__":
    main()
