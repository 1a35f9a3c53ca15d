"""Promo codes: creating promos and redeeming their codes.

A promo belongs to a program and is either one shared code (``usage_limit`` uses in all) or a
batch of unique codes (each used once), valid within a window, at most ``per_member_limit``
times per member. Redeeming a code runs with the member's row locked (a member's concurrent
redemptions queue up), answers the stored redemption again for the same member and code
(idempotent per (member, code), also after the promo is archived), then checks the promo and
counts the use in one statement that refuses a use past the limit (concurrent members cannot
share the last use). What it grants:

* ``points``: a ``bonus`` transaction through the ledger (reason ``promo CODE``), so the
  member's ledger explains and reconciles it like any other bonus;
* ``coupon``: a coupon of the promo's reward (from its stock, if limited), as the wheel gives;
* ``discount``: a pending grant kept on the redemption (``discount_percent``, with
  ``discount_used_at`` empty); the scanner shows it, and the member's next purchase takes it
  (:func:`take_discount`, marking it used), so a discount is given once.

Any refusal raises before the request commits, so a refused redemption writes nothing.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlmodel import Session

from api.audit import service as audit
from api.db import insert_unless_conflict
from api.ledger import repository as ledger_repository
from api.ledger import service as ledger_service
from api.ledger.postings import Actor
from api.members import service as member_service
from api.members.errors import MemberNotFound
from api.members.models import Member
from api.outbox import service as outbox_service
from api.paging import PageRequest
from api.programs import service as program_service
from api.programs.models import Program
from api.programs.rules import rules_of
from api.promos import repository
from api.promos.errors import (
    PromoArchived,
    PromoCodeTaken,
    PromoExpired,
    PromoInvalid,
    PromoMemberLimit,
    PromoNotFound,
    PromoNotStarted,
    PromoUsedUp,
)
from api.promos.models import Promo, PromoCode, PromoGrant, PromoKind, PromoRedemption
from api.promos.schemas import PromoCreate, PromoUpdate, normalise
from api.rewards import repository as reward_repository
from api.rewards import service as reward_service
from api.rewards.errors import RewardNotAvailable, RewardNotFound, RewardOutOfStock
from api.rewards.models import Coupon

#: Unique codes: 10 of 32 symbols (50 bits; no 0/O, 1/I: read aloud, typed from paper).
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


@dataclass(frozen=True, slots=True)
class Redeemed:
    """A redemption, what it granted, and whether it was made now (False: a replay)."""

    redemption: PromoRedemption
    promo: Promo
    code: str
    member: Member
    coupon: Coupon | None
    is_new: bool


def create_promo(
    session: Session, caller: audit.Actor, program_id: UUID, data: PromoCreate, *, now: datetime
) -> Promo:
    """Create a promo with its shared code or its batch of unique codes (in the audit log
    with ``caller``).

    Raises:
        ProgramNotFound, RewardNotFound (a reward of another program), PromoCodeTaken.
    """
    merchant_id = caller.merchant_id
    program = program_service.get_program(session, merchant_id, program_id)
    if data.reward_id is not None:
        reward = reward_repository.get_reward(session, merchant_id, data.reward_id)
        if reward is None or reward.program_id != program.id:
            raise RewardNotFound(field="reward_id")
    fields = data.model_dump(exclude={"code", "count"})
    promo = Promo(merchant_id=merchant_id, program_id=program.id, created_at=now, **fields)
    session.add(promo)
    session.flush()
    if data.kind == PromoKind.shared:
        assert data.code is not None
        if repository.taken_codes(session, merchant_id, [data.code]):
            raise PromoCodeTaken(f"{data.code} is another promo's code", field="code")
        shared = PromoCode(merchant_id=merchant_id, promo_id=promo.id, code=data.code,
                           created_at=now)  # fmt: skip
        if not insert_unless_conflict(session, shared):  # created at the same moment
            raise PromoCodeTaken(f"{data.code} is another promo's code", field="code")
    else:
        repository.insert_codes(session, merchant_id, promo.id, _new_codes(session, merchant_id,
                                data.count or 0), now=now)  # fmt: skip
    audit.record(session, caller, "promo.created", "promo", promo.id, None, promo)
    return promo


def update_promo(
    session: Session, caller: audit.Actor, program_id: UUID, promo_id: UUID, data: PromoUpdate
) -> Promo:
    """Change a promo's name, limits, window or archive it (in the audit log, before and
    after, with ``caller``).

    Raises:
        PromoNotFound, PromoInvalid (a usage limit on unique codes, a window ending first).
    """
    promo = get_promo(session, caller.merchant_id, program_id, promo_id)
    before = audit.snapshot(promo)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("usage_limit") is not None and promo.kind == PromoKind.unique:
        raise PromoInvalid("unique codes are used once each", field="usage_limit")
    for name, value in changes.items():
        setattr(promo, name, value)
    if promo.starts_at and promo.ends_at and promo.ends_at <= promo.starts_at:
        raise PromoInvalid("ends_at must be after starts_at", field="ends_at")
    session.add(promo)
    session.flush()
    audit.record(session, caller, "promo.updated", "promo", promo.id, before, promo)
    return promo


def get_promo(session: Session, merchant_id: UUID, program_id: UUID, promo_id: UUID) -> Promo:
    """Raises: PromoNotFound (also another program's or merchant's)."""
    promo = repository.get_promo(session, merchant_id, promo_id)
    if promo is None or promo.program_id != program_id:
        raise PromoNotFound()
    return promo


def page_promos(
    session: Session, merchant_id: UUID, program_id: UUID, page: PageRequest
) -> tuple[Sequence[Promo], int]:
    program = program_service.get_program(session, merchant_id, program_id)
    return repository.page_promos(session, merchant_id, program.id, page)


def summary(session: Session, promo: Promo) -> tuple[str | None, int, int]:
    """The shared code (None for unique codes), how many codes, how many uses in all."""
    code, count, uses = repository.code_stats(session, promo.id)
    return (code if promo.kind == PromoKind.shared else None), count, uses


def codes(
    session: Session, merchant_id: UUID, program_id: UUID, promo_id: UUID
) -> list[tuple[str, int]]:
    """Every code of the promo and its uses, to print. Raises: PromoNotFound."""
    promo = get_promo(session, merchant_id, program_id, promo_id)
    return repository.codes_of(session, promo.id)


def codes_csv(rows: Sequence[tuple[str, int]]) -> str:
    """The codes as CSV (code, uses), to print or mail merge."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "uses"])
    writer.writerows(rows)
    return out.getvalue()


