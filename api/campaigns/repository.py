"""Queries for push and geo campaigns. Never commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Integer, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from api.campaigns.models import Campaign, CampaignRecipient, CampaignStatus, GeoCampaign
from api.members.models import Card, Member
from api.messaging.models import Message
from api.paging import PageRequest, fetch_page

# --- push campaigns ---------------------------------------------------------------------------

ON_CARD = ("wallet", "card")  # the routes that change the card (automations.channels.Route)


def get(session: Session, campaign_id: UUID) -> Campaign | None:
    return session.get(Campaign, campaign_id)


def list_for_program(session: Session, program_id: UUID, *, limit: int) -> list[Campaign]:
    query = (
        select(Campaign)
        .where(col(Campaign.program_id) == program_id)
        .order_by(col(Campaign.created_at).desc())
    )
    return list(session.execute(query.limit(limit)).scalars())


def page_for_program(
    session: Session, program_id: UUID, page: PageRequest
) -> tuple[Sequence[Campaign], int]:
    query = select(Campaign).where(col(Campaign.program_id) == program_id)
    order = (col(Campaign.created_at).desc(), col(Campaign.id))
    return fetch_page(session, query, page, order_by=order)


def due_ids(session: Session, now: datetime) -> list[UUID]:
    """Campaigns scheduled before ``now``, and those a crash left sending."""
    query = select(col(Campaign.id)).where(
        or_(
            (col(Campaign.status) == CampaignStatus.scheduled) & (col(Campaign.send_at) <= now),
            col(Campaign.status) == CampaignStatus.sending,
        )
    )
    return list(session.execute(query).scalars().all())


def claim(session: Session, campaign_id: UUID, now: datetime) -> bool:
    """Move a scheduled (or interrupted) campaign to sending; False when it is not one."""
    claimed = session.execute(
        update(Campaign)
        .where(
            col(Campaign.id) == campaign_id,
            col(Campaign.status).in_([CampaignStatus.scheduled, CampaignStatus.sending]),
        )
        .values(
            status=CampaignStatus.sending,
            started_at=func.coalesce(col(Campaign.started_at), now),
        )  # fmt: skip
    )
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


def count_recipients(session: Session, campaign_id: UUID) -> tuple[int, int]:
    """(recipients, the ones reached silently on Apple)."""
    total, quiet = session.execute(
        select(
            func.count(), func.sum(func.cast(col(CampaignRecipient.quiet_on_apple), Integer))
        ).where(col(CampaignRecipient.campaign_id) == campaign_id)
    ).one()
    return int(total), int(quiet or 0)


def mark_sent(session: Session, campaign_id: UUID, *, recipients: int, now: datetime) -> None:
    session.execute(
        update(Campaign)
        .where(col(Campaign.id) == campaign_id)
        .values(status=CampaignStatus.sent, recipients=recipients, finished_at=now)
    )


def alerts_since(session: Session, member_ids: Sequence[UUID], since: datetime) -> dict[UUID, int]:
    """Campaign alerts each member got on Apple after ``since`` (silent ones not counted)."""
    rows = session.execute(
        select(col(CampaignRecipient.member_id), func.count())
        .where(
            col(CampaignRecipient.member_id).in_(member_ids),
            col(CampaignRecipient.created_at) > since,
            col(CampaignRecipient.quiet_on_apple).is_(False),
            or_(
                col(CampaignRecipient.channel).is_(None),
                col(CampaignRecipient.channel).in_(ON_CARD),
            ),
        )
        .group_by(col(CampaignRecipient.member_id))
    ).all()
    return {member_id: int(n) for member_id, n in rows}


def add_recipients(
    session: Session, campaign_id: UUID, routes: Mapping[UUID, str], *, quiet: set[UUID],
    now: datetime,
) -> set[UUID]:  # fmt: skip
    """Record the members as reached, each on its route; returns the ones recorded now
    (members reached before, by a send that crashed, are not returned)."""
    if not routes:
        return set()
    table = CampaignRecipient.__table__  # type: ignore[attr-defined]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    rows = [
        {
            "campaign_id": campaign_id,
            "member_id": m,
            "quiet_on_apple": m in quiet,
            "channel": str(route),
            "created_at": now,
        }  # fmt: skip
        for m, route in routes.items()
    ]
    query = dialect.insert(table).values(rows).on_conflict_do_nothing()
    return set(session.execute(query.returning(table.c.member_id)).scalars())


def members(session: Session, member_ids: Sequence[UUID]) -> list[Member]:
    if not member_ids:
        return []
    query = select(Member).where(col(Member.id).in_(member_ids)).order_by(col(Member.id))
    return list(session.execute(query).scalars())


def recipients_by_route(session: Session, campaign_id: UUID) -> dict[str, int]:
    """Recipients per route (those recorded before routes existed were reached on cards)."""
    rows = session.execute(
        select(col(CampaignRecipient.channel), func.count())
        .where(col(CampaignRecipient.campaign_id) == campaign_id)
        .group_by(col(CampaignRecipient.channel))
    ).all()
    counts: dict[str, int] = {}
    for route, n in rows:
        counts[route or "card"] = counts.get(route or "card", 0) + int(n)
    return counts


def page_member_messages(
    session: Session, member_id: UUID, page: PageRequest
) -> tuple[Sequence[Message], int]:
    """A page of the member's email and SMS messages, newest first."""
    query = select(Message).where(col(Message.member_id) == member_id)
    order = (col(Message.created_at).desc(), col(Message.id))
    return fetch_page(session, query, page, order_by=order)


