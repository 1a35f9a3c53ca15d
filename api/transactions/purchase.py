"""What a purchase earns and what follows from it: the referral bonuses of a first purchase,
the tier, and the tier's automation."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from api.automations import purchase as purchase_messages
from api.automations import service as automation_service
from api.ledger import repository as ledger_repository
from api.ledger import service as ledger_service
from api.ledger.engine import (
    Earned,
    birthday_multiplier,
    points_for_purchase,
    stamps_for_purchase,
)
from api.ledger.models import Currency, EntryKind, Transaction
from api.ledger.postings import Book
from api.metrics import instruments
from api.programs.models import Program, ProgramKind
from api.transactions import surprise
from api.transactions.errors import CurrencyMismatch
from api.transactions.schemas import PurchaseRequest
from api.transactions.surprise import Draw, system_draw


def earnings(
    session: Session, book: Book, program: Program, transaction: Transaction,
    request: PurchaseRequest,
) -> Earned:  # fmt: skip
    """What the purchase earns (nothing is written yet); fills the transaction's amounts.

    Raises:
        CurrencyMismatch: the purchase is in another currency than the program's.
    """
    rules, member = book.rules, book.member
    if request.currency != rules.currency:
        raise CurrencyMismatch(f"the program counts {rules.currency}, not {request.currency}")
    transaction.amount, transaction.currency = request.amount, request.currency
    if program.kind == ProgramKind.stamps:
        stamped = 0
        if rules.stamps.max_stamps_per_day is not None:
            since = ledger_service.day_start(book.now, rules)
            stamped = ledger_repository.earned_since(session, member.id, Currency.stamps, since)
        earned = stamps_for_purchase(request.amount, rules.stamps, stamped_today=stamped)
        transaction.stamps_earned = earned.amount
        return earned
    multiplier = next(
        (t.earn_multiplier for t in rules.tiers.levels if t.name == member.tier), Decimal(1)
    )
    today = 0
    if rules.earn.max_points_per_day is not None:
        since = ledger_service.day_start(book.now, rules)
        today = ledger_repository.earned_since(session, member.id, Currency.points, since)
    local_day = book.now.astimezone(rules.zone).date()
    birthday = birthday_multiplier(rules.bonuses, member.birthday, local_day)
    earned = points_for_purchase(
        request.amount, rules.earn, multiplier=multiplier * birthday, earned_today=today
    )
    if birthday != 1 and earned.amount > 0:
        why = f"birthday week x{format(birthday.normalize(), 'f')}"
        earned = Earned(earned.amount, f"{why}; {earned.reason}" if earned.reason else why)
    transaction.points_earned = earned.amount
    return earned


def post(
    session: Session, book: Book, program: Program, transaction: Transaction, earned: Earned,
    *, draw: Draw = system_draw,
) -> tuple[list[str], str | None]:  # fmt: skip
    """Credit what the purchase earned, maybe a surprise (``draw`` is the random source),
    reward a first purchase's referral, move the tier.

    Returns the response's notes and the message a tier automation put on the card (which
    the card's one change for this purchase carries to the wallets).
    """
    member = book.member
    instruments.count_on_commit(session, instruments.PURCHASES)
    if program.kind == ProgramKind.stamps:
        book.credit_stamps(earned.amount, EntryKind.earn, earned.reason)
    else:
        book.credit_points(earned.amount, EntryKind.earn, earned.reason)
    notes = [earned.reason] if earned.reason else []
    if earned.amount > 0:
        purchase_messages.on_purchase(session, member, points=earned.amount, now=book.now)
    amount = transaction.amount
    is_points = program.kind != ProgramKind.stamps and amount is not None
    if is_points and surprise.maybe_grant(session, book, program, amount or Decimal(0), draw):
        notes.append(f"surprise: {book.rules.bonuses.surprise.points} points")
    _reward_referral(session, book, transaction)
    change = ledger_service.evaluate_tier(
        session, member, book.rules, now=book.now, allow_downgrade=False
    )
    if change is None:
        return notes, None
    notes.append(f"tier is now {member.tier}")
    message = automation_service.on_tier_change(
        session, member, new_tier=change.tier, upgrade=change.upgrade, now=book.now
    )
    return notes, message


def _reward_referral(session: Session, book: Book, transaction: Transaction) -> None:
    member, rules = book.member, book.rules
    if member.referred_by_id is None or member.referral_rewarded_at is not None:
        return
    if ledger_repository.has_purchase(session, member.id, excluding=transaction.id):
        return
    member.referral_rewarded_at = book.now
    book.credit_points(rules.bonuses.referee_points, EntryKind.bonus, "referral: first purchase")
    referrer = ledger_repository.lock_member(session, member.merchant_id, member.referred_by_id)
    if referrer is not None and referrer.program_id == member.program_id:
        ledger_service.grant_bonus(
            session,
            referrer,
            rules,
            points=rules.bonuses.referrer_points,
            reason=f"referral: {member.name} made a first purchase",
            actor=book.actor,
            now=book.now,
        )
