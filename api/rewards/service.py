"""The rewards catalogue, coupons issued on redemption, and using a coupon once."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from sqlmodel import Session

from api.audit import service as audit
from api.clock import as_utc
from api.ledger.models import EntryKind
from api.ledger.postings import Book
from api.members import repository as member_repository
from api.members.errors import MemberNotFound
from api.members.models import Member
from api.outbox import service as outbox_service
from api.paging import PageRequest
from api.programs import service as program_service
from api.programs.models import Program, ProgramKind
from api.rewards import repository
from api.rewards.errors import (
    CouponAlreadyUsed,
    CouponExpired,
    CouponNotFound,
    RewardInvalid,
    RewardLimitReached,
    RewardNeedsStamps,
    RewardNotAvailable,
    RewardNotFound,
    RewardOutOfStock,
)
from api.rewards.models import Coupon, Reward
from api.rewards.schemas import RewardCreate, RewardUpdate
from api.webhooks import service as webhook_service

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a till
_CODE_LENGTH = 10


def create_reward(
    session: Session, caller: audit.Actor, program_id: UUID, data: RewardCreate
) -> Reward:
    """Add a reward to the program, in the audit log with ``caller`` (a key, an account)."""
    merchant_id = caller.merchant_id
    program = program_service.get_program(session, merchant_id, program_id)
    if data.costs_full_card and program.kind != ProgramKind.stamps:
        raise RewardNeedsStamps("this program collects points: give cost_points instead")
    reward = Reward(merchant_id=merchant_id, program_id=program.id, **data.model_dump())
    session.add(reward)
    session.flush()
    audit.record(session, caller, "reward.created", "reward", reward.id, None, reward)
    return reward


def get_reward(session: Session, merchant_id: UUID, program_id: UUID, reward_id: UUID) -> Reward:
    """Raises: RewardNotFound (also another program's or merchant's)."""
    reward = repository.get_reward(session, merchant_id, reward_id)
    if reward is None or reward.program_id != program_id:
        raise RewardNotFound()
    return reward


def update_reward(
    session: Session, caller: audit.Actor, program_id: UUID, reward_id: UUID, data: RewardUpdate
) -> Reward:
    """Apply the fields ``data`` sets; the result is checked as a whole, and the change is in
    the audit log (before and after) with ``caller``.

    Raises:
        RewardNotFound; RewardInvalid: a points cost on a full-card reward, or a window that
        ends before it starts.
    """
    reward = get_reward(session, caller.merchant_id, program_id, reward_id)
    before = audit.snapshot(reward)
    changes = data.model_dump(exclude_unset=True)
    if "cost_points" in changes and reward.costs_full_card:
        raise RewardInvalid("this reward costs a full stamp card", field="cost_points")
    for name, value in changes.items():
        setattr(reward, name, value)
    start, end = reward.available_from, reward.available_until
    if start is not None and end is not None and as_utc(end) <= as_utc(start):
        raise RewardInvalid("available_until must be after available_from", field="available_until")
    session.add(reward)
    session.flush()
    audit.record(session, caller, "reward.updated", "reward", reward.id, before, reward)
    return reward


def offerable(session: Session, member: Member, program: Program, *, now: datetime) -> list[Reward]:
    """The program's rewards this member can redeem now: active, within their window, in
    stock, under the member's limit, and affordable with their points or stamps."""
    rewards = repository.list_rewards(session, member.merchant_id, program.id)
    taken = repository.coupon_counts(session, member.id)
    return [
        r
        for r in rewards
        if _available(r, now)
        and (r.stock is None or r.stock > 0)
        and (r.per_member_limit is None or taken.get(r.id, 0) < r.per_member_limit)
        and (
            member.stamps >= (program.stamps_required or 0)
            if r.costs_full_card
            else member.points >= (r.cost_points or 0)
        )
    ]


def _available(reward: Reward, now: datetime) -> bool:
    return (
        reward.is_active
        and (reward.available_from is None or as_utc(reward.available_from) <= now)
        and (reward.available_until is None or now < as_utc(reward.available_until))
    )


