"""The wheel's SVG geometry: equal segments clockwise from the top, where the pointer is."""

from __future__ import annotations

import math
from dataclasses import dataclass

RADIUS = 100
COLOURS = ("#b3261e", "#1d1d1f", "#a05a00", "#1f4d3a", "#3b2418", "#1a4f8a")


@dataclass(frozen=True, slots=True)
class Segment:
    path: str
    colour: str
    label_x: float
    label_y: float
    label_angle: float


def segments(count: int) -> list[Segment]:
    """``count`` pie slices of a wheel centred at (0, 0); slice 0 starts at 12 o'clock."""
    step = 360 / count
    result = []
    for index in range(count):
        start, end = index * step, (index + 1) * step
        x1, y1 = _point(start, RADIUS)
        x2, y2 = _point(end, RADIUS)
        large = 1 if step > 180 else 0
        path = f"M0 0L{x1:.2f} {y1:.2f}A{RADIUS} {RADIUS} 0 {large} 1 {x2:.2f} {y2:.2f}Z"
        middle = start + step / 2
        lx, ly = _point(middle, RADIUS * 0.6)
        colour = COLOURS[index % len(COLOURS)]
        if count % len(COLOURS) == 1 and index == count - 1 and index:  # no neighbours alike
            colour = COLOURS[1]
        result.append(Segment(path, colour, round(lx, 2), round(ly, 2), round(middle - 90, 2)))
    return result


def _point(degrees: float, radius: float) -> tuple[float, float]:
    """The point at ``degrees`` clockwise from 12 o'clock."""
    radians = math.radians(degrees - 90)
    return radius * math.cos(radians), radius * math.sin(radians)
