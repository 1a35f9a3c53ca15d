"""Server-drawn bar charts: one SVG per series, no script, no chart library."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

WIDTH, HEIGHT = 300, 90


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    value: int


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    bars: list[Bar]
    total: int
    peak: int
    first: date
    last: date


def bar_chart(title: str, counts: Mapping[date, int], *, last: date, days: int) -> Chart:
    """``days`` bars ending on ``last``; a day with no count is a zero bar."""
    first = last - timedelta(days=days - 1)
    series = [
        (first + timedelta(days=i), counts.get(first + timedelta(days=i), 0)) for i in range(days)
    ]
    peak = max((value for _, value in series), default=0)
    step = WIDTH / days
    bars = []
    for index, (day, value) in enumerate(series):
        height = (HEIGHT - 4) * value / peak if peak else 0
        bars.append(
            Bar(round(index * step + 1, 2), round(HEIGHT - height, 2), round(step - 2, 2),
                round(height, 2), day, value)
        )  # fmt: skip
    return Chart(title, bars, sum(v for _, v in series), peak, first, last)
