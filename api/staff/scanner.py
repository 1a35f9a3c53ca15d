"""The staff scanner, a set of HTML pages that work in any phone browser.

Sign in with staff code and PIN, then type the card number (or scan it with the camera where
the browser has ``BarcodeDetector``), then credit a purchase, add a stamp or redeem a reward.
The session cookie (``api.pages.sessions``) is HttpOnly and SameSite=Strict, which also keeps
other sites from posting these forms.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, File, Path, Request, Response, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session

from api.audit import service as audit
from api.clock import utcnow
from api.deps import SessionDep, SettingsDep
from api.enrolment import qr
from api.errors import ApiError
from api.ledger.postings import Actor
from api.pages.render import FormFields, Page, PageDep
from api.promos import service as promo_service
from api.rewards.errors import CouponNotFound
from api.staff import coupons as staff_coupons
from api.staff import service as staff_service
from api.staff.auth import COOKIE, MaybeStaffUser, StaffUser
from api.staff.errors import CardNumberNotFound, SignInFailed, SignInLocked
from api.staff.photo import read_code
from api.staff.service import SignedInStaff

router = APIRouter(prefix="/scan", tags=["pages"], include_in_schema=False)
CardNumber = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,32}$")]
CouponCode = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,32}$")]
PHOTO_LIMIT = 12_000_000  # bytes; api.limits lets /scan/photo bodies be this large


@router.get("", response_class=HTMLResponse)
def scanner(page: PageDep, user: MaybeStaffUser) -> HTMLResponse:
    """The sign-in form, or (signed in) the card-number form."""
    if user is None:
        return page.render("scan_signin.html", error=None)
    return _lookup_page(page, user)


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(request: Request, page: PageDep, session: SessionDep, fields: FormFields) -> Response:
    try:
        token = staff_service.sign_in(
            session, fields.get("code", ""), fields.get("pin", ""),
            client=request.client.host if request.client else "unknown", now=utcnow(),
        )  # fmt: skip
    except SignInLocked as exc:
        locked = page.render("scan_signin.html", status_code=401, error="err_locked")
        locked.headers["Retry-After"] = str(exc.extra.get("retry_after", 900))
        return locked
    except SignInFailed:
        return page.render("scan_signin.html", status_code=401, error="err_signin")
    return COOKIE.signed_in_redirect(token, request=request)


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep) -> Response:
    staff_service.sign_out(session, COOKIE.token(request))
    return COOKIE.signed_out_redirect()


@router.post("/lookup", response_class=HTMLResponse)
def lookup(page: PageDep, session: SessionDep, user: StaffUser, fields: FormFields) -> Response:
    """Find the typed or scanned card, then show it."""
    return _open_card(page, session, user, fields.get("number", ""))


@router.post("/photo", response_class=HTMLResponse)
def photo(
    page: PageDep,
    session: SessionDep,
    user: StaffUser,
    photo: Annotated[UploadFile, File(description="A photo of the card's barcode")],
) -> Response:
    """Read the card number from a photo (browsers without ``BarcodeDetector``), then show
    the card."""
    number = read_code(photo.file.read(PHOTO_LIMIT))
    if number is None:
        return _lookup_page(page, user, error="err_photo", status_code=422)
    return _open_card(page, session, user, number)


@router.get("/cards/{number}", response_class=HTMLResponse)
def card(number: CardNumber, page: PageDep, session: SessionDep, user: StaffUser) -> Response:
    """A member's balance and the actions the cashier can take."""
    try:
        scanned = staff_service.find_card(session, user.staff, number)
    except CardNumberNotFound:
        return _lookup_page(page, user, error="err_card", number=number, status_code=404)
    pending = promo_service.pending_discount(session, scanned.member)
    return _card_page(page, user, scanned=scanned, promo_discount=pending)


@router.post("/cards/{number}/promo", response_class=HTMLResponse)
def promo(
    number: CardNumber, page: PageDep, session: SessionDep, user: StaffUser, fields: FormFields
) -> Response:
    """Apply a promo code the member brought (typed or scanned) to this card; a refusal
    writes nothing, and the same code again shows it was applied before."""
    try:
        scanned = staff_service.find_card(session, user.staff, number)
    except CardNumberNotFound:
        return _lookup_page(page, user, error="err_card", number=number, status_code=404)
    staff = user.staff
    actor = Actor(f"staff {staff.code}: {staff.name}"[:100], None, staff.store_id)
    try:
        with session.begin_nested():
            redeemed = promo_service.redeem(
                session, staff.merchant_id, scanned.member.id, fields.get("code", "")[:64],
                actor=actor, now=utcnow(),
            )  # fmt: skip
    except ApiError as exc:
        return _card_page(page, user, scanned=scanned, refusal=staff_service.refusal(exc),
                          status_code=exc.status_code)  # fmt: skip
    scanned = staff_service.find_card(session, user.staff, number)
    pending = promo_service.pending_discount(session, scanned.member)
    return _card_page(page, user, scanned=scanned, promo=redeemed, promo_discount=pending)


