""" "I already have a card": the pages that send a one-time code to a contact and open the card
for whoever types it back. No API key; what a visitor learns is only what they can prove."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.clock import utcnow
from api.deps import DesignsDep, SessionDep
from api.pages.render import FormFields, Page, PageDep, negotiate_locale
from api.programs import repository as program_repository
from api.programs.models import Program
from api.verification import service as verification_service
from api.verification.courier import CourierDep
from passes import CardDesign

router = APIRouter(prefix="/join", tags=["pages"], include_in_schema=False)
PublicSlug = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,80}$")]


@router.get("/{public_slug}/card", response_class=HTMLResponse)
def find_card_page(
    public_slug: PublicSlug, page: PageDep, session: SessionDep, designs: DesignsDep
) -> HTMLResponse:
    """Ask for the phone or email the card was issued to."""
    program = program_repository.get_by_public_slug(session, public_slug)
    if program is None:
        return page.not_found()
    return _render(page, designs, program, "card_find.html")


@router.post("/{public_slug}/card", response_class=HTMLResponse)
def send_code(
    public_slug: PublicSlug,
    request: Request,
    page: PageDep,
    session: SessionDep,
    designs: DesignsDep,
    courier: CourierDep,
    fields: FormFields,
) -> Response:
    """Send a code to the contact (the same answer whether it has a card or not)."""
    program = program_repository.get_by_public_slug(session, public_slug)
    if program is None:
        return page.not_found()
    contact = fields.get("contact", "").strip()[:254]
    result = verification_service.start(
        session, program, contact, client=request.client.host if request.client else "unknown",
        now=utcnow(), courier=courier, locale=negotiate_locale(request),
    )  # fmt: skip
    if isinstance(result, verification_service.Sent):
        return RedirectResponse(
            f"/join/{program.public_slug}/card/{result.challenge_id}", status_code=303
        )
    if result.reason == "no_channel":
        return _render(page, designs, program, "card_at_till.html")
    status_code = 429 if result.reason == "err_rate" else 422
    response = _render(page, designs, program, "card_find.html", status_code=status_code,
                       contact=contact, error=result.reason)  # fmt: skip
    if result.retry_after:
        response.headers["Retry-After"] = str(result.retry_after)
    return response


@router.get("/{public_slug}/card/{challenge_id}", response_class=HTMLResponse)
def code_page(
    public_slug: PublicSlug,
    challenge_id: UUID,
    page: PageDep,
    session: SessionDep,
    designs: DesignsDep,
) -> HTMLResponse:
    """Type the code we sent."""
    waiting = _waiting(session, public_slug, challenge_id)
    if waiting is None:
        return page.not_found()
    program, masked = waiting
    return _render(page, designs, program, "card_code.html", masked=masked,
                   challenge_id=challenge_id)  # fmt: skip


@router.post("/{public_slug}/card/{challenge_id}", response_class=HTMLResponse)
def check_code(
    public_slug: PublicSlug,
    challenge_id: UUID,
    page: PageDep,
    session: SessionDep,
    designs: DesignsDep,
    fields: FormFields,
) -> Response:
    """The right code opens the card; anything else asks again (5 tries in all)."""
    waiting = _waiting(session, public_slug, challenge_id)
    if waiting is None:
        return page.not_found()
    program, masked = waiting
    found = verification_service.check(
        session, program, challenge_id, fields.get("code", ""), now=utcnow()
    )
    if found is None:
        return _render(page, designs, program, "card_code.html", status_code=422,
                       masked=masked, challenge_id=challenge_id, error="err_code")  # fmt: skip
    return RedirectResponse(f"/cards/{found[1].public_token}?welcome=back", status_code=303)


def _waiting(session: Session, public_slug: str, challenge_id: UUID) -> tuple[Program, str] | None:
    """The program and where its code went, for a challenge of that program."""
    program = program_repository.get_by_public_slug(session, public_slug)
    masked = program and verification_service.masked_contact(session, program, challenge_id)
    return (program, masked) if program and masked else None


def _render(
    page: Page,
    designs: Mapping[str, CardDesign],
    program: Program,
    template: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    return page.render(template, status_code=status_code, program=program,
                       design=designs[program.design], **context)  # fmt: skip