def page_redemptions(
    session: Session, merchant_id: UUID, program_id: UUID, promo_id: UUID, page: PageRequest
) -> tuple[Sequence[tuple[PromoRedemption, str]], int]:
    """Who redeemed the promo's codes, oldest first. Raises: PromoNotFound."""
    promo = get_promo(session, merchant_id, program_id, promo_id)
    rows, total = repository.page_redemptions(session, merchant_id, promo.id, page)
    values = repository.code_values(session, {row.code_id for row in rows})
    return [(row, values[row.code_id]) for row in rows], total


def redeem(
    session: Session, merchant_id: UUID, member_id: UUID, code: str, *, actor: Actor,
    now: datetime,
) -> Redeemed:  # fmt: skip
    """Redeem ``code`` for the member (idempotent per member and code).

    Raises:
        MemberNotFound, PromoNotFound (no such code in the member's program), PromoArchived,
        PromoNotStarted, PromoExpired, PromoMemberLimit, PromoUsedUp; for a coupon
        RewardNotFound, RewardNotAvailable (archived), RewardOutOfStock.
    """
    locked = ledger_repository.lock_member_with_program(session, merchant_id, member_id)
    if locked is None:
        raise MemberNotFound()
    member, program = locked
    value = normalise(code)
    found = repository.find_code(session, merchant_id, value)
    if found is None or found[1].program_id != program.id:
        raise PromoNotFound(f"no promo code {value!r} in this program", field="code")
    promo_code, promo = found
    existing = repository.redemption(session, promo_code.id, member.id)
    if existing is not None:
        coupon = session.get(Coupon, existing.coupon_id) if existing.coupon_id else None
        return Redeemed(existing, promo, value, member, coupon, is_new=False)
    _check(session, promo, member, now)
    limit = 1 if promo.kind == PromoKind.unique else promo.usage_limit
    if not repository.use_code(session, promo_code, limit):
        raise PromoUsedUp(field="code")
    row = PromoRedemption(
        merchant_id=merchant_id,
        promo_id=promo.id,
        code_id=promo_code.id,
        member_id=member.id,
        actor=actor.label[:100],
        created_at=now,
    )
    coupon = _grant(session, promo, row, member, program, value, actor=actor, now=now)
    if not insert_unless_conflict(session, row):  # cannot happen with the member locked
        raise PromoMemberLimit(field="code")
    return Redeemed(row, promo, value, member, coupon, is_new=True)


