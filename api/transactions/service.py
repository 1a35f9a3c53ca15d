"""Purchases, direct changes and refunds: the POS writes to a member's account.

Every function here runs inside the request's transaction with the member's row locked, writes
append-only entries through the ledger's :class:`Book`, runs what follows from the change
(rewards, referral bonuses, the tier and its automation, the card's stores) and marks the card
changed once (version + outbox) in the same transaction, so the wallets can never miss a
committed change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlmodel import Session

from api.db import insert_unless_conflict
from api.ledger import repository as ledger_repository
from api.ledger.engine import reversal_points
from api.ledger.models import Currency, EntryKind, LedgerEntry, Transaction, TransactionKind
from api.ledger.postings import Actor, Book
from api.members import repository as member_repository
from api.members.errors import MemberNotFound
from api.members.models import Member
from api.merchants.models import Role
from api.merchants.service import Caller
from api.outbox import service as outbox_service
from api.paging import Page, PageRequest
from api.programs import repository as program_repository
from api.programs.models import Program, ProgramKind
from api.programs.rules import rules_of
from api.promos import service as promo_service
from api.rewards import service as reward_service
from api.rewards.models import Coupon
from api.stores import repository as store_repository
from api.stores import selection as store_selection
from api.stores.errors import StoreNotFound
from api.transactions import purchase
from api.transactions.errors import (
    AdjustmentNeedsAdmin,
    AlreadyRefunded,
    NotRefundable,
    ReceiptAlreadyUsed,
    RefundExceedsRemaining,
    TransactionNotFound,
    WrongMechanic,
)
from api.transactions.results import replay_purchase, result, stored_result
from api.transactions.schemas import (
    AdjustRequest,
    EarnRequest,
    MovementPublic,
    PosRequest,
    PurchaseRequest,
    RedeemRequest,
    RefundRequest,
    TransactionPage,
    TransactionPublic,
    TransactionResult,
)
from api.transactions.surprise import Draw, system_draw
from api.webhooks import service as webhook_service


@dataclass(frozen=True, slots=True)
class Outcome:
    result: TransactionResult
    is_new: bool


def require_role_for(request: PosRequest, caller: Caller) -> None:
    """Raises AdjustmentNeedsAdmin: an ``adjust`` from a key that is not an admin key (a
    till's ``pos`` key earns, redeems and refunds, but may not make points up)."""
    if isinstance(request, AdjustRequest) and caller.role is not Role.admin:
        raise AdjustmentNeedsAdmin("adjustments need an admin key; a till's key may not make them")


def record(
    session: Session, merchant_id: UUID, member_id: UUID, request: PosRequest, *, actor: Actor,
    now: datetime, draw: Draw = system_draw,
) -> Outcome:  # fmt: skip
    """Apply one POS request to a member's account.

    Raises:
        MemberNotFound, StoreNotFound, CurrencyMismatch, WrongMechanic, ReceiptAlreadyUsed,
        InsufficientBalance, InsufficientStamps, and the reward errors.
    """
    found = ledger_repository.lock_member_with_program(session, merchant_id, member_id)
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
        earned = purchase.earnings(session, book, program, transaction, request)
    if not insert_unless_conflict(session, transaction):
        existing = ledger_repository.find_receipt(session, merchant_id, receipt_id or "")
        if existing is None:
            raise ReceiptAlreadyUsed("the receipt was used at the same moment by another request")
        return Outcome(replay_purchase(session, existing, member, rules, request), False)
    notes: list[str] = []
    message: str | None = None  # what a tier automation put on the card
    coupon: Coupon | None = None
    if isinstance(request, PurchaseRequest):
        assert earned is not None
        notes, message = purchase.post(session, book, program, transaction, earned, draw=draw)
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
        card_stores = store_repository.get_card_store_ids(session, member.id)
        if card_stores is None or str(actor.location_id) not in card_stores:
            store_selection.refresh_member(session, member)
    # One version and one outbox row for everything this request changed on the card.
    outbox_service.mark_card_changed(
        session, member.id, kind=request.kind, now=now, message=message
    )
    webhook_service.enqueue(session, merchant_id, "transaction.created", transaction.model_dump())
    session.flush()
    answer = result(transaction, book.entries, member, rules, notes, coupon)
    if isinstance(request, PurchaseRequest):  # the discount a promo code granted, taken once
        answer.promo_discount_percent = promo_service.take_discount(
            session, member, transaction.id, now=now
        )
    return Outcome(answer, True)


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
    original = ledger_repository.get_transaction(session, merchant_id, transaction_id)
    if original is None:
        raise TransactionNotFound()
    if original.kind != TransactionKind.purchase or original.amount is None:
        raise NotRefundable(f"this is a {original.kind} transaction")
    member = ledger_repository.lock_member(session, merchant_id, original.member_id)
    if member is None:
        raise MemberNotFound()
    session.refresh(original)  # another refund may have committed while we waited for the lock
    rules = rules_of(_program(session, member))
    remaining = original.amount - original.refunded_amount
    if request.receipt_id is not None:
        existing = ledger_repository.find_receipt(session, merchant_id, request.receipt_id)
        if existing is not None:
            if existing.refund_of_id == original.id and (
                request.amount is None or existing.amount == request.amount
            ):
                return Outcome(stored_result(session, existing, member, rules), False)
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
        first = list(ledger_repository.lots_of_transaction(session, original.id))
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
    webhook_service.enqueue(session, merchant_id, "transaction.refunded", transaction.model_dump())
    session.flush()
    return Outcome(result(transaction, book.entries, member, rules, notes, None), True)


def list_transactions(
    session: Session, merchant_id: UUID, member_id: UUID, *, limit: int, offset: int
) -> TransactionPage:
    """Raises: MemberNotFound (also for another merchant's member)."""
    if member_repository.get(session, merchant_id, member_id) is None:
        raise MemberNotFound()
    rows, total = ledger_repository.list_transactions(
        session, merchant_id, member_id, limit=limit, offset=offset
    )
    entries: dict[UUID, list[LedgerEntry]] = {}
    for entry in ledger_repository.entries_of_transactions(
        session, member_id, [row.id for row in rows]
    ):
        entries.setdefault(entry.transaction_id or member_id, []).append(entry)
    items = [TransactionPublic.of(row, entries.get(row.id, [])) for row in rows]
    return TransactionPage(items=items, total=total, limit=limit, offset=offset)


def page_movements(
    session: Session, merchant_id: UUID, member_id: UUID, page: PageRequest
) -> Page[MovementPublic]:
    """Every movement of the member's points and stamps, newest first, each with the balance
    after it (the sum of all movements is the balance).

    Raises: MemberNotFound (also for another merchant's member).
    """
    if member_repository.get(session, merchant_id, member_id) is None:
        raise MemberNotFound()
    rows, total = ledger_repository.page_movements(
        session, merchant_id, member_id, limit=page.limit, offset=page.offset
    )
    return Page.of([MovementPublic.of(entry, tx) for entry, tx in rows], total, page)


def _program(session: Session, member: Member) -> Program:
    program = program_repository.get(session, member.merchant_id, member.program_id)
    if program is None:
        raise MemberNotFound()
    return program


def _require_stamps(program: Program) -> None:
    if program.kind != ProgramKind.stamps:
        raise WrongMechanic("this is a points program; it has no stamps")
