"""The wheel of fortune: configuration with published odds, and spins.

Each purchase of at least ``min_purchase`` made since the wheel started grants one spin (the
spin row is unique per purchase). The server draws the prize with ``secrets``, records the
number drawn, and pays it through the ledger (points) or as a coupon; the browser only
animates what the server decided. When a day's or month's prize cap is reached the spin still
happens and gives nothing (``capped``), so the published odds hold until the budget runs out;
so does a coupon prize whose reward has no stock left. Locks, always in this order: the member
(one spin per purchase), the wheel (the caps), the coupon's reward (its stock).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.cards.service import CardView
from api.ledger import repository as ledger_repository
from api.ledger import service as ledger_service
from api.ledger.postings import Actor
from api.outbox import service as outbox_service
from api.programs import service as program_service
from api.programs.rules import rules_of
from api.rewards import repository as reward_repository
from api.rewards import service as reward_service
from api.rewards.errors import RewardNotFound
from api.rewards.models import Coupon, Reward
from api.transactions import service as transaction_service
from api.transactions.schemas import EarnRequest
from api.wheel import drawing, repository
from api.wheel.errors import NoSpinLeft, WheelNotFound
from api.wheel.models import Wheel, WheelSpin
from api.wheel.schemas import PrizeKind, PrizeOdds, SpinResult, WheelConfig, WheelPublic

logger = logging.getLogger(__name__)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def configure(
    session: Session, merchant_id: UUID, program_id: UUID, config: WheelConfig, *, now: datetime
) -> Wheel:
    """Create or replace the program's wheel. Purchases before the wheel's creation grant none.

    Raises:
        ProgramNotFound, RewardNotFound (a coupon prize names another program's reward).
    """
    program = program_service.get_program(session, merchant_id, program_id)
    for prize in config.prizes:
        if prize.reward_id is not None:
            reward = reward_repository.get_reward(session, merchant_id, prize.reward_id)
            if reward is None or reward.program_id != program.id:
                raise RewardNotFound(f"reward {prize.reward_id} is not in this program")
    wheel = repository.for_program(session, merchant_id, program.id) or Wheel(
        merchant_id=merchant_id, program_id=program.id, min_purchase=config.min_purchase,
        starts_at=now,
    )  # fmt: skip
    wheel.is_active = config.is_active
    wheel.min_purchase = config.min_purchase
    wheel.prizes = [p.model_dump(mode="json") for p in config.prizes]
    wheel.daily_prize_cap = config.daily_prize_cap
    wheel.monthly_prize_cap = config.monthly_prize_cap
    wheel.updated_at = now
    session.add(wheel)
    session.flush()
    return wheel


def get_wheel(session: Session, merchant_id: UUID, program_id: UUID) -> Wheel:
    wheel = repository.for_program(session, merchant_id, program_id)
    if wheel is None:
        raise WheelNotFound()
    return wheel


def public(wheel: Wheel) -> WheelPublic:
    return WheelPublic(
        program_id=wheel.program_id,
        is_active=wheel.is_active,
        min_purchase=wheel.min_purchase,
        prizes=odds(wheel),
        daily_prize_cap=wheel.daily_prize_cap,
        monthly_prize_cap=wheel.monthly_prize_cap,
        starts_at=wheel.starts_at,
    )


def odds(wheel: Wheel) -> list[PrizeOdds]:
    """Each prize's chance, as published on the card page."""
    total = sum(int(p["weight"]) for p in wheel.prizes)
    return [
        PrizeOdds(
            label=p["label"],
            kind=PrizeKind(p["kind"]),
            points=p.get("points"),
            weight=int(p["weight"]),
            percent=round(100 * int(p["weight"]) / total, 1),
        )
        for p in wheel.prizes
    ]


@dataclass(frozen=True, slots=True)
class WheelState:
    """What the card page shows about the wheel."""

    wheel: Wheel
    odds: list[PrizeOdds]
    spins_left: int
    last_spin: WheelSpin | None
    min_purchase: str  # "300 RUB"
    wedges: list[drawing.Wedge]

    @property
    def landed(self) -> float:
        """The disc's rotation that shows the last spin's prize under the pointer."""
        return drawing.landing(self.wedges[self.last_spin.prize_index]) if self.last_spin else 0


def state_for(
    session: Session, view: CardView, *, spin_id: UUID | None = None
) -> WheelState | None:
    """The wheel on a member's card page, or None when the program has no active wheel."""
    wheel = repository.for_program(session, view.member.merchant_id, view.program.id)
    if wheel is None or not wheel.is_active:
        return None
    spins_left = len(repository.unspun_grants(session, wheel, view.member.id))
    last = repository.get_spin(session, view.member.id, spin_id) if spin_id else None
    amount = f"{wheel.min_purchase:.2f}".removesuffix(".00")
    currency = rules_of(view.program).currency
    prizes = odds(wheel)
    wedges = drawing.wedges([p.weight for p in prizes], [p.label for p in prizes])
    return WheelState(wheel, prizes, spins_left, last, f"{amount} {currency}", wedges)


def spin(session: Session, view: CardView, *, now: datetime) -> SpinResult:
    """Spend one granted spin: draw, pay the prize, record it.

    Raises:
        WheelNotFound: no active wheel.
        NoSpinLeft: no unspun qualifying purchase (or a concurrent spin took the last one).
    """
    member = view.member
    locked = ledger_repository.lock_member_with_program(session, member.merchant_id, member.id)
    wheel = repository.for_program(session, member.merchant_id, view.program.id)
    if locked is None or wheel is None or not wheel.is_active:
        raise WheelNotFound()
    grants = repository.unspun_grants(session, wheel, member.id)
    if not grants:
        raise NoSpinLeft()
    weights = [int(p["weight"]) for p in wheel.prizes]
    draw = secrets.randbelow(sum(weights))
    index = _segment(weights, draw)
    prize = wheel.prizes[index]
    kind = PrizeKind(prize["kind"])
    reward = _prize_reward(session, view, prize) if kind is PrizeKind.coupon else None
    capped = kind is not PrizeKind.nothing and _is_capped(session, wheel, view, now)
    if reward is not None and not capped:  # a reward out of stock gives nothing, as a cap
        capped = not reward_service.take_from_stock(session, reward)
    spin_row = WheelSpin(
        merchant_id=member.merchant_id,
        wheel_id=wheel.id,
        member_id=member.id,
        grant_transaction_id=grants[0].id,
        draw=draw,
        total_weight=sum(weights),
        prize_index=index,
        prize_kind=PrizeKind.nothing if capped else kind,
        prize_label=str(prize["label"]),
        capped=capped,
        created_at=now,
    )
    coupon_code = None
    try:
        with session.begin_nested():
            session.add(spin_row)
            session.flush()  # the unique grant: a concurrent spin of the same purchase fails here
            if not capped and kind is PrizeKind.points:
                spin_row.points = int(prize["points"])
                spin_row.prize_transaction_id = _pay_points(session, view, spin_row, now)
            elif not capped and reward is not None:
                coupon = _issue_coupon(session, view, reward, now)
                spin_row.coupon_id, coupon_code = coupon.id, coupon.code
            session.add(spin_row)
            session.flush()
    except IntegrityError:
        raise NoSpinLeft("this purchase's spin was just used") from None
    logger.info("wheel spun", extra={"member_id": str(member.id), "prize": spin_row.prize_kind})
    return SpinResult(
        spin_id=spin_row.id,
        prize_index=index,
        segments=len(weights),
        label=spin_row.prize_label,
        kind=PrizeKind(spin_row.prize_kind),
        points=spin_row.points,
        coupon_code=coupon_code,
        spins_left=len(grants) - 1,
    )


def _segment(weights: list[int], draw: int) -> int:
    """The segment whose cumulative weight range holds ``draw`` (0 <= draw < sum)."""
    for index, weight in enumerate(weights):
        if draw < weight:
            return index
        draw -= weight
    raise ValueError("draw out of range")


def _is_capped(session: Session, wheel: Wheel, view: CardView, now: datetime) -> bool:
    """Whether a cap is reached. The wheel stays locked until commit, so concurrent spins
    count each other's prizes (the member lock taken first only serialises one member)."""
    if wheel.daily_prize_cap is None and wheel.monthly_prize_cap is None:
        return False
    repository.lock(session, wheel.id)
    rules = rules_of(view.program)
    today = ledger_service.day_start(now, rules)
    month = today - timedelta(days=today.astimezone(rules.zone).day - 1)
    caps = ((wheel.daily_prize_cap, today), (wheel.monthly_prize_cap, month))
    return any(
        cap is not None and repository.prizes_since(session, wheel.id, since) >= cap
        for cap, since in caps
    )


def _pay_points(session: Session, view: CardView, spin_row: WheelSpin, now: datetime) -> UUID:
    request = EarnRequest(
        kind="earn", points=spin_row.points, reason=f"wheel of fortune: {spin_row.prize_label}"
    )
    outcome = transaction_service.record(
        session, view.member.merchant_id, view.member.id, request,
        actor=Actor("wheel of fortune"), now=now,
    )  # fmt: skip
    return outcome.result.transaction.id


def _prize_reward(session: Session, view: CardView, prize: dict[str, Any]) -> Reward:
    reward = reward_repository.get_reward(
        session, view.member.merchant_id, UUID(prize["reward_id"])
    )
    if reward is None:
        raise RewardNotFound()
    return reward


def _issue_coupon(session: Session, view: CardView, reward: Reward, now: datetime) -> Coupon:
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
    while reward_repository.code_exists(session, code):
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
    coupon = Coupon(
        merchant_id=view.member.merchant_id,
        member_id=view.member.id,
        reward_id=reward.id,
        code=code,
        valid_until=now + timedelta(days=reward.valid_days),
        created_at=now,
    )
    session.add(coupon)
    outbox_service.mark_card_changed(session, view.member.id, kind="wheel_coupon", now=now)
    return coupon
