"""Automations: messages the program sends by itself, each on or off per program with its own
text. Each fires at most once per member and occasion (a year's birthday, an expiry date, a
lapse, a tier reached, a reward within reach): the occasion is recorded in the same
transaction as the card's change, so worker restarts and concurrent workers never repeat one.

A fired automation reaches the member on the first of its channels the member can receive
(``automations.channels``): on an installed card its text goes to the "latest news" field
(Google gets it as a message) through the outbox, like a campaign to one member; otherwise by
email or SMS (a marketing message, with the member's consent) through the messages outbox.
Texts may use ``{name}``, ``{points}``, ``{tier}``, ``{days}``, ``{reward}`` and ``{date}``.

The daily sweep is session-first here (:func:`due_occasions`, :func:`fire_occasions`); its
task, which opens the transactions, is ``automations.tasks.run_all``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from sqlmodel import Session

from api.automations import repository as automation_repository
from api.automations.channels import ON_CARD, Route, choose, preference
from api.automations.models import Automation, AutomationFired, AutomationKind
from api.automations.schemas import AutomationUpdate
from api.birthday import is_birthday
from api.clock import as_utc
from api.members.models import Member
from api.messaging import service as messaging_service
from api.messaging.models import Channel, Kind
from api.outbox import service as outbox_service
from api.paging import PageRequest
from api.programs import service as program_service

logger = logging.getLogger(__name__)
DEFAULT_DAYS = {AutomationKind.points_expiring: 7, AutomationKind.win_back: 30}
LOCALE = "ru"  # members have no language of their own yet; the text is the merchant's
NEEDS_DAYS = frozenset(DEFAULT_DAYS)


@dataclass(frozen=True, slots=True)
class Occasion:
    """A member an automation is due for, on one occasion, with the values for its text."""

    member_id: UUID
    occasion: str
    values: dict[str, object] = field(default_factory=dict)


def set_automation(
    session: Session, merchant_id: UUID, program_id: UUID, kind: AutomationKind,
    data: AutomationUpdate,
) -> Automation:  # fmt: skip
    program = program_service.get_program(session, merchant_id, program_id)
    row = automation_repository.get(session, program.id, kind)
    days = data.days if data.days is not None else DEFAULT_DAYS.get(kind)
    channels = [str(c) for c in data.channels] if data.channels is not None else None
    if row is None:
        row = Automation(program_id=program.id, kind=kind, merchant_id=merchant_id,
                         enabled=data.enabled, text=data.text, days=days,
                         channels=channels)  # fmt: skip
        session.add(row)
    else:
        row.enabled, row.text, row.days, row.channels = data.enabled, data.text, days, channels
    session.flush()
    return row


def list_automations(
    session: Session, merchant_id: UUID, program_id: UUID, page: PageRequest
) -> tuple[Sequence[Automation], int]:
    """A page of the program's automations, by kind. Raises: ProgramNotFound."""
    program = program_service.get_program(session, merchant_id, program_id)
    return automation_repository.page_for_program(session, program.id, page)


def fire(
    session: Session,
    member: Member,
    automation: Automation,
    occasion: str,
    values: Mapping[str, object],
    *,
    now: datetime,
    queue: bool = True,
) -> str | None:
    """Send the automation's text to the member, once per occasion; returns the text, or
    None when this occasion fired before. ``queue=False`` leaves marking the card changed
    to the caller (see :func:`api.outbox.service.post_message`)."""
    fired = fire_routed(session, member, automation, occasion, values, now=now, queue=queue)
    return None if fired is None else fired[0]


