"""Google Wallet routes: the "Add to Google Wallet" link behind a card's public URL, and the
save/delete callbacks Google sends to the issuer."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import RedirectResponse

from api.cards.routes import Token
from api.clock import utcnow
from api.deps import GoogleSyncDep, GoogleWalletDep, SessionDep
from api.errors import ServiceUnavailable
from api.google_wallet import service as google_service
from api.google_wallet.errors import BadCallback, GoogleUnreachable, GoogleWalletOff
from api.google_wallet.sync import GoogleSync
from api.google_wallet.wallet import GoogleWallet
from passes import CallbackRejected, GoogleWalletError, verify_callback

logger = logging.getLogger(__name__)
router = APIRouter(tags=["google wallet"])


async def get_google(wallet: GoogleWalletDep) -> GoogleWallet:
    if wallet is None:
        raise GoogleWalletOff()
    return wallet


async def get_google_sync(wallet: Annotated[GoogleWallet, Depends(get_google)],
                    sync: GoogleSyncDep) -> GoogleSync:  # fmt: skip
    assert sync is not None  # built whenever the wallet is
    return sync


GoogleDep = Annotated[GoogleWallet, Depends(get_google)]
SyncDep = Annotated[GoogleSync, Depends(get_google_sync)]


@router.get("/cards/{token}/google", response_class=RedirectResponse, status_code=303)
def add_to_google_wallet(token: Token, sync: SyncDep) -> RedirectResponse:
    """Redirect to Google's save page for this card. The link is signed now, never stored;
    the card's object is created on Google first if the sync has not done it yet. No request
    transaction: the sync writes in its own."""
    try:
        url = sync.save_url(token)
    except GoogleWalletError as exc:
        raise GoogleUnreachable(str(exc), retry_after=30) from None
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


@router.post("/google/v1/callbacks", status_code=200)
def google_callback(
    wallet: GoogleDep, session: SessionDep, body: Annotated[dict[str, Any], Body()]
) -> dict[str, str]:
    """Google's save and delete callbacks (ECv2SigningOnly), verified before anything changes.
    A repeated nonce is acknowledged and ignored."""
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
    if not google_service.record_callback(session, event, now=now):
        return {"status": "duplicate"}
    logger.info(
        "google wallet callback",
        extra={"object_id": event.object_id, "event_type": event.event_type},
    )
    return {"status": "ok"}
