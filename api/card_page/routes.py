"""The card page: the card as it looks in the wallet, its buttons, coupons, the wheel and the
feedback form. No API key; the URL's random token (192 bits) is the credential."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from api.actions import feedback as feedback_service
from api.actions.errors import FeedbackNotAllowed
from api.card_page import pwa
from api.card_page import service as card_page_service
from api.card_page.errors import IconNotFound
from api.cards import service as card_service
from api.cards.routes import Token
from api.clock import utcnow
from api.deps import DesignsDep, PagesDep, SessionDep, SettingsDep
from api.pages.render import FormFields, PageDep, negotiate_locale
from api.wheel import service as wheel_service

router = APIRouter(prefix="/cards", tags=["cards"])

IMMUTABLE = "public, max-age=31536000, immutable"  # the URL changes when the bytes do
# The service worker's own policy (a worker's script answer sets the policy of its fetches):
# our origin only.
WORKER_CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'"


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
    design = designs[view.program.design]
    return html.render(
        "card.html",
        member=view.member,
        card=view.card,
        program=view.program,
        design=design,
        page=page,
        card_path=f"/cards/{token}",
        welcome=welcome,
        wallets=card_page_service.wallet_order(
            request.headers.get("user-agent", ""), has_google=settings.google_enabled
        ),
        pass_url=f"{settings.public_url}/cards/{token}/apple.pkpass",
        google_url=f"{settings.public_url}/cards/{token}/google"
        if settings.google_enabled
        else None,
        wheel=wheel_service.state_for(session, view, spin_id=spun),
        feedback_banner=feedback,
        push_public_key=request.app.state.vapid_keys.public_key,
    )


@router.get("/{token}/manifest.webmanifest", response_class=JSONResponse)
def card_manifest(
    token: Token, request: Request, session: SessionDep, designs: DesignsDep
) -> JSONResponse:
    """The card's Web App Manifest: the program's names, colours and icons, scoped to the
    card's own URL.

    Raises:
        CardNotFound: no card has this token.
    """
    view = card_service.get_card(session, token)
    manifest = pwa.build_manifest(
        designs[view.program.design], card_path=f"/cards/{token}", lang=negotiate_locale(request)
    )
    return JSONResponse(
        manifest, media_type=pwa.MANIFEST_MEDIA_TYPE, headers={"Cache-Control": "no-cache"}
    )


@router.get(
    "/{token}/icons/{digest}.png",
    response_class=Response,
    responses={200: {"content": {pwa.ICON_MEDIA_TYPE: {}}, "description": "A PNG icon"}},
)
def card_icon(
    token: Token,
    digest: Annotated[str, Path(pattern=r"^[0-9a-f]{24}$")],
    session: SessionDep,
    designs: DesignsDep,
) -> Response:
    """One icon of the card's web app, drawn from the program's design; its URL carries a
    digest of what it is drawn from, so it is cached for a year.

    Raises:
        CardNotFound: no card has this token.
        IconNotFound: the card's design has no icon of this digest (the design changed).
    """
    design = designs[card_service.get_card(session, token).program.design]
    spec = pwa.find_icon(design, digest)
    if spec is None:
        raise IconNotFound(digest)
    return Response(
        pwa.render_icon(design, spec),
        media_type=pwa.ICON_MEDIA_TYPE,
        headers={"Cache-Control": IMMUTABLE},
    )


@router.get("/{token}/sw.js", response_class=Response)
def card_service_worker(
    token: Token, session: SessionDep, designs: DesignsDep, templates: PagesDep
) -> Response:
    """The card's service worker: the card page network-first with the last copy offline, its
    images from the cache, and Web Push notifications. Its scope is the card's URL.

    Raises:
        CardNotFound: no card has this token.
    """
    view = card_service.get_card(session, token)
    design = designs[view.program.design]
    card_path = f"/cards/{token}"
    body = templates.get_template("card_sw.js").render(
        card_path=card_path,
        assets=[
            *(f"{card_path}/icons/{spec.file_name}" for spec in pwa.icon_specs(design)),
            *(
                f"/designs/{view.program.design}/{name}"
                for name in _PAGE_IMAGES
                if name in design.images
            ),
        ],
    )
    return Response(
        body,
        media_type="text/javascript",
        headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": WORKER_CSP,
            # The worker sits below the card page's URL; its scope is that URL itself.
            "Service-Worker-Allowed": card_path,
        },
    )


_PAGE_IMAGES = ("logo.png", "logo@2x.png", "strip.png", "strip@2x.png")


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