@router.post("/cards/{number}", response_class=HTMLResponse)
def act(
    number: CardNumber, page: PageDep, session: SessionDep, user: StaffUser, fields: FormFields
) -> Response:
    """Credit a purchase, add a stamp or redeem a reward; show the result or the refusal."""
    try:
        result = staff_service.act(
            session,
            user.staff,
            number,
            action=fields.get("action", ""),
            nonce=fields.get("nonce", "")[:40] or secrets.token_urlsafe(16),
            amount=fields.get("amount", ""),
            reward_id=fields.get("reward_id", ""),
            now=utcnow(),
        )
    except CardNumberNotFound:
        return _lookup_page(page, user, error="err_card", number=number, status_code=404)
    except ApiError as exc:  # a refusal: shown to the cashier, nothing was written
        scanned = staff_service.find_card(session, user.staff, number)
        return _card_page(
            page, user, scanned=scanned, refusal=staff_service.refusal(exc),
            status_code=exc.status_code,
        )  # fmt: skip
    if not result.is_replay:
        action, member_id = f"staff.{fields.get('action', '')}", result.scanned.member.id
        after = {"amount": fields.get("amount"), "reward_id": fields.get("reward_id")}
        actor = audit.staff_actor(user.staff)
        audit.record(session, actor, action, "member", member_id, None, after)
    return _card_page(page, user, scanned=result.scanned, result=result)


def _open_card(page: Page, session: Session, user: SignedInStaff, number: str) -> Response:
    """The card with this number, else the coupon with this code."""
    try:
        scanned = staff_service.find_card(session, user.staff, number)
    except CardNumberNotFound:
        try:
            coupon = staff_coupons.find_coupon(session, user.staff, number)
        except CouponNotFound:
            return _lookup_page(page, user, error="err_card", number=number, status_code=404)
        return RedirectResponse(f"/scan/coupons/{coupon.coupon.code}", status_code=303)
    return RedirectResponse(f"/scan/cards/{scanned.card.serial_number}", status_code=303)


@router.get("/coupons/{code}", response_class=HTMLResponse)
def coupon(code: CouponCode, page: PageDep, session: SessionDep, user: StaffUser) -> Response:
    """A coupon: its reward, whose it is, until when, and the button that uses it."""
    try:
        scanned = staff_coupons.find_coupon(session, user.staff, code)
    except CouponNotFound:
        return _lookup_page(page, user, error="err_card", number=code, status_code=404)
    return _coupon_page(page, user, scanned)


@router.post("/coupons/{code}", response_class=HTMLResponse)
def use_coupon(
    code: CouponCode, page: PageDep, session: SessionDep, user: StaffUser, fields: FormFields
) -> Response:
    """Use the coupon; a second use is refused, a resubmitted form shows the first result."""
    try:
        scanned, _ = staff_coupons.use(
            session, user.staff, code,
            nonce=fields.get("nonce", "")[:40] or secrets.token_urlsafe(16), now=utcnow(),
        )  # fmt: skip
    except CouponNotFound:
        return _lookup_page(page, user, error="err_card", number=code, status_code=404)
    except ApiError as exc:  # used already, or expired: nothing was written
        scanned = staff_coupons.find_coupon(session, user.staff, code)
        return _coupon_page(
            page, user, scanned, refusal=staff_service.refusal(exc), status_code=exc.status_code
        )
    return _coupon_page(page, user, scanned, used=True)


def _coupon_page(
    page: Page,
    user: SignedInStaff,
    scanned: staff_coupons.ScannedCoupon,
    *,
    used: bool = False,
    refusal: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return page.render(
        "scan_coupon.html", status_code=status_code, staff=user.staff, store=user.store,
        scanned=scanned, used=used, refusal=refusal, nonce=secrets.token_urlsafe(16),
        now=utcnow(),
    )  # fmt: skip


def _lookup_page(
    page: Page,
    user: SignedInStaff,
    *,
    error: str | None = None,
    number: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    return page.render(
        "scan.html", status_code=status_code, staff=user.staff, store=user.store, error=error,
        number=number,
    )  # fmt: skip


def _card_page(
    page: Page,
    user: SignedInStaff,
    *,
    scanned: staff_service.ScannedCard,
    result: staff_service.ScanResult | None = None,
    refusal: str | None = None,
    status_code: int = 200,
    promo: promo_service.Redeemed | None = None,
    promo_discount: int = 0,
) -> HTMLResponse:
    return page.render(
        "scan_card.html", status_code=status_code, staff=user.staff, store=user.store,
        scanned=scanned, result=result, refusal=refusal, nonce=secrets.token_urlsafe(16),
        promo=promo, promo_discount=promo_discount,
    )  # fmt: skip


@router.get("/cards/{number}/handover", response_class=HTMLResponse)
def handover(
    number: CardNumber, page: PageDep, session: SessionDep, user: StaffUser, settings: SettingsDep
) -> Response:
    """The card's own link as a QR code, for the customer to scan with their phone: how a
    member whose contact cannot be reached opens their card on a new device."""
    try:
        scanned = staff_service.find_card(session, user.staff, number)
    except CardNumberNotFound:
        return _lookup_page(page, user, error="err_card", number=number, status_code=404)
    url = f"{settings.public_url}/cards/{scanned.card.public_token}"
    staff_service.record_handover(session, user.staff, scanned, now=utcnow())
    code = qr.inline_svg(url, title=scanned.member.name)
    return page.render(
        "scan_handover.html", staff=user.staff, store=user.store, scanned=scanned, qr=code
    )
