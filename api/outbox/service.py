"""Marking a card as changed: one version bump and one outbox row, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlmodel import Session, col

from api.clock import as_utc
from api.members.models import Card
from api.outbox.models import OutboxEvent

# Writers of update tags hold this advisory lock shared until they commit; the Apple list
# endpoint takes it exclusively for an instant, so it never reads a tag while a smaller tag
# is still uncommitted (sequence order is not commit order).
TAG_LOCK = 0x10A1_7A55


# Built once: an alias's column collection costs about a millisecond to set up.
_OTHERS = Card.__table__.alias("others")  # type: ignore[attr-defined]
_NEXT_TAG_SQLITE = select(func.coalesce(func.max(_OTHERS.c.update_tag), 0) + 1).scalar_subquery()


def mark_card_changed(
    session: Session,
    member_id: UUID,
    *,
    kind: str,
    now: datetime,
    message: str | None = None,
    campaign_id: UUID | None = None,
) -> int:
    """Bump the card's version, Apple update tag and ``updated_at``; queue it for the wallets.

    Returns the new version. ``updated_at`` moves forward by at least a whole second per
    version, because ``Last-Modified``/``If-Modified-Since`` only carry seconds: two versions
    in one second would otherwise look identical to Wallet.
    """
    event = {"kind": kind, "message": message, "campaign_id": campaign_id, "now": now}
    if session.get_bind().dialect.name == "postgresql":
        # One round trip: tag lock, card bump and outbox row (a purchase's hottest statement).
        row = session.execute(_BUMP_POSTGRES, {**event, "member_id": member_id, "key": TAG_LOCK})
        version = int(row.scalar_one())
        for card in [o for o in session.identity_map.values() if isinstance(o, Card)]:
            if card.member_id == member_id:  # a loaded copy: reload what the statement changed
                session.expire(card, ["version", "updated_at", "update_tag"])
        return version
    # SQLite transactions are serial (BEGIN IMMEDIATE): max + 1 is a safe next tag.
    previous = session.execute(select(col(Card.updated_at)).where(col(Card.member_id) == member_id))
    stamp = next_stamp(previous.scalar_one(), now)
    card_id, merchant_id, version = session.execute(
        update(Card)
        .where(col(Card.member_id) == member_id)
        .values(version=col(Card.version) + 1, updated_at=stamp, update_tag=_NEXT_TAG_SQLITE)
        .returning(col(Card.id), col(Card.merchant_id), col(Card.version))
    ).one()
    session.execute(
        insert(OutboxEvent.__table__),  # type: ignore[attr-defined]
        {
            "merchant_id": merchant_id,
            "card_id": card_id,
            "kind": kind,
            "card_version": version,
            "message": message,
            "campaign_id": campaign_id,
            "created_at": now,
        },
    )
    return int(version)


# The lock CTE is volatile, so PostgreSQL materialises it and joins it before the SET list
# (and its nextval) is evaluated: no tag is drawn before the lock is held. updated_at is
# next_stamp() in SQL: now in whole seconds, or one second after the previous stamp.
_BUMP_POSTGRES = text("""
WITH tag_lock AS (SELECT pg_advisory_xact_lock_shared(:key) AS held),
bumped AS (
    UPDATE card SET
        version = card.version + 1,
        updated_at = GREATEST(
            date_trunc('second', CAST(:now AS timestamptz)),
            date_trunc('second', card.updated_at) + interval '1 second'
        ),
        update_tag = nextval('card_update_tag_seq')
    FROM tag_lock
    WHERE card.member_id = :member_id
    RETURNING card.id, card.merchant_id, card.version
)
INSERT INTO outbox_event (merchant_id, card_id, kind, card_version, message, campaign_id,
                          created_at)
SELECT merchant_id, id, CAST(:kind AS varchar), version, CAST(:message AS varchar),
       CAST(:campaign_id AS uuid), CAST(:now AS timestamptz)
FROM bumped
RETURNING card_version
""")


def mark_cards_changed(
    session: Session,
    member_ids: Sequence[UUID],
    *,
    kind: str,
    now: datetime,
    message: str | None = None,
    campaign_id: UUID | None = None,
) -> int:
    """:func:`mark_card_changed` for many cards at once (jobs and campaigns): the cards are
    locked and read in one query, updated with one batched statement and queued with one
    batched insert. Returns the number of cards changed."""
    if not member_ids:
        return 0
    is_postgres = session.get_bind().dialect.name == "postgresql"
    query = select(col(Card.id), col(Card.merchant_id), col(Card.version), col(Card.updated_at))
    query = query.where(col(Card.member_id).in_(member_ids)).order_by(col(Card.id))
    if is_postgres:
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": TAG_LOCK})
        query = query.with_for_update()  # versions read here must still hold at the update
    cards = session.execute(query).all()
    if not cards:
        return 0
    tag = func.nextval("card_update_tag_seq") if is_postgres else _NEXT_TAG_SQLITE
    table = Card.__table__  # type: ignore[attr-defined]
    session.connection().execute(
        update(table)
        .where(table.c.id == bindparam("card_id"))
        .values(version=bindparam("new_version"), updated_at=bindparam("stamp"), update_tag=tag),
        [
            {
                "card_id": card_id,
                "new_version": version + 1,
                "stamp": next_stamp(updated_at, now),
            }  # fmt: skip
            for card_id, _, version, updated_at in cards
        ],
    )
    session.connection().execute(
        insert(OutboxEvent.__table__),  # type: ignore[attr-defined]
        [
            {
                "merchant_id": merchant_id,
                "card_id": card_id,
                "kind": kind,
                "card_version": version + 1,
                "message": message,
                "campaign_id": campaign_id,
                "created_at": now,
            }  # fmt: skip
            for card_id, merchant_id, version, _ in cards
        ],
    )
    return len(cards)


def next_stamp(previous: datetime | None, now: datetime) -> datetime:
    """``now`` in whole seconds, or one second after ``previous`` if that is not later."""
    stamp = as_utc(now).replace(microsecond=0)
    if previous is not None:
        floor = as_utc(previous).replace(microsecond=0)
        if stamp <= floor:
            stamp = floor + timedelta(seconds=1)
    return stamp
