"""Queries of actions and feedback, always scoped by merchant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.actions.models import ActionEvent, ActionRule, Feedback
from api.ledger.models import Transaction, TransactionKind
from api.paging import PageRequest, fetch_page


def get_rule(
    session: Session, merchant_id: UUID, program_id: UUID, rule_id: UUID
) -> ActionRule | None:
    return session.exec(
        select(ActionRule).where(
            ActionRule.id == rule_id,
            ActionRule.program_id == program_id,
            ActionRule.merchant_id == merchant_id,
        )
    ).first()


def rule_for(session: Session, merchant_id: UUID, program_id: UUID, kind: str) -> ActionRule | None:
    return session.exec(
        select(ActionRule).where(
            ActionRule.program_id == program_id,
            ActionRule.merchant_id == merchant_id,
            ActionRule.kind == kind,
        )
    ).first()


def page_rules(
    session: Session, merchant_id: UUID, program_id: UUID, page: PageRequest
) -> tuple[Sequence[ActionRule], int]:
    query = select(ActionRule).where(
        ActionRule.merchant_id == merchant_id, ActionRule.program_id == program_id
    )
    return fetch_page(
        session, query, page, order_by=[col(ActionRule.created_at), col(ActionRule.id)]
    )


def find_event(session: Session, member_id: UUID, kind: str, reference: str) -> ActionEvent | None:
    return session.exec(
        select(ActionEvent).where(
            ActionEvent.member_id == member_id,
            ActionEvent.kind == kind,
            ActionEvent.reference == reference,
        )
    ).first()


def awarded_since(session: Session, member_id: UUID, kind: str, since: datetime | None) -> int:
    """How many actions of ``kind`` earned the member points since ``since`` (None: ever)."""
    query = select(func.count()).where(
        ActionEvent.member_id == member_id,
        ActionEvent.kind == kind,
        col(ActionEvent.transaction_id).is_not(None),
    )
    if since is not None:
        query = query.where(ActionEvent.created_at >= since)
    return int(session.exec(query).one())


def latest_purchase(session: Session, merchant_id: UUID, member_id: UUID) -> Transaction | None:
    return session.exec(
        select(Transaction)
        .where(
            Transaction.merchant_id == merchant_id,
            Transaction.member_id == member_id,
            Transaction.kind == TransactionKind.purchase,
        )
        .order_by(col(Transaction.created_at).desc(), col(Transaction.id).desc())
        .limit(1)
    ).first()


def purchase_of(
    session: Session, merchant_id: UUID, member_id: UUID, transaction_id: UUID
) -> Transaction | None:
    return session.exec(
        select(Transaction).where(
            Transaction.id == transaction_id,
            Transaction.merchant_id == merchant_id,
            Transaction.member_id == member_id,
            Transaction.kind == TransactionKind.purchase,
        )
    ).first()


def feedback_for(session: Session, transaction_id: UUID) -> Feedback | None:
    return session.exec(select(Feedback).where(Feedback.transaction_id == transaction_id)).first()


def page_feedback(
    session: Session, merchant_id: UUID, program_id: UUID, page: PageRequest
) -> tuple[Sequence[Feedback], int]:
    query = select(Feedback).where(
        Feedback.merchant_id == merchant_id, Feedback.program_id == program_id
    )
    return fetch_page(
        session, query, page, order_by=[col(Feedback.created_at).desc(), col(Feedback.id).desc()]
    )
