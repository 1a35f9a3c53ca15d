"""The wheel's SVG geometry: wedges clockwise from the top, where the pointer is, each as wide
as its published chance (weights 10/10/80 draw 36, 36 and 288 degrees).

Labels run along the wedge's middle radius and are turned so they never read upside down
(those on the left half are flipped). A label longer than its wedge has room for is cut with
an ellipsis; a wedge too thin for three letters carries no text, and the odds table beside the
wheel (its legend, with each wedge's colour) names it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

RADIUS = 100
COLOURS = ("#b3261e", "#1d1d1f", "#a05a00", "#1f4d3a", "#3b2418", "#1a4f8a")
FONT_SIZE = 10
HUB = 14  # no text inside the hub (its circle is 9) and a margin around it
OUTER = 92  # labels end inside the rim
CHAR_WIDTH = 0.66 * FONT_SIZE  # a bold letter, generously: Cyrillic and capitals are wide
MIN_CHARS = 3
ELLIPSIS = "\u2026"


@dataclass(frozen=True, slots=True)
class Wedge:
    path: str
    colour: str
    start: float  # degrees clockwise from 12 o'clock
    sweep: float
    label: str  # what the wedge shows: the prize's label, maybe shortened; "" when too thin
    label_x: float
    label_y: float
    label_angle: float  # the text's rotation, always within [-90, 90]

    @property
    def middle(self) -> float:
        return self.start + self.sweep / 2

    @property
    def is_labelled(self) -> bool:
        return bool(self.label)


def sweeps(weights: Sequence[int]) -> list[float]:
    """Each wedge's angle in degrees, in proportion to its weight; they sum to 360."""
    total = sum(weights)
    if total <= 0 or any(w <= 0 for w in weights):
        raise ValueError("weights must be positive")
    return [360 * w / total for w in weights]


def wedges(weights: Sequence[int], labels: Sequence[str]) -> list[Wedge]:
    """The wheel centred at (0, 0): one wedge per prize, wedge 0 starting at 12 o'clock."""
    result = []
    start = 0.0
    count = len(weights)
    for index, (sweep, label) in enumerate(zip(sweeps(weights), labels, strict=True)):
        colour = COLOURS[index % len(COLOURS)]
        if count % len(COLOURS) == 1 and index == count - 1 and index:  # no neighbours alike
            colour = COLOURS[1]
        text, radius = _fit(label, sweep)
        middle = start + sweep / 2
        lx, ly = _point(middle, radius)
        result.append(
            Wedge(
                path=_path(start, sweep),
                colour=colour,
                start=round(start, 4),
                sweep=round(sweep, 4),
                label=text,
                label_x=round(lx, 2),
                label_y=round(ly, 2),
                label_angle=round(upright(middle - 90), 2),
            )
        )
        start += sweep
    return result


def upright(angle: float) -> float:
    """``angle`` turned by half a turn when it would show text upside down: within [-90, 90]."""
    angle = (angle + 180) % 360 - 180  # [-180, 180)
    if angle > 90:
        return angle - 180
    if angle < -90:
        return angle + 180
    return angle


def landing(wedge: Wedge) -> float:
    """The disc's rotation (degrees) that puts the middle of ``wedge`` under the pointer."""
    return round((360 - wedge.middle) % 360, 2)


def _fit(label: str, sweep: float) -> tuple[str, float]:
    """The text that fits a radial label in a wedge of ``sweep`` degrees, and the radius of its
    centre. The text must stay where the wedge is at least a line high."""
    half = math.radians(min(sweep, 180) / 2)
    inner = max(HUB, 0.75 * FONT_SIZE / math.sin(half)) if half else OUTER
    room = OUTER - inner
    fits = int(room // CHAR_WIDTH)
    if fits < MIN_CHARS:
        return "", (inner + OUTER) / 2 if room > 0 else OUTER
    if len(label) > fits:
        label = label[: fits - 1].rstrip() + ELLIPSIS
    length = len(label) * CHAR_WIDTH
    # Centred where the wedge is widest: as far out as the text allows.
    return label, OUTER - length / 2


def _path(start: float, sweep: float) -> str:
    if sweep >= 360:  # a single prize: a whole disc (an arc cannot end where it starts)
        arc = f"A{RADIUS} {RADIUS} 0 1 1"
        return f"M0 {-RADIUS}{arc} 0 {RADIUS}{arc} 0 {-RADIUS}Z"
    x1, y1 = _point(start, RADIUS)
    x2, y2 = _point(start + sweep, RADIUS)
    large = 1 if sweep > 180 else 0
    return f"M0 0L{x1:.2f} {y1:.2f}A{RADIUS} {RADIUS} 0 {large} 1 {x2:.2f} {y2:.2f}Z"


def _point(degrees: float, radius: float) -> tuple[float, float]:
    """The point at ``degrees`` clockwise from 12 o'clock."""
    radians = math.radians(degrees - 90)
    return radius * math.cos(radians), radius * math.sin(radians)
