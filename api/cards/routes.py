"""Public card routes: the card page and the Apple pass download. No API key; the URL's
random token (192 bits) is the credential, so unknown and malformed tokens look the same."""

from __future__ import annotations

from email.utils import format_datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.cards import page as card_page_service
from api.cards import service as card_service
from api.clock import utcnow
from api.deps import AppleWalletDep, SessionDep, SettingsDep
from api.errors import NotFound
from api.pages.render import not_found_page, render_page
from api.wheel import drawing as wheel_drawing
from api.wheel import service as wheel_service
from passes import PKPASS_MEDIA_TYPE

router = APIRouter(prefix="/cards", tags=["cards"])


class ImageNotFound(NotFound):
    code, title = "image_not_found", "No such image"


Token = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{16,64}$", description="The card's token")]


@router.get("/{token}", response_class=HTMLResponse)
def card_page(
    token: Token,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    welcome: Annotated[Literal["new", "back"] | None, Query()] = None,
    spun: Annotated[UUID | None, Query()] = None,
) -> HTMLResponse:
    """The card as it looks in the wallet, the balance, the "Add to Apple Wallet" and "Add to
    Google Wallet" buttons (the visitor's platform first), the referral link and coupons."""
    page = card_page_service.find_card_page(
        session, token, public_url=settings.public_url, now=utcnow()
    )
    if page is None:
        return not_found_page(request)
    view = page.view
    return render_page(
        request,
        "card.html",
        member=view.member,
        card=view.card,
        program=view.program,
        design=request.app.state.designs[view.program.design],
        page=page,
        welcome=welcome,
        wallets=card_page_service.wallet_order(request.headers.get("user-agent", "")),
        pass_url=f"{settings.public_url}/cards/{token}/apple.pkpass",
        google_url=f"{settings.public_url}/cards/{token}/google"
        if settings.google_enabled
        else None,
        wheel=wheel_service.state_for(session, view, spin_id=spun),
        wheel_segments=wheel_drawing.segments,
    )


@router.get(
    "/{token}/apple.pkpass",
    response_class=Response,
    responses={200: {"content": {PKPASS_MEDIA_TYPE: {}}, "description": "A signed pass"}},
)
def download_apple_pass(token: Token, session: SessionDep, wallet: AppleWalletDep) -> Response:
    """The signed Apple Wallet pass for this card."""
    signed = card_service.render_apple_pass(session, token, wallet=wallet)
    return Response(
        signed.data,
        media_type=PKPASS_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{signed.serial_number}.pkpass"',
            "Last-Modified": format_datetime(signed.last_modified, usegmt=True),
            "Cache-Control": "no-cache",
        },
    )


designs = APIRouter(prefix="/designs", tags=["cards"])


@designs.get(
    "/{name}/{image}",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "A design's image"}},
)
def design_image(
    name: Annotated[str, Path(pattern=r"^[a-z0-9_-]{1,64}$")],
    image: Annotated[str, Path(pattern=r"^[a-z0-9_@-]{1,64}\.png$")],
    request: Request,
) -> Response:
    """A card design's image, public: Google Wallet fetches logos and hero images from here."""
    design = request.app.state.designs.get(name)
    if design is None or image not in design.images:
        raise ImageNotFound()
    return Response(
        design.images[image],
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=86400"},
    )
