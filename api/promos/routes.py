"""HTTP routes of promo codes: the admin's promos and their codes, and redeeming a code."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status
from sqlmodel import Session

from api.clock import utcnow
from api.deps import AdminCaller, PosCaller, ReaderCaller, SessionDep
from api.ledger.postings import Actor
from api.paging import Page, Paging
from api.promos import service as promo_service
from api.promos.models import Promo
from api.promos.schemas import (
    PendingDiscount,
    PromoCreate,
    PromoPublic,
    PromoRedeem,
    PromoRedeemed,
    PromoUpdate,
    RedemptionPublic,
)

router = APIRouter(prefix="/api/v1", tags=["promos"])


@router.post("/programs/{program_id}/promos", status_code=status.HTTP_201_CREATED)
def create_promo(
    program_id: UUID, data: PromoCreate, session: SessionDep, caller: AdminCaller
) -> PromoPublic:
    """A shared code with a usage limit, or a batch of unique codes (`GET .../codes.csv` to
    print them), with a window, a per-member limit and what it grants."""
    promo = promo_service.create_promo(session, caller, program_id, data, now=utcnow())
    return _public(session, promo)


@router.get("/programs/{program_id}/promos")
def list_promos(
    program_id: UUID, session: SessionDep, caller: ReaderCaller, page: Paging
) -> Page[PromoPublic]:
    """The program's promos, oldest first, a page at a time."""
    rows, total = promo_service.page_promos(session, caller.merchant_id, program_id, page)
    return Page.of([_public(session, row) for row in rows], total, page)


@router.get("/programs/{program_id}/promos/{promo_id}")
def read_promo(
    program_id: UUID, promo_id: UUID, session: SessionDep, caller: ReaderCaller
) -> PromoPublic:
    promo = promo_service.get_promo(session, caller.merchant_id, program_id, promo_id)
    return _public(session, promo)


@router.patch("/programs/{program_id}/promos/{promo_id}")
def update_promo(
    program_id: UUID, promo_id: UUID, data: PromoUpdate, session: SessionDep, caller: AdminCaller
) -> PromoPublic:
    """Edit a promo; `{"is_active": false}` archives it (its codes are refused from then on)."""
    promo = promo_service.update_promo(session, caller, program_id, promo_id, data)
    return _public(session, promo)


@router.get(
    "/programs/{program_id}/promos/{promo_id}/codes.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def download_codes(
    program_id: UUID, promo_id: UUID, session: SessionDep, caller: AdminCaller
) -> Response:
    """Every code of the promo as CSV (code, uses), to print or mail merge."""
    codes = promo_service.codes(session, caller.merchant_id, program_id, promo_id)
    return Response(
        promo_service.codes_csv(codes),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="promo-{promo_id}.csv"'},
    )


@router.get("/programs/{program_id}/promos/{promo_id}/redemptions")
def list_redemptions(
    program_id: UUID, promo_id: UUID, session: SessionDep, caller: AdminCaller, page: Paging
) -> Page[RedemptionPublic]:
    """Who redeemed the promo's codes, when, and what it granted; oldest first."""
    rows, total = promo_service.page_redemptions(
        session, caller.merchant_id, program_id, promo_id, page
    )
    return Page.of([RedemptionPublic.of(row, code) for row, code in rows], total, page)


@router.post("/members/{member_id}/promo", status_code=status.HTTP_201_CREATED)
def redeem_promo(
    member_id: UUID, data: PromoRedeem, response: Response, session: SessionDep, caller: PosCaller
) -> PromoRedeemed:
    """Redeem a promo code for the member: 201 with what it granted; the same member and code
    again answer 200 with the same redemption. Refusals name the field `code`."""
    redeemed = promo_service.redeem(
        session, caller.merchant_id, member_id, data.code,
        actor=Actor(caller.label, caller.key_id), now=utcnow(),
    )  # fmt: skip
    if not redeemed.is_new:
        response.status_code = status.HTTP_200_OK
    return redeemed_public(redeemed)


@router.get("/members/{member_id}/discount")
def pending_discount(member_id: UUID, session: SessionDep, caller: ReaderCaller) -> PendingDiscount:
    """The promo discount the member's next purchase will take (`promo_discount_percent` 0:
    none), for the till to charge the right amount before it records the purchase."""
    pending = promo_service.pending_for(session, caller.merchant_id, member_id)
    if pending is None:
        return PendingDiscount(promo_discount_percent=0, promo_id=None, granted_at=None)
    return PendingDiscount(
        promo_discount_percent=pending.discount_percent or 0,
        promo_id=pending.promo_id,
        granted_at=pending.created_at,
    )


def redeemed_public(redeemed: promo_service.Redeemed) -> PromoRedeemed:
    public = RedemptionPublic.of(redeemed.redemption, redeemed.code)
    return PromoRedeemed(
        **public.model_dump(),
        grant=redeemed.promo.grant,
        points=redeemed.promo.points,
        coupon_code=redeemed.coupon.code if redeemed.coupon else None,
        balance=redeemed.member.points,
        is_new=redeemed.is_new,
    )


def _public(session: Session, promo: Promo) -> PromoPublic:
    code, count, uses = promo_service.summary(session, promo)
    return PromoPublic.of(promo, code=code, codes=count, uses=uses)
