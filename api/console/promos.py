"""The console's promo codes page: a program's promos (code, uses, what they grant), a form
that creates one (a shared code or a batch of unique codes), and each batch's codes as CSV."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlmodel import Session

from api.clock import utcnow
from api.console.auth import ConsoleUser
from api.console.routes import console_page
from api.deps import SessionDep
from api.errors import ApiError, Forbidden
from api.merchants.models import Role
from api.pages.render import FormFields, PageDep
from api.paging import PageRequest
from api.programs import service as program_service
from api.promos import service as promo_service
from api.promos.schemas import PromoCreate
from api.promos.service import codes_csv
from api.rewards import service as reward_service

router = APIRouter(prefix="/console", tags=["pages"], include_in_schema=False)
FIELDS = ("name", "kind", "code", "count", "usage_limit", "per_member_limit", "grant", "points",
          "reward_id", "discount_percent")  # fmt: skip


@router.get("/promos", response_class=HTMLResponse)
def promos(
    page: PageDep, session: SessionDep, user: ConsoleUser,
    program: Annotated[str, Query(max_length=36)] = "",
) -> Response:  # fmt: skip
    """A program's promo codes and the form that creates one."""
    context = _context(session, user.merchant_id, program, {})
    return console_page(page, "promos.html", user, **context)


@router.post("/promos", response_class=HTMLResponse)
def create_promo(
    page: PageDep, session: SessionDep, user: ConsoleUser, fields: FormFields
) -> Response:
    """Create a promo from the form; a refusal is shown above the form, which keeps its values."""
    program = fields.get("program", "")
    try:
        if not user.can_edit:
            raise Forbidden(f"this needs a key with role {Role.admin}")
        data = PromoCreate.model_validate(
            {name: fields[name] for name in FIELDS if fields.get(name, "").strip()}
        )
        with session.begin_nested():
            created = promo_service.create_promo(
                session, user.caller, UUID(program), data, now=utcnow()
            )
    except (ValidationError, ValueError, ApiError) as exc:
        context = _context(session, user.merchant_id, program, fields)
        status = exc.status_code if isinstance(exc, ApiError) else 422
        return console_page(page, "promos.html", user, error=_message(exc), status_code=status,
                            **context)  # fmt: skip
    context = _context(session, user.merchant_id, program, {})
    return console_page(page, "promos.html", user, created=created, **context)


@router.get("/promos/{promo_id}/codes.csv")
def promo_codes(promo_id: UUID, session: SessionDep, user: ConsoleUser, program: UUID) -> Response:
    """The promo's codes to print (the API's ``codes.csv``, for a signed-in console)."""
    rows = promo_service.codes(session, user.merchant_id, program, promo_id)
    return Response(
        codes_csv(rows), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="promo-{promo_id}.csv"'},
    )  # fmt: skip


def _context(
    session: Session, merchant_id: UUID, program: str, fields: Mapping[str, str]
) -> dict[str, Any]:
    programs = program_service.list_programs(session, merchant_id)
    chosen = next((p for p in programs if str(p.id) == program), programs[0] if programs else None)
    listed: list[tuple[Any, tuple[str | None, int, int]]] = []
    rewards: list[Any] = []
    if chosen is not None:
        rows, _ = promo_service.page_promos(session, merchant_id, chosen.id, PageRequest(200, 0))
        listed = [(row, promo_service.summary(session, row)) for row in reversed(rows)]
        rewards = list(reward_service.list_rewards(session, merchant_id, chosen.id))
    return {"programs": programs, "program": chosen, "promos": listed, "rewards": rewards,
            "fields": dict(fields)}  # fmt: skip


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    if isinstance(exc, ApiError):
        return f"{exc.title}: {exc.detail}" if exc.detail else exc.title
    return "choose a program"