def messages_by_status(session: Session, campaign_id: UUID) -> dict[str, dict[str, int]]:
    """The campaign's email and SMS messages: channel -> status -> count."""
    rows = session.execute(
        select(col(Message.channel), col(Message.status), func.count())
        .where(col(Message.campaign_id) == campaign_id)
        .group_by(col(Message.channel), col(Message.status))
    ).all()
    counts: dict[str, dict[str, int]] = {}
    for channel, status, n in rows:
        counts.setdefault(str(channel), {})[str(status)] = int(n)
    return counts


# --- geo campaigns ----------------------------------------------------------------------------


def get_geo(session: Session, campaign_id: UUID) -> GeoCampaign | None:
    return session.get(GeoCampaign, campaign_id)


def page_geo(
    session: Session, merchant_id: UUID, page: PageRequest
) -> tuple[Sequence[GeoCampaign], int]:
    query = select(GeoCampaign).where(col(GeoCampaign.merchant_id) == merchant_id)
    order = (col(GeoCampaign.created_at).desc(), col(GeoCampaign.id))
    return fetch_page(session, query, page, order_by=order)


def running_geo(session: Session, merchant_id: UUID, now: datetime) -> Sequence[GeoCampaign]:
    query = select(GeoCampaign).where(
        col(GeoCampaign.merchant_id) == merchant_id,
        col(GeoCampaign.starts_at) <= now,
        col(GeoCampaign.ends_at) > now,
        col(GeoCampaign.cancelled_at).is_(None),
    )
    return session.execute(query).scalars().all()


def geo_due(session: Session, now: datetime) -> list[GeoCampaign]:
    """Geo campaigns whose window opened or closed (or that were cancelled while running)
    and whose cards have not changed for it yet."""
    query = select(GeoCampaign).where(
        or_(
            (col(GeoCampaign.starts_at) <= now) & col(GeoCampaign.started_at).is_(None),
            (col(GeoCampaign.ends_at) <= now) & col(GeoCampaign.ended_at).is_(None),
            col(GeoCampaign.cancelled_at).is_not(None)
            & col(GeoCampaign.started_at).is_not(None)
            & col(GeoCampaign.ended_at).is_(None),
        )
    )
    return list(session.execute(query).scalars().all())


def members_carrying(
    session: Session, merchant_id: UUID, store_ids: Iterable[str], *, or_default: bool
) -> list[UUID]:
    """Members whose cards carry any of the stores (``or_default``: also the cards not yet
    given their own stores)."""
    clauses = [col(Card.store_ids).contains(store_id) for store_id in store_ids]
    if or_default:
        clauses.append(col(Card.store_ids).is_(None))
    if not clauses:
        return []
    query = select(col(Card.member_id)).where(col(Card.merchant_id) == merchant_id, or_(*clauses))
    return list(session.execute(query).scalars())


def mark_geo(session: Session, campaign_id: UUID, values: dict[str, datetime]) -> None:
    session.execute(update(GeoCampaign).where(col(GeoCampaign.id) == campaign_id).values(**values))
