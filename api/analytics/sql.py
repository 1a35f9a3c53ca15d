"""Date arithmetic both databases understand, for aggregate queries: a timestamp as a number
of days (so differences compare with 30, 60, 90) and as a month number (cohorts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeEngine


class epoch_days(FunctionElement[float]):  # noqa: N801 - reads as the SQL function it renders
    """The timestamp as days since an epoch (fractional): differences are durations."""

    type: TypeEngine[float] = Float()
    inherit_cache = True


@compiles(epoch_days, "sqlite")
def _sqlite_days(element: epoch_days, compiler: Any, **kw: Any) -> str:
    return f"julianday({compiler.process(element.clauses, **kw)})"


@compiles(epoch_days, "postgresql")
def _postgres_days(element: epoch_days, compiler: Any, **kw: Any) -> str:
    return f"(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) / 86400.0)"


class month_number(FunctionElement[int]):  # noqa: N801
    """year * 12 + month - 1 of the timestamp in UTC: consecutive months are consecutive."""

    type: TypeEngine[int] = Integer()
    inherit_cache = True


@compiles(month_number, "sqlite")
def _sqlite_month(element: month_number, compiler: Any, **kw: Any) -> str:
    x = compiler.process(element.clauses, **kw)
    return f"(CAST(strftime('%Y', {x}) AS INTEGER) * 12 + CAST(strftime('%m', {x}) AS INTEGER) - 1)"


@compiles(month_number, "postgresql")
def _postgres_month(element: month_number, compiler: Any, **kw: Any) -> str:
    x = f"({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC')"
    return f"CAST(EXTRACT(YEAR FROM {x}) * 12 + EXTRACT(MONTH FROM {x}) - 1 AS INTEGER)"
