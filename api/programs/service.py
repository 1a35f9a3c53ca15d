"""Creating and reading loyalty programs."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from uuid import UUID, uuid4

from sqlmodel import Session

from api.paging import PageRequest
from api.programs import repository
from api.programs.errors import ProgramNotFound, UnknownDesign
from api.programs.models import Program, new_public_slug, own_design
from api.programs.rules import ProgramRules
from api.programs.schemas import ProgramCreate
from passes import CardDesign


def create_program(
    session: Session,
    merchant_id: UUID,
    data: ProgramCreate,
    *,
    designs: Mapping[str, CardDesign],
) -> Program:
    """A new program. Without a design it gets the neutral design built from the merchant's
    and its own names (never another brand); with a shipped design's name, that design and
    its ``[rules]`` table as default rules.

    Raises:
        UnknownDesign: no shipped design has that name.
    """
    program_id = uuid4()
    if data.design is None:
        design, defaults = own_design(program_id, 0), {}
    elif data.design in designs:
        design, defaults = data.design, dict(designs[data.design].rule_defaults)
    else:
        raise UnknownDesign(
            f"design {data.design!r} does not exist; choose one of {sorted(designs)}"
        )
    rules = data.rules or ProgramRules.model_validate(defaults)
    slug = _unique_slug(session, merchant_id, data.name)
    program = Program(
        id=program_id,
        merchant_id=merchant_id,
        name=data.name,
        slug=slug,
        public_slug=new_public_slug(slug),
        kind=data.kind,
        stamps_required=data.stamps_required,
        design=design,
        rules=rules.model_dump(mode="json"),
    )
    session.add(program)
    session.flush()
    return program


def get_program(session: Session, merchant_id: UUID, program_id: UUID) -> Program:
    program = repository.get(session, merchant_id, program_id)
    if program is None:
        raise ProgramNotFound()
    return program


def list_programs(session: Session, merchant_id: UUID) -> Sequence[Program]:
    return repository.list_for_merchant(session, merchant_id)


def page_programs(
    session: Session, merchant_id: UUID, page: PageRequest
) -> tuple[Sequence[Program], int]:
    """A page of the merchant's programs, oldest first."""
    return repository.page_for_merchant(session, merchant_id, page)


def _unique_slug(session: Session, merchant_id: UUID, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "program"
    slug = base
    while repository.slug_exists(session, merchant_id, slug):
        slug = f"{base}-{secrets.token_hex(2)}"
    return slug
