"""The public join page (``/join/{public_slug}``) and its printable QR codes. No API key: the
program's public slug is the address; the form is rate-limited (``throttle.py``, in the
database) and has a honeypot."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.clock import utcnow
from api.deps import DesignsDep, JoinThrottleDep, SessionDep, SettingsDep
from api.enrolment import qr
from api.enrolment import service as enrolment_service
from api.enrolment.errors import JoinLinkNotFound
from api.enrolment.service import HONEYPOT_FIELD, JoinForm, Refusal
from api.pages.render import FormFields, Page, PageDep, negotiate_locale
from api.programs.models import Program
from api.verification import service as verification_service
from api.verification.courier import CourierDep
from passes import CardDesign

router = APIRouter(prefix="/join", tags=["pages"], include_in_schema=False)
PublicSlug = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,80}$")]


@router.get("/{public_slug}", response_class=HTMLResponse)
def join_page(
    public_slug: PublicSlug,
    page: PageDep,
    session: SessionDep,
    designs: DesignsDep,
    ref: Annotated[str, Query(max_length=16)] = "",
    store: Annotated[str, Query(max_length=36)] = "",
    promo: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    """The enrolment form, in the program's design; ``?promo=`` carries a promo code that
    the new member gets."""
    program = enrolment_service.find_program(session, public_slug)
    if program is None:
        return page.not_found()
    return _form(page, designs, program, JoinForm(ref=ref, store=store, promo=promo.strip()))


@router.post("/{public_slug}", response_class=HTMLResponse)
def join_submit(
    public_slug: PublicSlug,
    request: Request,
    page: PageDep,
    session: SessionDep,
    designs: DesignsDep,
    limits: JoinThrottleDep,
    courier: CourierDep,
    settings: SettingsDep,
    fields: FormFields,
) -> Response:
    """Enrol (or find the existing card), then go to the card page; errors stay on the form."""
    program = enrolment_service.find_program(session, public_slug)
    if program is None:
        return page.not_found()
    form = JoinForm.of(fields)
    data = enrolment_service.screen(
        session, program, form, client=request.client.host if request.client else "unknown",
        honeypot=fields.get(HONEYPOT_FIELD, ""), limits=limits, now=utcnow(),
    )  # fmt: skip
    if isinstance(data, Refusal):
        refused = _form(page, designs, program, form, banner=data.banner,
                        status_code=data.status_code)  # fmt: skip
        if data.retry_after is not None:
            refused.headers["Retry-After"] = str(data.retry_after)
        return refused
    member, card, is_new = enrolment_service.join(
        session, program, data, form=form, locale=negotiate_locale(request)
    )
    if is_new:
        return RedirectResponse(f"/cards/{card.public_token}?welcome=new", status_code=303)
    # The contact already has a card: it goes to the contact, never to this visitor, who has
    # proven nothing yet (anyone may know a phone number).
    masked = verification_service.send_card_link(
        session, member, card, courier, public_url=settings.public_url,
        locale=negotiate_locale(request),
    )  # fmt: skip
    return page.render("join_sent.html", program=program, design=designs[program.design],
                       masked=masked)  # fmt: skip


@router.get(
    "/{public_slug}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def join_qr_svg(
    public_slug: PublicSlug, session: SessionDep, settings: SettingsDep, store: UUID | None = None
) -> Response:
    """The join link as a printable SVG QR code; ``?store=`` records which store printed it."""
    url = _qr_target(session, settings.public_url, public_slug, store)
    return Response(qr.qr_svg(url, title=url), media_type="image/svg+xml", headers=_CACHE)


@router.get(
    "/{public_slug}/qr.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def join_qr_png(
    public_slug: PublicSlug, session: SessionDep, settings: SettingsDep, store: UUID | None = None
) -> Response:
    """The join link as a PNG QR code."""
    url = _qr_target(session, settings.public_url, public_slug, store)
    return Response(qr.qr_png(url), media_type="image/png", headers=_CACHE)


_CACHE = {"Cache-Control": "public, max-age=86400"}


def _qr_target(session: SessionDep, public_url: str, public_slug: str, store: UUID | None) -> str:
    program = enrolment_service.find_program(session, public_slug)
    if program is None:
        raise JoinLinkNotFound()
    return qr.join_url(public_url, program.public_slug, store_id=store)


def _form(
    page: Page,
    designs: Mapping[str, CardDesign],
    program: Program,
    form: JoinForm,
    *,
    banner: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return page.render(
        "join.html",
        status_code=status_code,
        program=program,
        design=designs[program.design],
        form=form,
        banner=banner,
        honeypot=HONEYPOT_FIELD,
    )
