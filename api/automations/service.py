"""Automations: messages the program sends by itself, each on or off per program with its own
text. Each fires at most once per member and occasion (a year's birthday, an expiry date, a
lapse, a tier reached, a reward within reach): the occasion is recorded in the same
transaction as the card's change, so worker restarts and concurrent workers never repeat one.

A fired automation puts its text on the card (the "latest news" field; Google gets it as a
message), like a campaign to one member. Texts may use ``{name}``, ``{points}``, ``{tier}``,
``{days}``, ``{reward}`` and ``{date}``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import Engine, and_, func, or_, select, update
from sqlmodel import Session, col

from api.automations.models import Automation, AutomationFired, AutomationKind
from api.clock import as_utc
from api.db import insert_unless_conflict
from api.ledger import repository as ledger_repository
from api.ledger.models import PointLot
from api.members.models import Card, Member
from api.outbox import service as outbox_service
from api.programs import service as program_service
from api.rewards.models import Coupon, Reward
from api.validation import RequestModel

logger = logging.getLogger(__name__)
_BATCH = 500
DEFAULT_DAYS = {AutomationKind.points_expiring: 7, AutomationKind.win_back: 30}
NEEDS_DAYS = frozenset(DEFAULT_DAYS)


class AutomationUpdate(RequestModel):
    enabled: bool = True
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    days: int | None = Field(default=None, ge=1, le=365)


class AutomationPublic(BaseModel):
    kind: AutomationKind
    enabled: bool
    text: str
    days: int | None


def set_automation(
    session: Session, merchant_id: UUID, program_id: UUID, kind: AutomationKind,
    data: AutomationUpdate,
) -> Automation:  # fmt: skip
    program = program_service.get_program(session, merchant_id, program_id)
    row = session.get(Automation, (program.id, kind))
    days = data.days if data.days is not None else DEFAULT_DAYS.get(kind)
    if row is None:
        row = Automation(program_id=program.id, kind=kind, merchant_id=merchant_id,
                         enabled=data.enabled, text=data.text, days=days)  # fmt: skip
        session.add(row)
    else:
        row.enabled, row.text, row.days = data.enabled, data.text, days
    session.flush()
    return row


def list_automations(session: Session, merchant_id: UUID, program_id: UUID) -> list[Automation]:
    program = program_service.get_program(session, merchant_id, program_id)
    query = select(Automation).where(col(Automation.program_id) == program.id)
    return list(session.execute(query.order_by(col(Automation.kind))).scalars())


def fire(
    session: Session,
    member: Member,
    automation: Automation,
    occasion: str,
    values: Mapping[str, object],
    *,
    now: datetime,
) -> bool:
    """Put the automation's text on the member's card, once per occasion."""
    if not insert_unless_conflict(
        session,
        AutomationFired(
            member_id=member.id, kind=automation.kind, occasion=occasion[:40], fired_at=now
        ),  # fmt: skip
    ):
        return False
    text = render(automation.text, {"name": member.name, "points": member.points,
                                    "tier": member.tier or "", **values})  # fmt: skip
    session.execute(
        update(Card)
        .where(col(Card.member_id) == member.id)
        .values(message=text, message_at=now, message_quiet=False)
    )
    outbox_service.mark_card_changed(session, member.id, kind=f"auto_{automation.kind}"[:30],
                                     now=now, message=text)  # fmt: skip
    return True


def render(template: str, values: Mapping[str, object]) -> str:
    """``{name}`` placeholders; unknown ones stay as written."""
    text = template
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text[:300]


def on_tier_change(
    session: Session, member: Member, *, new_tier: str | None, upgrade: bool, now: datetime
) -> str | None:
    """Run by the caller of the ledger's tier evaluation, in the transaction that changed the
    tier: puts the tier automation's text on the card (once per tier and day) and returns it.

    The card is not marked changed here: the caller marks it once, with this text as the
    message, for everything it changed (a purchase that raises the tier is one card change).
    """
    kind = AutomationKind.tier_up if upgrade else AutomationKind.tier_down
    automation = session.get(Automation, (member.program_id, kind))
    if automation is None or not automation.enabled or new_tier is None:
        return None
    occasion = f"{new_tier}:{now.date().isoformat()}"[:40]
    fired = AutomationFired(member_id=member.id, kind=kind, occasion=occasion, fired_at=now)
    if not insert_unless_conflict(session, fired):
        return None
    text = render(automation.text, {"name": member.name, "points": member.points, "tier": new_tier})
    session.execute(
        update(Card)
        .where(col(Card.member_id) == member.id)
        .values(message=text, message_at=now, message_quiet=False)
    )
    return text


# --- the daily sweep (run by the worker with the other jobs) ---------------------------------


def run_all(engine: Engine, *, now: datetime) -> int:
    """Fire every enabled date-based automation that is due. Returns how many fired."""
    with Session(engine) as session:
        automations = list(
            session.execute(select(Automation).where(col(Automation.enabled).is_(True))).scalars()
        )
    fired = 0
    for automation in automations:
        sweep = _SWEEPS.get(automation.kind)
        if sweep is not None:
            fired += sweep(engine, automation, now)
    if fired:
        logger.info("automations fired", extra={"count": fired})
    return fired


def _members(session: Session, automation: Automation, condition: object) -> list[Member]:
    query = select(Member).where(col(Member.program_id) == automation.program_id, condition)  # type: ignore[arg-type]
    return list(session.execute(query).scalars())


def _fire_each(
    engine: Engine,
    automation: Automation,
    now: datetime,
    found: list[tuple[UUID, str, dict[str, object]]],
) -> int:
    fired = 0
    for start in range(0, len(found), _BATCH):
        with Session(engine) as session, session.begin():
            for member_id, occasion, values in found[start : start + _BATCH]:
                member = session.get_one(Member, member_id)
                fired += fire(session, member, automation, occasion, values, now=now)
    return fired


def _birthdays(engine: Engine, automation: Automation, now: datetime) -> int:
    today = now.date()
    with Session(engine) as session:
        members = _members(session, automation, col(Member.birthday).is_not(None))
    found: list[tuple[UUID, str, dict[str, object]]] = [
        (m.id, str(today.year), {})
        for m in members
        if m.birthday is not None and _is_birthday(m.birthday, today)
    ]
    return _fire_each(engine, automation, now, found)


def _is_birthday(birthday: date, today: date) -> bool:
    if birthday.month == 2 and birthday.day == 29 and today.month == 2 and today.day == 28:
        return today.year % 4 != 0 or (today.year % 100 == 0 and today.year % 400 != 0)
    return (birthday.month, birthday.day) == (today.month, today.day)


def _points_expiring(engine: Engine, automation: Automation, now: datetime) -> int:
    horizon = now + timedelta(days=automation.days or DEFAULT_DAYS[AutomationKind.points_expiring])
    with Session(engine) as session:
        rows = session.execute(
            select(
                col(PointLot.member_id),
                func.min(col(PointLot.expires_at)),
                func.sum(col(PointLot.remaining)),
            )  # fmt: skip
            .join(Member, col(Member.id) == col(PointLot.member_id))
            .where(
                col(Member.program_id) == automation.program_id,
                col(PointLot.remaining) > 0,
                col(PointLot.expires_at) > now,
                col(PointLot.expires_at) <= horizon,
            )
            .group_by(col(PointLot.member_id))
        ).all()
    found: list[tuple[UUID, str, dict[str, object]]] = [
        (
            member_id,
            as_utc(first).date().isoformat(),
            {
                "points": int(total),
                "date": as_utc(first).date().isoformat(),
                "days": automation.days or 0,
            },
        )  # fmt: skip
        for member_id, first, total in rows
    ]
    return _fire_each(engine, automation, now, found)


def _win_back(engine: Engine, automation: Automation, now: datetime) -> int:
    days = automation.days or DEFAULT_DAYS[AutomationKind.win_back]
    since = now - timedelta(days=days)
    last = ledger_repository.purchase_stats(automation.merchant_id)
    with Session(engine) as session:
        rows = session.execute(
            select(col(Member.id), col(Member.created_at), last.c.last_visit)
            .outerjoin(last, last.c.member_id == col(Member.id))
            .where(
                col(Member.program_id) == automation.program_id,
                col(Member.created_at) <= since,
                or_(last.c.last_visit.is_(None), last.c.last_visit < since),
            )
        ).all()
    # The occasion is the lapse: the last visit (or enrolment), so a member who comes back
    # and lapses again is won back again.
    found: list[tuple[UUID, str, dict[str, object]]] = [
        (member_id, as_utc(last_visit or created_at).date().isoformat(), {"days": days})
        for member_id, created_at, last_visit in rows
    ]
    return _fire_each(engine, automation, now, found)


def _reward_available(engine: Engine, automation: Automation, now: datetime) -> int:
    with Session(engine) as session:
        rewards = list(
            session.execute(
                select(Reward).where(
                    col(Reward.program_id) == automation.program_id,
                    col(Reward.is_active).is_(True),
                    col(Reward.cost_points).is_not(None),
                )
            ).scalars()
        )
        found: list[tuple[UUID, str, dict[str, object]]] = []
        for reward in rewards:
            used = (
                select(func.count())
                .select_from(Coupon)
                .where(
                    and_(
                        col(Coupon.member_id) == col(Member.id), col(Coupon.reward_id) == reward.id
                    )
                )  # fmt: skip
                .scalar_subquery()
            )
            rows = session.execute(
                select(col(Member.id), used).where(
                    col(Member.program_id) == automation.program_id,
                    col(Member.points) >= (reward.cost_points or 0),
                )
            ).all()
            # Re-armed by each redemption: the occasion counts the member's coupons.
            found += [(m, f"{reward.id.hex[:24]}:{n}", {"reward": reward.name}) for m, n in rows]
    return _fire_each(engine, automation, now, found)


_SWEEPS = {
    AutomationKind.birthday: _birthdays,
    AutomationKind.points_expiring: _points_expiring,
    AutomationKind.win_back: _win_back,
    AutomationKind.reward_available: _reward_available,
}
