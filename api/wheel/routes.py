"""HTTP routes for the wheel: its configuration (API key) and a member's spin (card token)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from api.cards import service as card_service
from api.clock import utcnow
from api.deps import AdminCaller, ReaderCaller, SessionDep
from api.wheel import service as wheel_service
from api.wheel.errors import NoSpinLeft, WheelNotFound
from api.wheel.schemas import SpinResult, WheelConfig, WheelPublic

router = APIRouter(prefix="/api/v1", tags=["wheel"])
spins = APIRouter(prefix="/cards", tags=["cards"])
Token = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{16,64}$", description="The card's token")]


@router.put("/programs/{program_id}/wheel")
def configure_wheel(
    program_id: UUID, config: WheelConfig, session: SessionDep, caller: AdminCaller
) -> WheelPublic:
    """Set up (or change) the program's wheel of fortune: prizes with weights, the purchase
    that grants a spin, and caps on prizes per day and month. The odds are published."""
    wheel = wheel_service.configure(session, caller.merchant_id, program_id, config, now=utcnow())
    return wheel_service.public(wheel)


@router.get("/programs/{program_id}/wheel")
def get_wheel(program_id: UUID, session: SessionDep, caller: ReaderCaller) -> WheelPublic:
    return wheel_service.public(wheel_service.get_wheel(session, caller.merchant_id, program_id))


@spins.post(
    "/{token}/wheel",
    response_model=SpinResult,
    responses={303: {"description": "Without JavaScript: back to the card page"}},
)
def spin(token: Token, request: Request, session: SessionDep) -> Response:
    """Spend one spin. With `Accept: application/json` the result (the page animates the
    segment the server drew); otherwise a redirect to the card page, which shows it."""
    view = card_service.get_card(session, token)
    if "application/json" in request.headers.get("accept", ""):
        result = wheel_service.spin(session, view, now=utcnow())
        return JSONResponse(result.model_dump(mode="json"))
    try:
        result = wheel_service.spin(session, view, now=utcnow())
    except (NoSpinLeft, WheelNotFound):
        return RedirectResponse(f"/cards/{token}#wheel", status_code=303)  # the page says why
    return RedirectResponse(f"/cards/{token}?spun={result.spin_id}#wheel", status_code=303)
