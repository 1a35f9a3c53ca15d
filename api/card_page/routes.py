"""The card page: the card as it looks in the wallet, its buttons, coupons, the wheel and the
feedback form. No API key; the URL's random token (192 bits) is the credential."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.actions import feedback as feedback_service
from api.actions.errors import FeedbackNotAllowed
from api.card_page import service as card_page_service
from api.cards import service as card_service
from api.cards.routes import Token
from api.clock import utcnow
from api.deps import DesignsDep, SessionDep, SettingsDep
from api.pages.render import FormFields, PageDep
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
    feedback: Annotated[Literal["thanks", "taken", "invalid"] | None, Query()] = None,
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
        feedback_banner=feedback,
        push_public_key=request.app.state.vapid_keys.public_key,
    )


@router.post("/{token}/feedback", response_class=RedirectResponse, status_code=303)
def leave_feedback(token: Token, session: SessionDep, fields: FormFields) -> RedirectResponse:
    """The feedback form (stars and a comment) on the card's latest purchase: stored once per
    purchase, earning the program's feedback points once; back to the card page."""
    view = card_service.get_card(session, token)
    back = f"/cards/{token}?feedback={{}}#feedback"
    rating, purchase = fields.get("rating", ""), fields.get("transaction_id", "")
    if rating not in {"1", "2", "3", "4", "5"} or not _is_uuid(purchase):
        return RedirectResponse(back.format("invalid"), status_code=303)
    comment = fields.get("comment", "").strip()[:500]
    try:
        feedback_service.submit(
            session, view.member, UUID(purchase), rating=int(rating), comment=comment,
            now=utcnow(),
        )  # fmt: skip
    except FeedbackNotAllowed:
        return RedirectResponse(back.format("taken"), status_code=303)
    return RedirectResponse(back.format("thanks"), status_code=303)


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True
