"""HTTP routes for POS transactions and refunds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Header, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import Session

from api.audit import service as audit
from api.clock import utcnow
from api.deps import PosWork, ReaderCaller, SessionDep
from api.idempotency import service as idempotency_service
from api.ledger.postings import Actor
from api.members import service as member_service
from api.merchants.service import Caller
from api.paging import Page, Paging
from api.transactions import service as transaction_service
from api.transactions.schemas import (
    TRANSACTION_EXAMPLES,
    AdjustRequest,
    MovementPublic,
    RefundRequest,
    TransactionPage,
    TransactionRequest,
    TransactionResult,
)
from api.transactions.surprise import Draw, DrawDep

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
    session: Session, caller: Caller, path: str, key: str | None, body: BaseModel,
    write: Callable[[], transaction_service.Outcome],
) -> JSONResponse:  # fmt: skip
    """Run a write under its Idempotency-Key; 201 when new, 200 for a retried receipt."""
    fingerprint = idempotency_service.fingerprint("POST", path, body)
    claimed = idempotency_service.claim(session, caller.merchant_id, key, fingerprint)
    if isinstance(claimed, idempotency_service.Reply):
        headers = {idempotency_service.REPLAY_HEADER: "true"}
        return JSONResponse(claimed.body, claimed.status_code, headers=headers)
    outcome = write()
    reply = idempotency_service.save(
        session, claimed, 201 if outcome.is_new else 200, outcome.result
    )
    return JSONResponse(reply.body, reply.status_code)


def _record(
    session: Session, caller: Caller, member_id: UUID, body: TransactionRequest, path: str,
    draw: Draw, key: str | None,
) -> JSONResponse:  # fmt: skip
    transaction_service.require_role_for(body, caller)
    if isinstance(body, AdjustRequest):
        audit.record(session, caller, "member.adjusted", "member", member_id, None, body)
    return _once(
        session, caller, path, key, body,
        lambda: transaction_service.record(
            session, caller.merchant_id, member_id, body, actor=_actor(caller), now=utcnow(),
            draw=draw,
        ),
    )  # fmt: skip


# The writes below are ``async`` and hand their whole transaction to one worker thread
# (``PosWork``): the till's requests are the rush-hour path.
@router.post(
    "/members/{member_id}/transactions", status_code=201, responses=_RESPONSES,
    response_model=TransactionResult,
)  # fmt: skip
async def create_transaction(
    member_id: UUID,
    body: Annotated[TransactionRequest, Body(openapi_examples=TRANSACTION_EXAMPLES)],
    request: Request,
    work: PosWork,
    draw: DrawDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Record a purchase (the engine computes points, stamps, tier and referral rewards), a
    direct earn, redeem or adjustment, or a reward redemption.

    A purchase's `receipt_id` is unique per merchant: retrying the same receipt returns the
    original result (200) instead of crediting twice. An `adjust` needs an admin key and a
    reason (403 `adjustment_needs_admin` for a till's `pos` key); it is recorded with both.
    """
    path = request.url.path
    return await work.run(
        lambda session, caller: _record(
            session, caller, member_id, body, path, draw, idempotency_key
        )
    )


@router.post(
    "/programs/{program_id}/members/by-external-id/{external_id}/transactions",
    status_code=201, responses=_RESPONSES, response_model=TransactionResult,
)  # fmt: skip
async def create_transaction_by_external_id(
    program_id: UUID,
    external_id: Annotated[str, Path(min_length=1, max_length=64)],
    body: Annotated[TransactionRequest, Body(openapi_examples=TRANSACTION_EXAMPLES)],
    request: Request,
    work: PosWork,
    draw: DrawDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """The same as ``POST /members/{member_id}/transactions`` for the member the merchant's
    own system knows by ``external_id``: a POS never needs our member ids."""
    path = request.url.path

    def write(session: Session, caller: Caller) -> JSONResponse:
        member, _ = member_service.get_by_external_id(
            session, caller.merchant_id, program_id, external_id
        )
        return _record(session, caller, member.id, body, path, draw, idempotency_key)

    return await work.run(write)


@router.post(
    "/transactions/{transaction_id}/refund", status_code=201, responses=_RESPONSES,
    response_model=TransactionResult,
)  # fmt: skip
async def refund_transaction(
    transaction_id: UUID,
    body: RefundRequest,
    request: Request,
    work: PosWork,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Refund a purchase in full (no `amount`) or in part; its points are reversed pro rata."""
    path = request.url.path

    def write(session: Session, caller: Caller) -> JSONResponse:
        def refund() -> transaction_service.Outcome:
            return transaction_service.refund(
                session, caller.merchant_id, transaction_id, body, actor=_actor(caller),
                now=utcnow(),
            )  # fmt: skip

        return _once(session, caller, path, idempotency_key, body, refund)

    return await work.run(write)


@router.get("/members/{member_id}/ledger")
def list_movements(
    member_id: UUID, session: SessionDep, caller: ReaderCaller, page: Paging
) -> Page[MovementPublic]:
    """Every movement of the member's points and stamps (purchase, bonus, redemption,
    adjustment, refund, expiry, wheel prize), newest first: signed, with the balance after
    it. The movements add up to the balance."""
    return transaction_service.page_movements(session, caller.merchant_id, member_id, page)


@router.get("/members/{member_id}/transactions")
def list_transactions(
    member_id: UUID,
    session: SessionDep,
    caller: ReaderCaller,
    page: Paging,
) -> TransactionPage:
    """The member's transactions, newest first."""
    return transaction_service.list_transactions(
        session, caller.merchant_id, member_id, limit=page.limit, offset=page.offset
    )
