"""Surprise rewards (Panera Bread): an unannounced bonus for a share of qualifying purchases,
within a monthly points budget per program, recorded in the ledger as a bonus "surprise".

The budget is one row per (program, month), taken by one ``INSERT ... ON CONFLICT DO UPDATE
... WHERE spent + points <= budget RETURNING``: on PostgreSQL the statement locks the row
until the purchase commits, so concurrent purchases spend the budget one after the other and
never beyond it. The draw is a dependency, so tests replace the random source.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated

from fastapi import Depends
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from api.ledger.engine import is_surprise
from api.ledger.models import EntryKind
from api.ledger.postings import Book
from api.programs.models import Program
from api.transactions.models import SurpriseBudget

Draw = Callable[[], float]
"""A uniform random number in [0, 1)."""

REASON = "surprise"
_TABLE = SurpriseBudget.__table__  # type: ignore[attr-defined]
system_draw: Draw = random.SystemRandom().random


async def get_draw() -> Draw:
    """The random source of surprises (tests override this dependency)."""
    return system_draw


DrawDep = Annotated[Draw, Depends(get_draw)]


def maybe_grant(session: Session, book: Book, program: Program, amount: Decimal,
                draw: Draw) -> bool:  # fmt: skip
    """Draw for a purchase of ``amount``; credit the surprise if it wins and the month's
    budget still has room. True when a surprise was granted."""
    rules = book.rules.bonuses.surprise
    if rules.share_percent <= 0 or amount < book.rules.earn.min_purchase:
        return False
    if not is_surprise(rules.share_percent, draw()):
        return False
    month = book.now.astimezone(book.rules.zone).strftime("%Y-%m")
    if not _spend(session, program, month, rules.points, rules.budget_points):
        return False
    book.credit_points(rules.points, EntryKind.bonus, REASON)
    return True


def _spend(session: Session, program: Program, month: str, points: int, budget: int) -> bool:
    if points > budget:
        return False
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_TABLE).values(
        program_id=program.id, month=month, spent_points=points, surprises=1
    )
    statement = statement.on_conflict_do_update(
        index_elements=[_TABLE.c.program_id, _TABLE.c.month],
        set_={
            "spent_points": _TABLE.c.spent_points + points,
            "surprises": _TABLE.c.surprises + 1,
        },
        where=_TABLE.c.spent_points + points <= budget,
    )
    return session.execute(statement.returning(_TABLE.c.spent_points)).first() is not None
