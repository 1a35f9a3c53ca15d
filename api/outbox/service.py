"""Marking a card as changed: one version bump and one outbox row, in the caller's transaction.
Posting a message to cards goes through here too (:func:`post_message`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from uuid import UUID

from sqlmodel import Session

from api.clock import as_utc
from api.members.models import Card
from api.outbox import repository as outbox_repository


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
    in one second would otherwise look identical to Wallet. It is a version stamp, not a
    clock reading: a card changed more than once a second stamps ahead of the clock, and the
    pass endpoints send ``min(stamp, now)`` as ``Last-Modified``
    (``apple_webservice.service.freshness``).
    """
    event = {"kind": kind, "message": message, "campaign_id": campaign_id, "now": now}
    if outbox_repository.is_postgres(session):
        # One round trip: tag lock, card bump and outbox row (a purchase's hottest statement).
        version = outbox_repository.bump_and_enqueue_postgres(session, member_id, event)
        for card in [o for o in session.identity_map.values() if isinstance(o, Card)]:
            if card.member_id == member_id:  # a loaded copy: reload what the statement changed
                session.expire(card, ["version", "updated_at", "update_tag"])
        return version
    stamp = next_stamp(outbox_repository.card_updated_at(session, member_id), now)
    card_id, merchant_id, version = outbox_repository.bump_card_sqlite(session, member_id, stamp)
    outbox_repository.insert_events(
        session,
        [
            {
                "merchant_id": merchant_id,
                "card_id": card_id,
                "kind": kind,
                "card_version": version,
                "message": message,
                "campaign_id": campaign_id,
                "created_at": now,
            }
        ],
    )
    return version


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
    cards = outbox_repository.lock_cards(session, member_ids)
    if not cards:
        return 0
    outbox_repository.bump_cards(
        session,
        [
            {
                "card_id": card_id,
                "new_version": version + 1,
                "stamp": next_stamp(updated_at, now),
            }  # fmt: skip
            for card_id, _, version, updated_at in cards
        ],
    )
    outbox_repository.insert_events(
        session,
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


def post_message(
    session: Session,
    member_ids: Sequence[UUID],
    text: str,
    *,
    kind: str,
    now: datetime,
    quiet_on_apple: Sequence[UUID] = (),
    campaign_id: UUID | None = None,
    queue: bool = True,
    translations: Mapping[str, str] | None = None,
) -> int:
    """Put ``text`` on the members' cards (the "latest news" field, a lock-screen alert on
    Apple unless the member is in ``quiet_on_apple``; Google gets it as a message) and queue
    the change for both wallets. Returns the cards changed.

    ``queue=False`` only writes the text: for a caller that marks the card changed itself,
    once for everything it changed, passing ``text`` as that change's message (a purchase
    that also raised the tier is one card version, not two). ``translations`` (language ->
    text) show the message in the phone's language.
    """
    if not member_ids:
        return 0
    quiet = set(quiet_on_apple)
    for is_quiet in (False, True):
        group = [m for m in member_ids if (m in quiet) == is_quiet]
        if group:
            outbox_repository.set_message(session, group, text, now=now, quiet=is_quiet,
                                          translations=translations)  # fmt: skip
    if not queue:
        return len(member_ids)
    if len(member_ids) == 1:  # also reloads a copy of the card the caller holds
        mark_card_changed(session, member_ids[0], kind=kind, now=now, message=text,
                          campaign_id=campaign_id)  # fmt: skip
        return 1
    return mark_cards_changed(session, member_ids, kind=kind, now=now, message=text,
                              campaign_id=campaign_id)  # fmt: skip


def next_stamp(previous: datetime | None, now: datetime) -> datetime:
    """``now`` in whole seconds, or one second after ``previous`` if that is not later (so
    possibly ahead of ``now``: never send it as a date without capping it at now)."""
    stamp = as_utc(now).replace(microsecond=0)
    if previous is not None:
        floor = as_utc(previous).replace(microsecond=0)
        if stamp <= floor:
            stamp = floor + timedelta(seconds=1)
    return stamp