def fire_routed(
    session: Session,
    member: Member,
    automation: Automation,
    occasion: str,
    values: Mapping[str, object],
    *,
    now: datetime,
    queue: bool = True,
    route: Route | None = None,
) -> tuple[str, Route] | None:
    """:func:`fire`, also saying which route the text took (``route``: chosen already, for a
    batch of members)."""
    if not automation_repository.add_fired(
        session,
        AutomationFired(
            member_id=member.id, kind=automation.kind, occasion=occasion[:40], fired_at=now
        ),  # fmt: skip
    ):
        return None
    text = render(automation.text, {"name": member.name, "points": member.points,
                                    "tier": member.tier or "", **values})  # fmt: skip
    if route is None:
        route = choose(session, [member], preference(automation.channels))[member.id]
    if route in ON_CARD:
        outbox_service.post_message(session, [member.id], text,
                                    kind=f"auto_{automation.kind}"[:30], now=now,
                                    queue=queue)  # fmt: skip
    elif route in (Route.email, Route.sms):
        messaging_service.enqueue(
            session, member=member, channel=Channel(route), kind=Kind.marketing,
            template="campaign", locale=LOCALE, context={"text": text},
            idempotency_key=f"auto:{automation.kind}:{member.id}:{occasion[:40]}", now=now,
        )  # fmt: skip
    return text, route


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
    occasion = f"{new_tier}:{now.date().isoformat()}"
    fired = fire_routed(session, member, automation, occasion, {"tier": new_tier}, now=now,
                        queue=False)  # fmt: skip
    if fired is None or fired[1] not in ON_CARD:
        return None  # fired before, or sent by email or SMS: the card carries no text
    return fired[0]


# --- the daily sweep (its task runs it with the other jobs) --------------------------------


def sweeping_automations(session: Session) -> list[Automation]:
    """The enabled automations that fire on a date (not on a change, like a tier)."""
    return [a for a in automation_repository.enabled(session) if a.kind in _SWEEPS]


def due_occasions(session: Session, automation: Automation, *, now: datetime) -> list[Occasion]:
    """The members ``automation`` is due for now (some may have had this occasion already:
    :func:`fire_occasions` fires each once)."""
    return _SWEEPS[automation.kind](session, automation, now)


def fire_occasions(
    session: Session, automation: Automation, occasions: Sequence[Occasion], *, now: datetime
) -> int:
    """Fire ``automation`` for each occasion not fired before. Returns how many fired."""
    members = automation_repository.members(session, [o.member_id for o in occasions])
    routes = choose(session, list(members.values()), preference(automation.channels))
    fired = 0
    for found in occasions:
        member = members[found.member_id]
        done = fire_routed(session, member, automation, found.occasion, found.values, now=now,
                           route=routes[member.id])  # fmt: skip
        fired += done is not None
    return fired


def _birthdays(session: Session, automation: Automation, now: datetime) -> list[Occasion]:
    today = now.date()
    return [
        Occasion(m.id, str(today.year))
        for m in automation_repository.members_with_birthday(session, automation.program_id)
        if m.birthday is not None and is_birthday(m.birthday, today)
    ]


def _points_expiring(session: Session, automation: Automation, now: datetime) -> list[Occasion]:
    horizon = now + timedelta(days=automation.days or DEFAULT_DAYS[AutomationKind.points_expiring])
    rows = automation_repository.expiring_points(session, automation.program_id, after=now,
                                                 until=horizon)  # fmt: skip
    return [
        Occasion(
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


def _win_back(session: Session, automation: Automation, now: datetime) -> list[Occasion]:
    days = automation.days or DEFAULT_DAYS[AutomationKind.win_back]
    rows = automation_repository.lapsed_members(
        session, automation.merchant_id, automation.program_id, since=now - timedelta(days=days)
    )
    # The occasion is the lapse: the last visit (or enrolment), so a member who comes back
    # and lapses again is won back again.
    return [
        Occasion(member_id, as_utc(last_visit or created_at).date().isoformat(), {"days": days})
        for member_id, created_at, last_visit in rows
    ]


def _reward_available(session: Session, automation: Automation, now: datetime) -> list[Occasion]:
    found: list[Occasion] = []
    for reward in automation_repository.point_rewards(session, automation.program_id):
        rows = automation_repository.members_within_reach(session, automation.program_id, reward)
        # Re-armed by each redemption: the occasion counts the member's coupons.
        found += [Occasion(m, f"{reward.id.hex[:24]}:{n}", {"reward": reward.name})
                  for m, n in rows]  # fmt: skip
    return found


_SWEEPS: dict[str, Callable[[Session, Automation, datetime], list[Occasion]]] = {
    AutomationKind.birthday: _birthdays,
    AutomationKind.points_expiring: _points_expiring,
    AutomationKind.win_back: _win_back,
    AutomationKind.reward_available: _reward_available,
}
