"""HTTP routes for the rewards catalogue and coupons."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, status

from api.clock import utcnow
from api.deps import AdminCaller, PosCaller, ReaderCaller, SessionDep
from api.paging import Page, Paging
from api.rewards import service as reward_service
from api.rewards.schemas import CouponDetail, RewardCreate, RewardPublic, RewardUpdate

router = APIRouter(prefix="/api/v1", tags=["rewards"])
CouponCode = Annotated[str, Path(min_length=4, max_length=20, pattern=r"^[A-Za-z0-9]+$")]


@router.post("/programs/{program_id}/rewards", status_code=status.HTTP_201_CREATED)
def create_reward(
    program_id: UUID, data: RewardCreate, session: SessionDep, caller: AdminCaller
) -> RewardPublic:
    """Add a reward that costs points, or a full stamp card."""
    reward = reward_service.create_reward(session, caller, program_id, data)
    return RewardPublic.of(reward)


@router.get("/programs/{program_id}/rewards")
def list_rewards(
    program_id: UUID, session: SessionDep, caller: ReaderCaller, page: Paging
) -> Page[RewardPublic]:
    """The program's rewards, oldest first, a page at a time."""
    rewards, total = reward_service.page_rewards(session, caller.merchant_id, program_id, page)
    return Page.of([RewardPublic.of(r) for r in rewards], total, page)


@router.get("/programs/{program_id}/rewards/{reward_id}")
def read_reward(
    program_id: UUID, reward_id: UUID, session: SessionDep, caller: ReaderCaller
) -> RewardPublic:
    return RewardPublic.of(
        reward_service.get_reward(session, caller.merchant_id, program_id, reward_id)
    )


@router.patch("/programs/{program_id}/rewards/{reward_id}")
def update_reward(
    program_id: UUID, reward_id: UUID, data: RewardUpdate, session: SessionDep, caller: AdminCaller
) -> RewardPublic:
    """Edit a reward: its name, cost, limits, stock, redemption window; `{"is_active":
    false}` archives it (no longer offered; coupons already issued still work)."""
    reward = reward_service.update_reward(session, caller, program_id, reward_id, data)
    return RewardPublic.of(reward)


@router.post("/coupons/{code}/use")
def use_coupon(code: CouponCode, session: SessionDep, caller: PosCaller) -> CouponDetail:
    """Use a coupon at the till. A coupon works once; a second use is 409."""
    coupon = reward_service.use_coupon(
        session, caller.merchant_id, code, key_id=caller.key_id, now=utcnow()
    )
    return CouponDetail.of(coupon)


@router.get("/members/{member_id}/coupons")
def member_coupons(
    member_id: UUID, session: SessionDep, caller: ReaderCaller, page: Paging
) -> Page[CouponDetail]:
    """The member's coupons, newest first, a page at a time."""
    coupons, total = reward_service.member_coupons(session, caller.merchant_id, member_id, page)
    return Page.of([CouponDetail.of(c) for c in coupons], total, page)
