"""The loyalty engine: purchases, direct changes, refunds, bonuses and tiers.

Every function here runs inside the request's transaction with the member's row locked, writes
append-only entries through :class:`Book`, and marks the card changed (version + outbox) in
the same transaction, so the wallets can never miss a committed change.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

from sqlmodel import Session

from api.automations import service as automation_service
from api.db import insert_unless_conflict
from api.errors import Conflict, InvalidRequest, NotFound
from api.ledger import repository
from api.ledger.engine import (
    Earned,
    points_for_purchase,
    reversal_points,
    stamps_for_purchase,
    tier_for,
    tier_rank,
    tier_window_start,
)
from api.ledger.models import Currency, EntryKind, LedgerEntry, Transaction, TransactionKind
from api.ledger.postings import Actor, Book
from api.ledger.schemas import (
    AdjustRequest,
    CouponPublic,
    EarnRequest,
    EntryPublic,
    PurchaseRequest,
    RedeemRequest,
    RedeemRewardRequest,
    RefundRequest,
    TransactionPage,
    TransactionPublic,
    TransactionResult,
)
from api.members import repository as member_repository
from api.members.errors import MemberNotFound
from api.members.models import Member
from api.outbox import service as outbox_service
from api.programs import repository as program_repository
from api.programs.models import Program, ProgramKind
from api.programs.rules import Downgrade, ProgramRules, TierMetric
from api.rewards import service as reward_service
from api.rewards.models import Coupon
from api.stores import repository as store_repository
from api.stores import selection as store_selection

logger = logging.getLogger(__name__)
Request = PurchaseRequest | EarnRequest | RedeemRequest | AdjustRequest | RedeemRewardRequest


class TransactionNotFound(NotFound):
    code, title = "transaction_not_found", "Transaction not found"


class StoreNotFound(NotFound):
    code, title = "store_not_found", "Store not found"


class CurrencyMismatch(InvalidRequest):
    code, title = "currency_mismatch", "The purchase is in another currency than the program"


class WrongMechanic(InvalidRequest):
    code, title = "wrong_mechanic", "This program does not collect that"


class ReceiptAlreadyUsed(Conflict):
    code, title = "receipt_already_used", "This receipt_id was already used for another request"


class NotRefundable(InvalidRequest):
    code, title = "not_refundable", "Only purchases can be refunded"


class AlreadyRefunded(Conflict):
    code, title = "already_refunded", "This purchase has been refunded in full"


class RefundExceedsRemaining(InvalidRequest):
    code, title = "refund_exceeds_remaining", "The refund is larger than what remains"


@dataclass(frozen=True, slots=True)
class Outcome:
    result: TransactionResult
    is_new: bool


def rules_of(program: Program) -> ProgramRules:
    """The program's rules, validated once per distinct document (a purchase's rules were
    validated on every request before). The result is shared: never modify it."""
    return _parse_rules(json.dumps(program.rules or {}, sort_keys=True, default=str))


@functools.lru_cache(maxsize=256)
def _parse_rules(document: str) -> ProgramRules:
    return ProgramRules.model_validate(json.loads(document))


def record(
    session: Session, merchant_id: UUID, member_id: UUID, request: Request, *, actor: Actor,
    now: datetime,
) -> Outcome:  # fmt: skip
    """Apply one POS request to a member's account.

    Raises:
        MemberNotFound, StoreNotFound, CurrencyMismatch, WrongMechanic, ReceiptAlreadyUsed,
        InsufficientBalance, InsufficientStamps, and the reward errors.
    """
    found = repository.lock_member_with_program(session, merchant_id, member_id)
    if found is None:
        raise MemberNotFound()
    member, program = found
    rules = rules_of(program)
    if request.location_id is not None:
        if store_repository.get(session, merchant_id, request.location_id) is None:
            raise StoreNotFound()
        actor = Actor(actor.label, actor.key_id, request.location_id)
    receipt_id = request.receipt_id if isinstance(request, PurchaseRequest) else None
    transaction = Transaction(
        merchant_id=merchant_id,
        member_id=member.id,
        kind=TransactionKind(request.kind),
        receipt_id=receipt_id,
        location_id=actor.location_id,
        actor_key_id=actor.key_id,
        actor=actor.label,
        reason=getattr(request, "reason", None),
        created_at=now,
    )
    book = Book(session, member, rules, actor, now, transaction.id, receipt_id)
    earned = None
    if isinstance(request, PurchaseRequest):
        earned = _earnings(session, book, program, transaction, request)
    if not insert_unless_conflict(session, transaction):
        existing = repository.find_receipt(session, merchant_id, receipt_id or "")
        if existing is None:
            raise ReceiptAlreadyUsed("the receipt was used at the same moment by another request")
        return Outcome(_replay_purchase(session, existing, member, rules, request), False)
    notes: list[str] = []
    coupon = None
    if isinstance(request, PurchaseRequest):
        assert earned is not None
        notes = _post_purchase(session, book, program, transaction, earned)
    elif isinstance(request, EarnRequest):
        if request.points is not None:
            book.credit_points(request.points, EntryKind.earn, request.reason)
        else:
            _require_stamps(program)
            book.credit_stamps(request.stamps or 0, EntryKind.earn, request.reason)
    elif isinstance(request, RedeemRequest):
        book.debit_points(request.points, EntryKind.redeem, request.reason)
    elif isinstance(request, AdjustRequest):
        if request.currency is Currency.stamps:
            _require_stamps(program)
            post = book.credit_stamps if request.points > 0 else book.debit_stamps
        else:
            post = book.credit_points if request.points > 0 else book.debit_points
        post(abs(request.points), EntryKind.adjust, request.reason)
    else:
        coupon = reward_service.redeem(session, book, program, request.reward_id)
    if actor.location_id is not None and isinstance(request, PurchaseRequest):
        # A purchase at a store the card does not show yet: the card's stores may change.
        card_stores = store_selection.card_store_ids(session, member.id)
        if card_stores is None or str(actor.location_id) not in card_stores:
            store_selection.refresh_member(session, member)
    outbox_service.mark_card_changed(session, member.id, kind=request.kind, now=now)
    session.flush()
    return Outcome(_result(transaction, book.entries, member, rules, notes, coupon), True)


def refund(
    session: Session, merchant_id: UUID, transaction_id: UUID, request: RefundRequest, *,
    actor: Actor, now: datetime,
) -> Outcome:  # fmt: skip
    """Refund a purchase in full or in part, taking back its points and stamps pro rata.

    Points already spent cannot be taken back below zero: what cannot be reversed is said in
    the response's notes and the entry's reason.

    Raises:
        TransactionNotFound, NotRefundable, AlreadyRefunded, RefundExceedsRemaining,
        ReceiptAlreadyUsed.
    """
    original = repository.get_transaction(session, merchant_id, transaction_id)
    if original is None:
        raise TransactionNotFound()
    if original.kind != TransactionKind.purchase or original.amount is None:
        raise NotRefundable(f"this is a {original.kind} transaction")
    member = repository.lock_member(session, merchant_id, original.member_id)
    if member is None:
        raise MemberNotFound()
    session.refresh(original)  # another refund may have committed while we waited for the lock
    rules = rules_of(_program(session, member))
    remaining = original.amount - original.refunded_amount
    if request.receipt_id is not None:
        existing = repository.find_receipt(session, merchant_id, request.receipt_id)
        if existing is not None:
            if existing.refund_of_id == original.id and (
                request.amount is None or existing.amount == request.amount
            ):
                return Outcome(_stored_result(session, existing, member, rules), False)
            raise ReceiptAlreadyUsed(f"receipt {request.receipt_id!r} belongs to another request")
    if remaining <= 0:
        raise AlreadyRefunded()
    amount = request.amount if request.amount is not None else remaining
    if amount > remaining:
        raise RefundExceedsRemaining(
            f"{remaining} of {original.amount} remains to refund", remaining=str(remaining)
        )
    transaction = Transaction(
        merchant_id=merchant_id,
        member_id=member.id,
        kind=TransactionKind.refund,
        amount=amount,
        currency=original.currency,
        receipt_id=request.receipt_id,
        refund_of_id=original.id,
        location_id=actor.location_id,
        actor_key_id=actor.key_id,
        actor=actor.label,
        reason=request.reason,
        created_at=now,
    )
    if not insert_unless_conflict(session, transaction):
        raise ReceiptAlreadyUsed("the receipt was used at the same moment by another request")
    book = Book(session, member, rules, actor, now, transaction.id, request.receipt_id)
    notes: list[str] = []
    owed = reversal_points(
        original.points_earned, original.amount, original.refunded_amount, amount
    )
    taken = min(owed, member.points)
    if owed:
        reason = f"refund of {amount} {original.currency}"
        if taken < owed:
            reason += f"; {owed - taken} points already spent, not reversed"
            notes.append(f"{owed - taken} points were already spent and could not be reversed")
        first = list(repository.lots_of_transaction(session, original.id))
        book.debit_points(taken, EntryKind.reverse, reason, first=first)
    stamps_owed = reversal_points(
        original.stamps_earned, original.amount, original.refunded_amount, amount
    )
    if stamps_owed:
        stamps_taken = min(stamps_owed, member.stamps)
        if stamps_taken < stamps_owed:
            notes.append(f"{stamps_owed - stamps_taken} stamps were already used")
        book.debit_stamps(stamps_taken, EntryKind.reverse, f"refund of {amount}")
    original.refunded_amount += amount
    session.add(original)
    outbox_service.mark_card_changed(session, member.id, kind="refund", now=now)
    session.flush()
    return Outcome(_result(transaction, book.entries, member, rules, notes, None), True)


def grant_bonus(
    session: Session, member: Member, rules: ProgramRules, *, points: int, reason: str,
    actor: Actor, now: datetime,
) -> Transaction | None:  # fmt: skip
    """A bonus (welcome, birthday, referral) as its own transaction; the member is locked."""
    if points <= 0:
        return None
    transaction = Transaction(
        merchant_id=member.merchant_id,
        member_id=member.id,
        kind=TransactionKind.bonus,
        actor=actor.label,
        actor_key_id=actor.key_id,
        reason=reason,
        created_at=now,
    )
    insert_unless_conflict(session, transaction)
    Book(session, member, rules, actor, now, transaction.id).credit_points(
        points, EntryKind.bonus, reason
    )
    outbox_service.mark_card_changed(session, member.id, kind="bonus", now=now, message=reason)
    return transaction


def evaluate_tier(
    session: Session, member: Member, rules: ProgramRules, *, now: datetime, allow_downgrade: bool
) -> bool:
    """Move the member to the tier their activity earns; True when the tier changed.

    Upgrades happen at once. Downgrades follow the program's mode: ``none`` never,
    ``automatic`` at the next evaluation, ``grace`` once ``grace_days`` have passed below
    the threshold (climbing back above clears the grace period).
    """
    tiers = rules.tiers
    if not tiers.levels:
        return False
    since = tier_window_start(now, tiers, rules.zone)
    if tiers.metric is TierMetric.spend:
        value = repository.spend_since(session, member.id, since)
    elif tiers.metric is TierMetric.visits:
        value = Decimal(repository.visits_since(session, member.id, since))
    else:
        value = Decimal(repository.points_earned_since(session, member.id, since))
    target = tier_for(value, tiers.levels)
    target_name = target.name if target else None
    current, wanted = tier_rank(member.tier, tiers.levels), tier_rank(target_name, tiers.levels)
    if wanted >= current:
        member.tier_grace_until = None
        if wanted == current:
            session.add(member)
            return False
        return _set_tier(session, member, target_name, now, upgrade=True)
    if not allow_downgrade or tiers.downgrade is Downgrade.none:
        return False
    if tiers.downgrade is Downgrade.grace:
        assert tiers.grace_days is not None
        if member.tier_grace_until is None:
            member.tier_grace_until = now + timedelta(days=tiers.grace_days)
            session.add(member)
            return False
        if now < member.tier_grace_until:
            return False
    member.tier_grace_until = None
    return _set_tier(session, member, target_name, now, upgrade=False)


def discount_percent(member: Member, rules: ProgramRules) -> int:
    for level in rules.tiers.levels:
        if level.name == member.tier:
            return level.discount_percent
    return 0


def list_transactions(
    session: Session, merchant_id: UUID, member_id: UUID, *, limit: int, offset: int
) -> TransactionPage:
    """Raises: MemberNotFound (also for another merchant's member)."""
    if member_repository.get(session, merchant_id, member_id) is None:
        raise MemberNotFound()
    rows, total = repository.list_transactions(
        session, merchant_id, member_id, limit=limit, offset=offset
    )
    return TransactionPage(
        items=[TransactionPublic.of(row) for row in rows], total=total, limit=limit, offset=offset
    )


def day_start(now: datetime, rules: ProgramRules) -> datetime:
    """Midnight of ``now``'s day in the program's time zone (daily caps and birthdays)."""
    local = now.astimezone(rules.zone)
    return datetime.combine(local.date(), time(0), tzinfo=rules.zone).astimezone(now.tzinfo)


def _earnings(
    session: Session, book: Book, program: Program, transaction: Transaction,
    request: PurchaseRequest,
) -> Earned:  # fmt: skip
    """What the purchase earns (nothing is written yet); fills the transaction's amounts."""
    rules, member = book.rules, book.member
    if request.currency != rules.currency:
        raise CurrencyMismatch(f"the program counts {rules.currency}, not {request.currency}")
    transaction.amount, transaction.currency = request.amount, request.currency
    if program.kind == ProgramKind.stamps:
        stamped = 0
        if rules.stamps.max_stamps_per_day is not None:
            since = day_start(book.now, rules)
            stamped = repository.earned_since(session, member.id, Currency.stamps, since)
        earned = stamps_for_purchase(request.amount, rules.stamps, stamped_today=stamped)
        transaction.stamps_earned = earned.amount
        return earned
    multiplier = next(
        (t.earn_multiplier for t in rules.tiers.levels if t.name == member.tier), Decimal(1)
    )
    today = 0
    if rules.earn.max_points_per_day is not None:
        since = day_start(book.now, rules)
        today = repository.earned_since(session, member.id, Currency.points, since)
    earned = points_for_purchase(
        request.amount, rules.earn, multiplier=multiplier, earned_today=today
    )
    transaction.points_earned = earned.amount
    return earned


def _post_purchase(
    session: Session, book: Book, program: Program, transaction: Transaction, earned: Earned
) -> list[str]:
    member = book.member
    if program.kind == ProgramKind.stamps:
        book.credit_stamps(earned.amount, EntryKind.earn, earned.reason)
    else:
        book.credit_points(earned.amount, EntryKind.earn, earned.reason)
    notes = [earned.reason] if earned.reason else []
    _reward_referral(session, book, transaction)
    if evaluate_tier(session, member, book.rules, now=book.now, allow_downgrade=False):
        notes.append(f"tier is now {member.tier}")
    return notes


def _reward_referral(session: Session, book: Book, transaction: Transaction) -> None:
    member, rules = book.member, book.rules
    if member.referred_by_id is None or member.referral_rewarded_at is not None:
        return
    if repository.has_purchase(session, member.id, excluding=transaction.id):
        return
    member.referral_rewarded_at = book.now
    book.credit_points(rules.bonuses.referee_points, EntryKind.bonus, "referral: first purchase")
    referrer = repository.lock_member(session, member.merchant_id, member.referred_by_id)
    if referrer is not None and referrer.program_id == member.program_id:
        grant_bonus(
            session,
            referrer,
            rules,
            points=rules.bonuses.referrer_points,
            reason=f"referral: {member.name} made a first purchase",
            actor=book.actor,
            now=book.now,
        )


def _set_tier(
    session: Session, member: Member, tier: str | None, now: datetime, *, upgrade: bool
) -> bool:
    logger.info("tier changed", extra={"member_id": str(member.id), "tier": tier})
    member.tier, member.tier_since = tier, now
    session.add(member)
    automation_service.on_tier_change(session, member, new_tier=tier, upgrade=upgrade, now=now)
    return True


def _program(session: Session, member: Member) -> Program:
    program = program_repository.get(session, member.merchant_id, member.program_id)
    if program is None:
        raise MemberNotFound()
    return program


def _require_stamps(program: Program) -> None:
    if program.kind != ProgramKind.stamps:
        raise WrongMechanic("this is a points program; it has no stamps")


def _replay_purchase(
    session: Session, existing: Transaction, member: Member, rules: ProgramRules, request: Request
) -> TransactionResult:
    same = (
        isinstance(request, PurchaseRequest)
        and existing.kind == TransactionKind.purchase
        and existing.member_id == member.id
        and existing.amount == request.amount
        and existing.currency == request.currency
    )
    if not same:
        raise ReceiptAlreadyUsed(f"receipt {existing.receipt_id!r} belongs to another purchase")
    return _stored_result(session, existing, member, rules)


def _stored_result(
    session: Session, transaction: Transaction, member: Member, rules: ProgramRules
) -> TransactionResult:
    entries = list(repository.entries_of(session, transaction.id))
    return _result(transaction, entries, member, rules, ["already recorded"], None)


def _result(
    transaction: Transaction, entries: list[LedgerEntry], member: Member, rules: ProgramRules,
    notes: list[str], coupon: Coupon | None,
) -> TransactionResult:  # fmt: skip
    return TransactionResult(
        transaction=TransactionPublic.of(transaction),
        entries=[EntryPublic.of(e) for e in entries if e.member_id == member.id],
        balance=member.points,
        stamps=member.stamps,
        tier=member.tier,
        discount_percent=discount_percent(member, rules),
        coupon=CouponPublic(
            code=coupon.code,
            reward_id=coupon.reward_id,
            valid_until=coupon.valid_until,
            used_at=coupon.used_at,
        )
        if coupon
        else None,
        notes=notes,
    )
