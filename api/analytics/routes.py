"""HTTP routes of program analytics: JSON, and the same figures as CSV."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.analytics import service as analytics_service
from api.analytics.export import Metric, to_csv
from api.analytics.schemas import Analytics
from api.clock import utcnow
from api.deps import ReportCaller, SessionDep

router = APIRouter(prefix="/api/v1", tags=["analytics"])


class CsvResponse(Response):
    media_type = "text/csv"


From = Annotated[date | None, Query(alias="from", description="first day (UTC), included")]
To = Annotated[date | None, Query(description="last day (UTC), included; default today")]
Goal = Annotated[
    Decimal | None,
    Query(ge=0, le=Decimal("1000000000"), max_digits=14, decimal_places=2,
          description="the average check the merchant aims for"),
]  # fmt: skip
PointValue = Annotated[
    Decimal,
    Query(ge=0, le=Decimal("1000000"), max_digits=14, decimal_places=4,
          description="what one point is worth in the program's currency (liability)"),
]  # fmt: skip


@router.get("/programs/{program_id}/analytics", response_model_by_alias=True)
def analytics(
    program_id: UUID, session: SessionDep, caller: ReportCaller, first: From = None,
    to: To = None, goal: Goal = None, point_value: PointValue = Decimal(1),
) -> Analytics:  # fmt: skip
    """Return rate, purchase frequency, average check against a goal, redemption rate, points
    liability, enrolments by store and staff, cohort retention, over ``from``..``to`` (the
    last 30 days by default)."""
    span = analytics_service.period(first, to, now=utcnow())
    return analytics_service.analytics(
        session, caller.merchant_id, program_id, span, goal=goal, point_value=point_value
    )


@router.get("/programs/{program_id}/analytics.csv", response_class=CsvResponse)
def analytics_csv(
    program_id: UUID, session: SessionDep, caller: ReportCaller, first: From = None,
    to: To = None, goal: Goal = None, point_value: PointValue = Decimal(1),
    metric: Annotated[Metric | None, Query(description="one table; all if left out")] = None,
) -> Response:  # fmt: skip
    """The analytics as a CSV download: a section per metric, or the one ``metric``."""
    span = analytics_service.period(first, to, now=utcnow())
    result = analytics_service.analytics(
        session, caller.merchant_id, program_id, span, goal=goal, point_value=point_value
    )
    name = f"analytics-{span.first}-{span.last}{'-' + metric.value if metric else ''}.csv"
    return CsvResponse(
        to_csv(result, metric),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
