"""Google Wallet routes: the "Add to Google Wallet" link behind a card's public URL, and the
save/delete callbacks Google sends to the issuer."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from api.cards import service as card_service
from api.cards.routes import Token
from api.clock import utcnow
from api.errors import ApiError, NotFound, ServiceUnavailable
from api.google_wallet import service as google_service
from api.google_wallet.models import GoogleObject
from api.google_wallet.sync import GoogleSync
from api.google_wallet.wallet import GoogleWallet
from passes import CallbackRejected, GoogleWalletError, verify_callback

logger = logging.getLogger(__name__)
router = APIRouter(tags=["google wallet"])


class GoogleWalletOff(NotFound):
    code, title = "google_wallet_off", "Google Wallet is not set up on this service"


class GoogleUnreachable(ServiceUnavailable):
    code, title = "google_unavailable", "Google Wallet is not answering; try again shortly"


class BadCallback(ApiError):
    status_code, code, title = 400, "callback_rejected", "The callback did not verify"


def get_google(request: Request) -> tuple[GoogleWallet, GoogleSync]:
    wallet: GoogleWallet | None = request.app.state.google_wallet
    if wallet is None:
        raise GoogleWalletOff()
    sync: GoogleSync = request.app.state.google_sync
    return wallet, sync


GoogleDep = Annotated[tuple[GoogleWallet, GoogleSync], Depends(get_google)]


@router.get("/cards/{token}/google", response_class=RedirectResponse, status_code=303)
def add_to_google_wallet(token: Token, request: Request, google: GoogleDep) -> RedirectResponse:
    """Redirect to Google's save page for this card. The link is signed now, never stored;
    the card's object is created on Google first if the sync has not done it yet."""
    wallet, sync = google
    engine = request.app.state.engine
    with Session(engine) as session:  # no request transaction: the sync writes on its own
        view = card_service.get_card(session, token)
        state = session.get(GoogleObject, view.card.id)
    if state is None or state.synced_version == 0:
        try:
            sync.sync_card(view.card.id, force=True)
        except GoogleWalletError as exc:
            raise GoogleUnreachable(str(exc), retry_after=30) from None
    url = wallet.save_url(card_id=view.card.id, program_id=view.program.id, now=utcnow())
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


@router.post("/google/v1/callbacks", status_code=200)
def google_callback(
    request: Request, google: GoogleDep, body: Annotated[dict[str, Any], Body()]
) -> dict[str, str]:
    """Google's save and delete callbacks (ECv2SigningOnly), verified before anything changes.
    A repeated nonce is acknowledged and ignored."""
    wallet, _ = google
    now = utcnow()
    now_ms = int(now.timestamp() * 1000)
    try:
        event = verify_callback(
            body,
            root_keys=wallet.keys.get(now_ms),
            issuer_id=wallet.issuer_id,
            now_ms=now_ms,
            sender_id=wallet.sender_id,
        )
    except CallbackRejected as exc:
        logger.warning("google callback rejected", extra={"reason": str(exc)})
        raise BadCallback(str(exc)) from None
    except OSError as exc:  # the keys could not be fetched: Google retries later
        logger.error("google callback keys unavailable", extra={"error": str(exc)})
        raise ServiceUnavailable("could not fetch Google's signing keys") from None
    if event.event_type not in ("save", "del"):
        raise BadCallback(f"unknown eventType {event.event_type!r}")
    with Session(request.app.state.engine) as session, session.begin():
        if not google_service.record_callback(session, event, now=now):
            return {"status": "duplicate"}
    logger.info(
        "google wallet callback",
        extra={"object_id": event.object_id, "event_type": event.event_type},
    )
    return {"status": "ok"}
