"""Program analytics: the questions the sources ask of a loyalty program (SailPlay: return
rate and average check), answered over a period from aggregate queries.

Periods are whole UTC days, ``from`` and ``to`` both included. Ratios are None when there is
nothing to divide by (no buyers, no points issued), never a misleading 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from sqlmodel import Session

from api.analytics import repository
from api.analytics.errors import AnalyticsPeriodInvalid
from api.analytics.schemas import (
    Analytics,
    CameBack,
    Checks,
    Cohort,
    Enrolments,
    PointsFlow,
    Return,
    StaffActivity,
    StoreEnrolments,
)
from api.programs import service as program_service
from api.programs.rules import rules_of

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366
CAME_BACK_DAYS = (30, 60, 90)
CENT = Decimal("0.01")


#: The dates a period may name (a date near the calendar's ends has no day before or after it).
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)


@dataclass(frozen=True, slots=True)
class Period:
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, UTC)

    @property
    def end(self) -> datetime:
        """The instant after the period (exclusive)."""
        return datetime.combine(self.last + timedelta(days=1), time.min, UTC)


def period(first: date | None, last: date | None, *, now: datetime) -> Period:
    """The period asked for: the last 30 days up to today when a bound is left out.

    Raises:
        AnalyticsPeriodInvalid: ``first`` after ``last``, or longer than three years.
    """
    for bound, name in ((first, "from"), (last, "to")):
        if bound is not None and not EARLIEST <= bound <= LATEST:
            raise AnalyticsPeriodInvalid(f"'{name}' must be between {EARLIEST} and {LATEST}")
    last = last or now.astimezone(UTC).date()
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise AnalyticsPeriodInvalid("'from' is after 'to'")
    if (last - first).days + 1 > MAX_DAYS:
        raise AnalyticsPeriodInvalid(f"the period is longer than {MAX_DAYS} days")
    return Period(first, last)


def analytics(
    session: Session, merchant_id: UUID, program_id: UUID, span: Period, *,
    goal: Decimal | None = None, point_value: Decimal = Decimal(1),
) -> Analytics:  # fmt: skip
    """Every metric of one of the merchant's programs over ``span``.

    Raises:
        ProgramNotFound: not the merchant's program.
    """
    program = program_service.get_program(session, merchant_id, program_id)
    start, end = span.start, span.end
    args = (session, merchant_id, program.id, start, end)
    bought = repository.purchases(*args)
    first_time, came = repository.came_back(*args, within_days=CAME_BACK_DAYS)
    flow = repository.points(*args)
    joined = repository.enrolments(*args)
    stores = repository.enrolments_by_store(*args)
    return Analytics(
        program_id=program.id,
        currency=rules_of(program).currency,
        from_date=span.first,
        to_date=span.last,
        checks=_checks(bought, goal),
        returns=Return(
            buyers=bought.buyers,
            returning=bought.returning,
            rate=_ratio(bought.returning, bought.buyers),
            first_time_buyers=first_time,
            came_back=[
                CameBack(days=days, members=n, rate=_ratio(n, first_time))
                for days, n in zip(CAME_BACK_DAYS, came, strict=True)
            ],
        ),
        points=PointsFlow(
            issued=flow.issued,
            redeemed=flow.redeemed,
            expired=flow.expired,
            redemption_rate=_ratio(flow.redeemed, flow.issued),
            outstanding=flow.outstanding,
            point_value=point_value,
            liability=(flow.outstanding * point_value).quantize(CENT, ROUND_HALF_UP),
        ),
        enrolments=Enrolments(
            total=joined,
            by_store=[StoreEnrolments(store_id=i, store_name=n, members=m) for i, n, m in stores],
            without_store=joined - sum(m for _, _, m in stores),
            by_staff=[
                StaffActivity(staff=s, purchases=n, members=m, first_purchases=f)
                for s, n, m, f in repository.staff_purchases(*args)
            ],
        ),
        cohorts=_cohorts(repository.cohort_sizes(*args), repository.cohort_activity(*args), span),
    )


def _checks(bought: repository.Purchases, goal: Decimal | None) -> Checks:
    average = (
        (bought.revenue / bought.purchases).quantize(CENT, ROUND_HALF_UP)
        if bought.purchases
        else None
    )
    return Checks(
        purchases=bought.purchases,
        buyers=bought.buyers,
        revenue=bought.revenue.quantize(CENT),
        average_check=average,
        frequency=_ratio(bought.purchases, bought.buyers),
        goal=goal,
        goal_reached=None if goal is None or average is None else average >= goal,
        goal_gap=None if goal is None or average is None else average - goal,
    )


def _cohorts(
    sizes: dict[int, int], active: dict[tuple[int, int], int], span: Period
) -> list[Cohort]:
    """One row per month members joined in; a column per month since, up to the period's
    last month (a later cohort has fewer columns)."""
    last = span.last.year * 12 + span.last.month - 1
    rows = []
    for month in sorted(sizes):
        members = sizes[month]
        counts = [active.get((month, k), 0) for k in range(last - month + 1)]
        rows.append(
            Cohort(
                month=f"{month // 12:04d}-{month % 12 + 1:02d}",
                members=members,
                active=counts,
                retention=[round(n / members, 4) for n in counts],
            )
        )
    return rows


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
