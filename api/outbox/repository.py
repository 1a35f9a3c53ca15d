"""Queries of the outbox: bumping cards' versions and update tags, writing outbox rows, and
the "latest news" message on cards. Never commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlmodel import Session, col

from api.logs import request_id
from api.members.models import Card
from api.outbox.models import OutboxEvent

# Writers of update tags hold this advisory lock shared until they commit; the Apple list
# endpoint takes it exclusively for an instant, so it never reads a tag while a smaller tag
# is still uncommitted (sequence order is not commit order).
TAG_LOCK = 0x10A1_7A55

# Built once: an alias's column collection costs about a millisecond to set up.
_OTHERS = Card.__table__.alias("others")  # type: ignore[attr-defined]
_NEXT_TAG_SQLITE = select(func.coalesce(func.max(_OTHERS.c.update_tag), 0) + 1).scalar_subquery()

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
                          request_id, created_at)
SELECT merchant_id, id, CAST(:kind AS varchar), version, CAST(:message AS varchar),
       CAST(:campaign_id AS uuid), CAST(:request_id AS varchar), CAST(:now AS timestamptz)
FROM bumped
RETURNING card_version
""")


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def bump_and_enqueue_postgres(session: Session, member_id: UUID, event: Mapping[str, Any]) -> int:
    """PostgreSQL, one round trip: tag lock, card bump and outbox row. Returns the version."""
    params = {"request_id": request_id.get(), **event, "member_id": member_id, "key": TAG_LOCK}
    row = session.execute(_BUMP_POSTGRES, params)
    return int(row.scalar_one())


def card_updated_at(session: Session, member_id: UUID) -> datetime:
    query = select(col(Card.updated_at)).where(col(Card.member_id) == member_id)
    updated: datetime = session.execute(query).scalar_one()
    return updated


def bump_card_sqlite(session: Session, member_id: UUID, stamp: datetime) -> tuple[UUID, UUID, int]:
    """SQLite (transactions are serial, so max + 1 is a safe next tag): bump one card.
    Returns (card id, merchant id, new version)."""
    card_id, merchant_id, version = session.execute(
        update(Card)
        .where(col(Card.member_id) == member_id)
        .values(version=col(Card.version) + 1, updated_at=stamp, update_tag=_NEXT_TAG_SQLITE)
        .returning(col(Card.id), col(Card.merchant_id), col(Card.version))
    ).one()
    return card_id, merchant_id, int(version)


def lock_cards(session: Session, member_ids: Sequence[UUID]) -> Sequence[Any]:
    """(card id, merchant id, version, updated_at) of the members' cards, locked until the
    transaction ends (PostgreSQL: with the shared tag lock)."""
    query = select(col(Card.id), col(Card.merchant_id), col(Card.version), col(Card.updated_at))
    query = query.where(col(Card.member_id).in_(member_ids)).order_by(col(Card.id))
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": TAG_LOCK})
        query = query.with_for_update()  # versions read here must still hold at the update
    return session.execute(query).all()


def bump_cards(session: Session, bumps: Sequence[Mapping[str, Any]]) -> None:
    """Set each card's version and stamp (``card_id``, ``new_version``, ``stamp``) and give it
    the next update tag, in one batched statement."""
    tag = func.nextval("card_update_tag_seq") if is_postgres(session) else _NEXT_TAG_SQLITE
    table = Card.__table__  # type: ignore[attr-defined]
    session.connection().execute(
        update(table)
        .where(table.c.id == bindparam("card_id"))
        .values(version=bindparam("new_version"), updated_at=bindparam("stamp"), update_tag=tag),
        list(bumps),
    )


def insert_events(session: Session, events: Sequence[Mapping[str, Any]]) -> None:
    """Insert outbox rows; each carries the current request's id unless it names one."""
    rows = [{"request_id": request_id.get(), **event} for event in events]
    session.connection().execute(insert(OutboxEvent.__table__), rows)  # type: ignore[attr-defined]


def set_message(
    session: Session,
    member_ids: Sequence[UUID],
    text: str,
    *,
    now: datetime,
    quiet: bool,
    translations: Mapping[str, str] | None = None,
) -> None:
    """Put ``text`` (and its ``translations``, language -> text) in the "latest news" field
    of the members' cards (and in the copies of them this session holds)."""
    session.execute(
        update(Card)
        .where(col(Card.member_id).in_(member_ids))
        .values(
            message=text,
            message_at=now,
            message_quiet=quiet,
            message_translations=dict(translations) if translations else None,
        )  # fmt: skip
    )
