"""The console's analytics page: is the program working (return rate, average check against
the merchant's goal, redemption, liability, enrolments, cohorts), as SVG charts with each
figure in words beside it, and the same figures as CSV downloads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from api.analytics import service as analytics_service
from api.analytics.errors import AnalyticsPeriodInvalid
from api.analytics.export import Metric, to_csv
from api.analytics.schemas import Analytics
from api.clock import utcnow
from api.console.analytics_charts import cohort_grid, hbars
from api.console.analytics_texts import analytics_translator
from api.console.auth import ConsoleUser
from api.console.routes import console_page
from api.deps import SessionDep
from api.pages.render import PageDep, negotiate_locale
from api.programs.errors import ProgramNotFound

router = APIRouter(prefix="/console", tags=["pages"], include_in_schema=False)
Text = Annotated[str, Query(max_length=20)]
MAX_MONEY = Decimal("1000000000")


@router.get("/programs/{program_id}/analytics", response_class=HTMLResponse)
def analytics_page(
    program_id: UUID, page: PageDep, session: SessionDep, user: ConsoleUser,
    first: Annotated[str, Query(alias="from", max_length=20)] = "", to: Text = "",
    goal: Text = "", point_value: Text = "1",
) -> Response:  # fmt: skip
    """The figures over a period (the last 30 days unless the form says otherwise)."""
    fields = {"from": first, "to": to, "goal": goal, "point_value": point_value}
    at = analytics_translator(negotiate_locale(page.request))
    try:
        result = _analytics(session, user.merchant_id, program_id, fields)
    except ProgramNotFound:
        return page.not_found()
    except (AnalyticsPeriodInvalid, ValueError):
        fields.update({"from": "", "to": "", "goal": "", "point_value": "1"})
        result = _analytics(session, user.merchant_id, program_id, fields)
        return console_page(page, "analytics.html", user, status_code=422, error=True,
                            at=at, **_context(result, fields))  # fmt: skip
    return console_page(
        page, "analytics.html", user, error=False, at=at, **_context(result, fields)
    )


@router.get("/programs/{program_id}/analytics.csv")
def analytics_csv(
    program_id: UUID, page: PageDep, session: SessionDep, user: ConsoleUser,
    first: Annotated[str, Query(alias="from", max_length=20)] = "", to: Text = "",
    goal: Text = "", point_value: Text = "1", metric: Metric | None = None,
) -> Response:  # fmt: skip
    """The same figures as a CSV download (every metric, or the one ``metric``)."""
    fields = {"from": first, "to": to, "goal": goal, "point_value": point_value}
    try:
        result = _analytics(session, user.merchant_id, program_id, fields)
    except ProgramNotFound:
        return page.not_found()
    except (AnalyticsPeriodInvalid, ValueError):
        return Response("invalid period or number", status_code=422, media_type="text/plain")
    name = f"analytics-{result.from_date}-{result.to_date}{'-' + metric if metric else ''}.csv"
    return Response(
        to_csv(result, metric),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _analytics(
    session: SessionDep, merchant_id: UUID, program_id: UUID, fields: dict[str, str]
) -> Analytics:
    """Raises: ProgramNotFound, AnalyticsPeriodInvalid, ValueError (a field unreadable)."""
    span = analytics_service.period(_day(fields["from"]), _day(fields["to"]), now=utcnow())
    value = _money(fields["point_value"], "0.0001")
    return analytics_service.analytics(
        session, merchant_id, program_id, span, goal=_money(fields["goal"]),
        point_value=Decimal(1) if value is None else value,
    )  # fmt: skip


def _day(raw: str) -> date | None:
    return date.fromisoformat(raw) if raw.strip() else None


def _money(raw: str, places: str = "0.01") -> Decimal | None:
    raw = raw.strip().replace(",", ".").replace(" ", "")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(raw) from None
    if not value.is_finite() or not 0 <= value <= MAX_MONEY:
        raise ValueError(raw)
    return value.quantize(Decimal(places))


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %"


def _context(a: Analytics, fields: dict[str, str]) -> dict[str, Any]:
    returns = a.returns
    rates = [("an_returning", returns.rate)] + [
        (f"an_back_{c.days}", c.rate) for c in returns.came_back
    ]
    average = a.checks.average_check
    points = a.points
    stores = [(s.store_name, s.members) for s in a.enrolments.by_store]
    stores.append(("", a.enrolments.without_store))  # "" = without a store (a text key)
    fields = {**fields, "from": str(a.from_date), "to": str(a.to_date)}
    query = urlencode({k: v for k, v in fields.items() if v})
    return {
        "a": a,
        "fields": fields,
        "csv_query": query,
        "metrics": list(Metric),
        "percent": _percent,
        "return_chart": hbars([(key, r or 0, _percent(r)) for key, r in rates], scale=1),
        "check_chart": hbars(
            [("an_average_check", float(average or 0), f"{average or '—'} {a.currency}")],
            marker=float(a.checks.goal) if a.checks.goal is not None else None,
            marker_label=f"{a.checks.goal} {a.currency}" if a.checks.goal is not None else "",
        ),
        "points_chart": hbars(
            [
                ("an_points_issued", points.issued, str(points.issued)),
                ("an_points_redeemed", points.redeemed, str(points.redeemed)),
                ("an_points_expired", points.expired, str(points.expired)),
                ("an_points_outstanding", points.outstanding, str(points.outstanding)),
            ]
        ),  # fmt: skip
        "store_chart": hbars([(name, n, str(n)) for name, n in stores]),
        "grid": cohort_grid(a.cohorts),
    }
