"""Analytics as CSV: one section per metric in one file, or one metric's table alone.

Cells a spreadsheet would run as a formula (a store or staff name starting with = + - @)
are prefixed with an apostrophe."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from enum import StrEnum

from api.analytics.schemas import Analytics

Row = list[object]


class Metric(StrEnum):
    checks = "checks"
    returns = "returns"
    points = "points"
    stores = "stores"
    staff = "staff"
    cohorts = "cohorts"


def _checks(a: Analytics) -> list[Row]:
    c = a.checks
    return [
        ["purchases", "buyers", "revenue", "average_check", "frequency", "goal", "goal_reached",
         "goal_gap", "currency"],
        [c.purchases, c.buyers, c.revenue, c.average_check, c.frequency, c.goal, c.goal_reached,
         c.goal_gap, a.currency],
    ]  # fmt: skip


def _returns(a: Analytics) -> list[Row]:
    r = a.returns
    rows: list[Row] = [["measure", "members", "of", "rate"]]
    rows.append(["two purchases or more", r.returning, r.buyers, r.rate])
    rows += [
        [f"back within {c.days} days", c.members, r.first_time_buyers, c.rate] for c in r.came_back
    ]
    return rows


def _points(a: Analytics) -> list[Row]:
    p = a.points
    return [
        ["issued", "redeemed", "expired", "redemption_rate", "outstanding", "point_value",
         "liability", "currency"],
        [p.issued, p.redeemed, p.expired, p.redemption_rate, p.outstanding, p.point_value,
         p.liability, a.currency],
    ]  # fmt: skip


def _stores(a: Analytics) -> list[Row]:
    e = a.enrolments
    rows: list[Row] = [["store_id", "store", "members"]]
    rows += [[s.store_id, s.store_name, s.members] for s in e.by_store]
    rows.append(["", "without a store", e.without_store])
    return rows


def _staff(a: Analytics) -> list[Row]:
    rows: list[Row] = [["staff", "purchases", "members", "first_purchases"]]
    return rows + [
        [s.staff, s.purchases, s.members, s.first_purchases] for s in a.enrolments.by_staff
    ]


def _cohorts(a: Analytics) -> list[Row]:
    width = max((len(c.active) for c in a.cohorts), default=1)
    rows: list[Row] = [["cohort", "members", *(f"month {k}" for k in range(width))]]
    return rows + [[c.month, c.members, *c.retention] for c in a.cohorts]


TABLES: dict[Metric, Callable[[Analytics], list[Row]]] = {
    Metric.checks: _checks,
    Metric.returns: _returns,
    Metric.points: _points,
    Metric.stores: _stores,
    Metric.staff: _staff,
    Metric.cohorts: _cohorts,
}


def to_csv(analytics: Analytics, metric: Metric | None = None) -> str:
    """The metric's table, or every table as a section (``# name`` then its rows)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for name, table in TABLES.items():
        if metric is not None and name is not metric:
            continue
        if metric is None:
            if out.tell():
                writer.writerow([])
            writer.writerow([f"# {name.value}", f"{analytics.from_date}", f"{analytics.to_date}"])
        writer.writerows([[_cell(v) for v in row] for row in table(analytics)])
    return out.getvalue()


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
