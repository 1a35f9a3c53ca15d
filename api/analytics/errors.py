"""Errors of program analytics."""

from __future__ import annotations

from api.errors import InvalidRequest


class AnalyticsPeriodInvalid(InvalidRequest):
    """``from`` is after ``to``, or the period is longer than the analytics cover."""

    code, title = "analytics_period_invalid", "The analytics period is not valid"
