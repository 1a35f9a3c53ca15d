"""The staff scanner, a set of HTML pages that work in any phone browser.

Sign in with staff code and PIN, then type the card number (or scan it with the camera where
the browser has ``BarcodeDetector``), then credit a purchase, add a stamp or redeem a reward.
The session cookie is HttpOnly and SameSite=Strict, which also keeps other sites from posting
these forms.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, File, Path, Request, Response, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from api.clock import utcnow
from api.deps import SessionDep
from api.errors import ApiError
from api.pages.render import form_fields, render_page
from api.staff import service as staff_service
from api.staff.models import Staff
from api.staff.photo import read_code
from api.stores.models import Store

router = APIRouter(prefix="/scan", tags=["pages"], include_in_schema=False)
COOKIE = "lp_staff"
StaffCookie = Annotated[str | None, Cookie(alias=COOKIE)]
FormFields = Annotated[dict[str, str], Depends(form_fields)]
CardNumber = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,32}$")]
PHOTO_LIMIT = 12_000_000  # bytes; api.limits lets /scan/photo bodies be this large


@router.get("", response_class=HTMLResponse)
def scanner(request: Request, session: SessionDep, token: StaffCookie = None) -> HTMLResponse:
    """The sign-in form, or (signed in) the card-number form."""
    found = staff_service.signed_in(session, token, now=utcnow())
    if found is None:
        return render_page(request, "scan_signin.html", error=None)
    return _lookup_page(request, *found)


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(request: Request, session: SessionDep, fields: FormFields) -> Response:
    try:
        token = staff_service.sign_in(
            session, fields.get("code", ""), fields.get("pin", ""), now=utcnow()
        )
    except staff_service.SignInLocked:
        return render_page(request, "scan_signin.html", status_code=401, error="err_locked")
    except staff_service.SignInFailed:
        return render_page(request, "scan_signin.html", status_code=401, error="err_signin")
    response = RedirectResponse("/scan", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(staff_service.SESSION_LENGTH.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/scan",
    )
    return response


@router.post("/sign-out")
def sign_out(session: SessionDep, token: StaffCookie = None) -> RedirectResponse:
    staff_service.sign_out(session, token)
    response = RedirectResponse("/scan", status_code=303)
    response.delete_cookie(COOKIE, path="/scan")
    return response


@router.post("/lookup", response_class=HTMLResponse)
def lookup(
    request: Request, session: SessionDep, fields: FormFields, token: StaffCookie = None
) -> Response:
    """Find the typed or scanned card, then show it."""
    found = staff_service.signed_in(session, token, now=utcnow())
    if found is None:
        return RedirectResponse("/scan", status_code=303)
    number = fields.get("number", "")
    try:
        scanned = staff_service.find_card(session, found[0], number)
    except staff_service.CardNumberNotFound:
        return _lookup_page(request, *found, error="err_card", number=number, status_code=404)
    return RedirectResponse(f"/scan/cards/{scanned.card.serial_number}", status_code=303)


@router.post("/photo", response_class=HTMLResponse)
def photo(
    request: Request,
    session: SessionDep,
    photo: Annotated[UploadFile, File(description="A photo of the card's barcode")],
    token: StaffCookie = None,
) -> Response:
    """Read the card number from a photo (browsers without ``BarcodeDetector``), then show
    the card."""
    found = staff_service.signed_in(session, token, now=utcnow())
    if found is None:
        return RedirectResponse("/scan", status_code=303)
    number = read_code(photo.file.read(PHOTO_LIMIT))
    if number is None:
        return _lookup_page(request, *found, error="err_photo", status_code=422)
    try:
        scanned = staff_service.find_card(session, found[0], number)
    except staff_service.CardNumberNotFound:
        return _lookup_page(request, *found, error="err_card", number=number, status_code=404)
    return RedirectResponse(f"/scan/cards/{scanned.card.serial_number}", status_code=303)


@router.get("/cards/{number}", response_class=HTMLResponse)
def card(
    number: CardNumber, request: Request, session: SessionDep, token: StaffCookie = None
) -> Response:
    """A member's balance and the actions the cashier can take."""
    found = staff_service.signed_in(session, token, now=utcnow())
    if found is None:
        return RedirectResponse("/scan", status_code=303)
    try:
        scanned = staff_service.find_card(session, found[0], number)
    except staff_service.CardNumberNotFound:
        return _lookup_page(request, *found, error="err_card", number=number, status_code=404)
    return _card_page(request, *found, scanned=scanned)


@router.post("/cards/{number}", response_class=HTMLResponse)
def act(
    number: CardNumber,
    request: Request,
    session: SessionDep,
    fields: FormFields,
    token: StaffCookie = None,
) -> Response:
    """Credit a purchase, add a stamp or redeem a reward; show the result or the refusal."""
    found = staff_service.signed_in(session, token, now=utcnow())
    if found is None:
        return RedirectResponse("/scan", status_code=303)
    staff, store = found
    try:
        result = staff_service.act(
            session,
            staff,
            number,
            action=fields.get("action", ""),
            nonce=fields.get("nonce", "")[:40] or secrets.token_urlsafe(16),
            amount=fields.get("amount", ""),
            reward_id=fields.get("reward_id", ""),
            now=utcnow(),
        )
    except staff_service.CardNumberNotFound:
        return _lookup_page(request, staff, store, error="err_card", number=number, status_code=404)
    except ApiError as exc:  # a refusal: shown to the cashier, nothing was written
        scanned = staff_service.find_card(session, staff, number)
        return _card_page(
            request, staff, store, scanned=scanned, refusal=staff_service.refusal(exc),
            status_code=exc.status_code,
        )  # fmt: skip
    return _card_page(request, staff, store, scanned=result.scanned, result=result)


def _lookup_page(
    request: Request,
    staff: Staff,
    store: Store,
    *,
    error: str | None = None,
    number: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    return render_page(
        request, "scan.html", status_code=status_code, staff=staff, store=store, error=error,
        number=number,
    )  # fmt: skip


def _card_page(
    request: Request,
    staff: Staff,
    store: Store,
    *,
    scanned: staff_service.ScannedCard,
    result: staff_service.ScanResult | None = None,
    refusal: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render_page(
        request, "scan_card.html", status_code=status_code, staff=staff, store=store,
        scanned=scanned, result=result, refusal=refusal, nonce=secrets.token_urlsafe(16),
    )  # fmt: skip
