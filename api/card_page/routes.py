"""The card page: the card as it looks in the wallet, its buttons, coupons and the wheel.
No API key; the URL's random token (192 bits) is the credential."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.card_page import service as card_page_service
from api.cards.routes import Token
from api.clock import utcnow
from api.deps import DesignsDep, SessionDep, SettingsDep
from api.pages.render import PageDep
from api.wheel import service as wheel_service

router = APIRouter(prefix="/cards", tags=["cards"])


@router.get("/{token}", response_class=HTMLResponse)
def card_page(
    token: Token,
    request: Request,
    html: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    designs: DesignsDep,
    welcome: Annotated[Literal["new", "back"] | None, Query()] = None,
    spun: Annotated[UUID | None, Query()] = None,
) -> HTMLResponse:
    """The card as it looks in the wallet, the balance, the "Add to Apple Wallet" and "Add to
    Google Wallet" buttons (the visitor's platform first), the referral link and coupons."""
    page = card_page_service.find_card_page(
        session, token, public_url=settings.public_url, now=utcnow()
    )
    if page is None:
        return html.not_found()
    view = page.view
    return html.render(
        "card.html",
        member=view.member,
        card=view.card,
        program=view.program,
        design=designs[view.program.design],
        page=page,
        welcome=welcome,
        wallets=card_page_service.wallet_order(request.headers.get("user-agent", "")),
        pass_url=f"{settings.public_url}/cards/{token}/apple.pkpass",
        google_url=f"{settings.public_url}/cards/{token}/google"
        if settings.google_enabled
        else None,
        wheel=wheel_service.state_for(session, view, spin_id=spun),
    )
