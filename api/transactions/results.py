"""The response of a POS write: the transaction, its entries and the card afterwards."""

from __future__ import annotations

from sqlmodel import Session

from api.ledger import repository as ledger_repository
from api.ledger import service as ledger_service
from api.ledger.models import LedgerEntry, Transaction, TransactionKind
from api.members.models import Member
from api.programs.rules import ProgramRules
from api.promos import service as promo_service
from api.rewards.models import Coupon
from api.transactions.errors import ReceiptAlreadyUsed
from api.transactions.schemas import (
    CouponPublic,
    EntryPublic,
    PosRequest,
    PurchaseRequest,
    TransactionPublic,
    TransactionResult,
)


def replay_purchase(
    session: Session,
    existing: Transaction,
    member: Member,
    rules: ProgramRules,
    request: PosRequest,
) -> TransactionResult:
    """The stored result of a retried purchase (its receipt was recorded already).

    Raises:
        ReceiptAlreadyUsed: the receipt belongs to a different purchase.
    """
    same = (
        isinstance(request, PurchaseRequest)
        and existing.kind == TransactionKind.purchase
        and existing.member_id == member.id
        and existing.amount == request.amount
        and existing.currency == request.currency
    )
    if not same:
        raise ReceiptAlreadyUsed(f"receipt {existing.receipt_id!r} belongs to another purchase")
    return stored_result(session, existing, member, rules)


def stored_result(
    session: Session, transaction: Transaction, member: Member, rules: ProgramRules
) -> TransactionResult:
    entries = list(ledger_repository.entries_of(session, transaction.id))
    answer = result(transaction, entries, member, rules, ["already recorded"], None)
    answer.promo_discount_percent = promo_service.discount_taken_by(session, transaction.id)
    return answer


def result(
    transaction: Transaction, entries: list[LedgerEntry], member: Member, rules: ProgramRules,
    notes: list[str], coupon: Coupon | None,
) -> TransactionResult:  # fmt: skip
    own = [e for e in entries if e.member_id == member.id]
    return TransactionResult(
        transaction=TransactionPublic.of(transaction, own),
        entries=[EntryPublic.of(e) for e in own],
        balance=member.points,
        stamps=member.stamps,
        tier=member.tier,
        discount_percent=ledger_service.discount_percent(member, rules),
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
