"""The analytics page's charts as SVG geometry, drawn by the server (no script, no chart
library): labelled horizontal bars, and the cohort retention grid. Each chart is 300 units
wide and scales to the page, so it reads at 390 px as on a desktop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from api.analytics.schemas import Cohort

WIDTH = 300
ROW = 30  # a label line over its bar
BAR = 12
LEFT = 52  # the cohort grid's month labels
CELL_HEIGHT = 22


@dataclass(frozen=True, slots=True)
class HBar:
    label: str
    shown: str  # the value as the page prints it ("42 %", "1 250.00 RUB")
    y: float  # the label's baseline; the bar sits below it
    width: float


@dataclass(frozen=True, slots=True)
class HBars:
    bars: list[HBar]
    height: float
    marker: float | None  # x of a goal line, when there is one
    marker_label: str


def hbars(
    rows: Sequence[tuple[str, float, str]], *, scale: float | None = None,
    marker: float | None = None, marker_label: str = "",
) -> HBars:  # fmt: skip
    """One bar per (label, value, shown) on a common scale (the largest value, the marker
    or ``scale``); a value of 0 draws no bar but keeps its label."""
    top = max([v for _, v, _ in rows] + [marker or 0, scale or 0, 0])
    bars = [
        HBar(label, shown, y=ROW * i + 11, width=round(WIDTH * value / top, 2) if top else 0)
        for i, (label, value, shown) in enumerate(rows)
    ]
    x = round(WIDTH * marker / top, 2) if marker is not None and top else None
    return HBars(bars, height=ROW * len(rows) + 4, marker=x, marker_label=marker_label)


@dataclass(frozen=True, slots=True)
class Cell:
    x: float
    y: float
    width: float
    opacity: float
    rate: float
    active: int
    is_dark: bool  # a dark cell takes white text


@dataclass(frozen=True, slots=True)
class GridRow:
    month: str
    members: int
    y: float
    cells: list[Cell]


@dataclass(frozen=True, slots=True)
class Grid:
    rows: list[GridRow]
    columns: int
    cell_width: float
    height: float
    has_numbers: bool  # wide enough cells to print the percentage


def cohort_grid(cohorts: Sequence[Cohort]) -> Grid:
    """Rows: the months members joined; columns: months since; shade: the share who bought."""
    columns = max((len(c.active) for c in cohorts), default=0)
    width = (WIDTH - LEFT) / columns if columns else 0
    rows = []
    for i, cohort in enumerate(cohorts):
        y = 14 + i * CELL_HEIGHT
        cells = [
            Cell(
                x=round(LEFT + k * width, 2),
                y=y,
                width=round(width - 2, 2),
                opacity=round(0.08 + 0.92 * rate, 3),
                rate=rate,
                active=active,
                is_dark=rate >= 0.45,
            )
            for k, (rate, active) in enumerate(zip(cohort.retention, cohort.active, strict=True))
        ]
        rows.append(GridRow(cohort.month, cohort.members, y, cells))
    return Grid(rows, columns, round(width, 2), 14 + len(cohorts) * CELL_HEIGHT + 2, width >= 24)
