"""Coupons at the scanner: a cashier types or scans a coupon's code (or picks it on the
member's card) and uses it. A coupon is used once (the rewards domain locks its row); the
form's one-time value makes a resubmitted form a replay, not a second refusal."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from api.members import repository as member_repository
from api.members.models import Card, Member
from api.rewards import repository as reward_repository
from api.rewards import service as reward_service
from api.rewards.errors import CouponNotFound
from api.rewards.models import Coupon, Reward
from api.staff import repository
from api.staff.models import Staff, StaffAction

#: What a coupon code looks like once spaces and dashes are gone (api.rewards makes them).
COUPON_CODE = re.compile(r"^[A-Z0-9]{4,20}$")


@dataclass(frozen=True, slots=True)
class ScannedCoupon:
    coupon: Coupon
    reward: Reward
    member: Member
    card: Card


def normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper()[:20]


def find_coupon(session: Session, staff: Staff, code: str) -> ScannedCoupon:
    """The merchant's coupon with ``code`` (spaces, dashes and case ignored).

    Raises:
        CouponNotFound: no coupon of the staff member's merchant has it.
    """
    code = normalise(code)
    found = (
        reward_repository.coupon_with_reward(session, staff.merchant_id, code)
        if COUPON_CODE.match(code)
        else None
    )
    if found is None:
        raise CouponNotFound()
    coupon, reward = found
    member = member_repository.get(session, staff.merchant_id, coupon.member_id)
    if member is None:
        raise CouponNotFound()
    return ScannedCoupon(coupon, reward, *member)


def use(
    session: Session, staff: Staff, code: str, *, nonce: str, now: datetime
) -> tuple[ScannedCoupon, bool]:
    """Use the coupon as ``staff`` at their store; (the coupon, whether this was a replay of
    a form already sent).

    Raises:
        CouponNotFound, CouponAlreadyUsed, CouponExpired (nothing is written).
    """
    scanned = find_coupon(session, staff, code)
    if repository.action_by_nonce(session, staff.merchant_id, nonce) is not None:
        return scanned, True
    with session.begin_nested():
        coupon = reward_service.use_coupon(
            session, staff.merchant_id, scanned.coupon.code, key_id=None, now=now
        )
        session.add(
            StaffAction(
                merchant_id=staff.merchant_id,
                staff_id=staff.id,
                store_id=staff.store_id,
                member_id=coupon.member_id,
                kind="coupon",
                nonce=nonce,
                created_at=now,
            )
        )
        session.flush()
    return ScannedCoupon(coupon, scanned.reward, scanned.member, scanned.card), False