def take_discount(session: Session, member: Member, transaction_id: UUID, *, now: datetime) -> int:
    """The purchase being recorded takes the member's oldest pending promo discount: its
    percent (0 when none), marked used so no other purchase takes it. The member is locked."""
    pending = repository.pending_discount(session, member.merchant_id, member.id)
    if pending is None or pending.discount_percent is None:
        return 0
    repository.mark_discount_used(session, pending, transaction_id, now)
    return pending.discount_percent


def discount_taken_by(session: Session, transaction_id: UUID) -> int:
    """The promo discount a recorded purchase took (0: none), for its replayed answer."""
    taken = repository.discount_of_purchase(session, transaction_id)
    return taken.discount_percent or 0 if taken else 0


def pending_for(session: Session, merchant_id: UUID, member_id: UUID) -> PromoRedemption | None:
    """The promo discount grant the member's next purchase will take, if any.

    Raises:
        MemberNotFound: the merchant has no such member.
    """
    member_service.get_member(session, merchant_id, member_id)
    return repository.pending_discount(session, merchant_id, member_id)


def pending_discount(session: Session, member: Member) -> int:
    """The promo discount the member's next purchase will take (0: none)."""
    pending = repository.pending_discount(session, member.merchant_id, member.id)
    return pending.discount_percent or 0 if pending else 0


def _check(session: Session, promo: Promo, member: Member, now: datetime) -> None:
    if not promo.is_active:
        raise PromoArchived(field="code")
    if promo.starts_at is not None and now < promo.starts_at:
        raise PromoNotStarted(f"valid from {promo.starts_at:%Y-%m-%d %H:%M} UTC", field="code")
    if promo.ends_at is not None and now >= promo.ends_at:
        raise PromoExpired(f"valid until {promo.ends_at:%Y-%m-%d %H:%M} UTC", field="code")
    used = repository.count_member_redemptions(session, promo.id, member.id)
    if used >= promo.per_member_limit:
        raise PromoMemberLimit(f"limit is {promo.per_member_limit} per member", field="code")


def _grant(
    session: Session, promo: Promo, row: PromoRedemption, member: Member, program: Program,
    code: str, *, actor: Actor, now: datetime,
) -> Coupon | None:  # fmt: skip
    if promo.grant == PromoGrant.points:
        transaction = ledger_service.grant_bonus(
            session, member, rules_of(program), points=promo.points or 0,
            reason=f"promo {code}", actor=actor, now=now,
        )  # fmt: skip
        row.transaction_id = transaction.id if transaction else None
        return None
    if promo.grant == PromoGrant.discount:
        row.discount_percent = promo.discount_percent
        outbox_service.mark_card_changed(session, member.id, kind="promo", now=now)
        return None
    reward = reward_repository.get_reward(
        session, member.merchant_id, promo.reward_id or UUID(int=0)
    )
    if reward is None:
        raise RewardNotFound(field="reward_id")
    if not reward.is_active:
        raise RewardNotAvailable("the promo's reward has been withdrawn")
    if not reward_service.take_from_stock(session, reward):
        raise RewardOutOfStock()
    coupon = Coupon(
        merchant_id=member.merchant_id,
        member_id=member.id,
        reward_id=reward.id,
        code=_coupon_code(session),
        valid_until=now + timedelta(days=reward.valid_days),
        created_at=now,
    )
    session.add(coupon)
    session.flush()
    row.coupon_id = coupon.id
    outbox_service.mark_card_changed(session, member.id, kind="promo", now=now)
    return coupon


def _coupon_code(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not reward_repository.code_exists(session, code):
            return code


def _new_codes(session: Session, merchant_id: UUID, count: int) -> list[str]:
    """``count`` unguessable codes the merchant does not use yet."""
    codes: set[str] = set()
    while len(codes) < count:
        fresh = {
            "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            for _ in range(count - len(codes))
        }
        codes |= fresh - repository.taken_codes(session, merchant_id, fresh)
    return sorted(codes)