def list_rewards(session: Session, merchant_id: UUID, program_id: UUID) -> Sequence[Reward]:
    program = program_service.get_program(session, merchant_id, program_id)
    return repository.list_rewards(session, merchant_id, program.id)


def page_rewards(
    session: Session, merchant_id: UUID, program_id: UUID, page: PageRequest
) -> tuple[Sequence[Reward], int]:
    """A page of the program's rewards, oldest first. Raises: ProgramNotFound."""
    program = program_service.get_program(session, merchant_id, program_id)
    return repository.page_rewards(session, merchant_id, program.id, page)


def redeem(session: Session, book: Book, program: Program, reward_id: UUID) -> Coupon:
    """Charge the member for ``reward_id`` and issue its coupon.

    Raises:
        RewardNotFound, RewardNotAvailable, RewardLimitReached, RewardOutOfStock,
        InsufficientBalance, InsufficientStamps.
    """
    member = book.member
    reward = repository.get_reward(session, member.merchant_id, reward_id)
    if reward is None or reward.program_id != member.program_id:
        raise RewardNotFound()
    if not reward.is_active:
        raise RewardNotAvailable("the reward has been withdrawn")
    if not _available(reward, book.now):
        raise RewardNotAvailable("the reward is not available at this time")
    limit = reward.per_member_limit
    if limit is not None and repository.count_coupons(session, member.id, reward.id) >= limit:
        raise RewardLimitReached(f"limit is {limit} per member")
    reason = f"reward: {reward.name}"
    if reward.costs_full_card:
        book.debit_stamps(program.stamps_required or 0, EntryKind.redeem, reason)
    else:
        book.debit_points(reward.cost_points or 0, EntryKind.redeem, reason)
    if not take_from_stock(session, reward):  # last: the reward's row is locked from here on
        raise RewardOutOfStock()
    coupon = Coupon(
        merchant_id=member.merchant_id,
        member_id=member.id,
        reward_id=reward.id,
        transaction_id=book.transaction_id,
        code=_new_code(session),
        valid_until=book.now + timedelta(days=reward.valid_days),
        created_at=book.now,
    )
    session.add(coupon)
    webhook_service.enqueue(session, member.merchant_id, "reward.redeemed", coupon.model_dump())
    return coupon


def take_from_stock(session: Session, reward: Reward) -> bool:
    """Take one coupon from the reward's stock; True when it has no limit or one was left."""
    return reward.stock is None or repository.take_from_stock(session, reward)


def use_coupon(
    session: Session, merchant_id: UUID, code: str, *, key_id: UUID | None, now: datetime
) -> Coupon:
    """Mark a coupon used; a coupon is used once.

    Raises:
        CouponNotFound, CouponAlreadyUsed, CouponExpired.
    """
    coupon = repository.lock_coupon(session, merchant_id, code.strip().upper())
    if coupon is None:
        raise CouponNotFound()
    if coupon.used_at is not None:
        raise CouponAlreadyUsed(f"used on {coupon.used_at:%Y-%m-%d %H:%M} UTC")
    if coupon.valid_until < now:
        raise CouponExpired(f"valid until {coupon.valid_until:%Y-%m-%d}")
    coupon.used_at, coupon.used_by_key_id = now, key_id
    session.add(coupon)
    outbox_service.mark_card_changed(session, coupon.member_id, kind="coupon_used", now=now)
    webhook_service.enqueue(session, merchant_id, "coupon.used", coupon.model_dump())
    return coupon


def member_coupons(
    session: Session, merchant_id: UUID, member_id: UUID, page: PageRequest
) -> tuple[Sequence[Coupon], int]:
    """A page of the member's coupons, newest first.

    Raises: MemberNotFound (also for another merchant's member)."""
    if member_repository.get(session, merchant_id, member_id) is None:
        raise MemberNotFound()
    return repository.page_member_coupons(session, merchant_id, member_id, page)


def _new_code(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
        if not repository.code_exists(session, code):
            return code
