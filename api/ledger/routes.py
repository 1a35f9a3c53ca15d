"""HTTP routes for POS transactions and refunds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import Session

from api.clock import utcnow
from api.deps import CallerDep, SessionDep
from api.idempotency import service as idempotency_service
from api.ledger import service as ledger_service
from api.ledger.postings import Actor
from api.ledger.schemas import (
    TRANSACTION_EXAMPLES,
    RefundRequest,
    TransactionPage,
    TransactionRequest,
    TransactionResult,
)
from api.merchants.models import Role
from api.merchants.service import Caller

router = APIRouter(prefix="/api/v1", tags=["transactions"])
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Send the same key when retrying: the write happens once and the "
        "original response is returned",
    ),
]
_RESPONSES: dict[int | str, dict[str, object]] = {
    201: {"model": TransactionResult, "description": "Recorded"},
    200: {"model": TransactionResult, "description": "Already recorded (a retry)"},
}


def _actor(caller: Caller) -> Actor:
    return Actor(caller.label, caller.key_id)


def _once(
    request: Request, session: Session, caller: Caller, key: str | None, body: BaseModel,
    write: Callable[[], ledger_service.Outcome],
) -> JSONResponse:  # fmt: skip
    """Run a ledger write under its Idempotency-Key; 201 when new, 200 for a retried receipt."""
    fingerprint = idempotency_service.fingerprint("POST", request.url.path, body)

    def action() -> tuple[int, TransactionResult]:
        outcome = write()
        return (201 if outcome.is_new else 200), outcome.result

    return idempotency_service.run(session, caller.merchant_id, key, fingerprint, action)


@router.post(
    "/members/{member_id}/transactions", status_code=201, responses=_RESPONSES,
    response_model=TransactionResult,
)  # fmt: skip
def create_transaction(
    member_id: UUID,
    body: Annotated[TransactionRequest, Body(openapi_examples=TRANSACTION_EXAMPLES)],
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Record a purchase (the engine computes points, stamps, tier and referral rewards), a
    direct earn, redeem or adjustment, or a reward redemption.

    A purchase's `receipt_id` is unique per merchant: retrying the same receipt returns the
    original result (200) instead of crediting twice.
    """
    caller.require(Role.pos)
    return _once(
        request, session, caller, idempotency_key, body,
        lambda: ledger_service.record(
            session, caller.merchant_id, member_id, body, actor=_actor(caller), now=utcnow()
        ),
    )  # fmt: skip


@router.post(
    "/transactions/{transaction_id}/refund", status_code=201, responses=_RESPONSES,
    response_model=TransactionResult,
)  # fmt: skip
def refund_transaction(
    transaction_id: UUID,
    body: RefundRequest,
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Refund a purchase in full (no `amount`) or in part; its points are reversed pro rata."""
    caller.require(Role.pos)
    return _once(
        request, session, caller, idempotency_key, body,
        lambda: ledger_service.refund(
            session, caller.merchant_id, transaction_id, body, actor=_actor(caller), now=utcnow()
        ),
    )  # fmt: skip


@router.get("/members/{member_id}/transactions")
def list_transactions(
    member_id: UUID,
    session: SessionDep,
    caller: CallerDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> TransactionPage:
    """The member's transactions, newest first."""
    caller.require(Role.pos, Role.read)
    return ledger_service.list_transactions(
        session, caller.merchant_id, member_id, limit=limit, offset=offset
    )
